// `natgrad convert`: text formats to natgrad's data files.

#include "common.hpp"
#include "natgrad/app/commands.hpp"
#include "natgrad/io/raw_text.hpp"
#include "natgrad/io/text_corpus.hpp"

namespace natgrad::app {

void run_convert(const config::ConvertConfig& config, std::ostream& out) {
  std::vector<detail::NamedPath> inputs = {{"the input", config.input}, {"the vocabulary", config.vocab}};
  for (const std::string& input : config.text.inputs) inputs.push_back({"the input", input});
  inputs.push_back({"--stop-words", config.text.stop_words});
  inputs.push_back({"--vocab", config.text.vocab});
  inputs.push_back({"--items-from", config.triples.items_from});
  detail::refuse_overwrite({{"--out", config.out}, {"--heldout-out", config.heldout_out}}, inputs);
  if (config.format == "text") {  // streams to the file: the corpus is never held whole
    io::convert_text(config.text, config.out, config.split_every, config.heldout_out, out);
    return;
  }
  std::int64_t skipped = 0;  // triples of items that --items-from lacks
  const io::Shard data = config.format == "csv"    ? io::Shard(io::read_csv(config.input, config.label_column))
                         : config.format == "uci"  ? io::Shard(io::read_uci(config.input, config.vocab))
                         : config.format == "ldac" ? io::Shard(io::read_ldac(config.input, config.vocab))
                         : config.format == "mm"   ? io::Shard(io::read_mm(config.input, config.vocab))
                                                   : io::Shard(io::read_triples(config.input, config.triples, &skipped));
  if (skipped > 0) {
    out << "skipped " << skipped << (skipped == 1 ? " record" : " records") << " of items that "
        << config.triples.items_from << " does not have\n";
  }
  const detail::Split split{config.split_every, config.holdout_fraction, config.seed, config.holdout_min_entries,
                            config.heldout_out};
  detail::write_split(data, config.out, split, config.input, nullptr, out);
}

}  // namespace natgrad::app
