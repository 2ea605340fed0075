// `natgrad convert`: text formats to natgrad's data files.

#include "common.hpp"
#include "natgrad/app/commands.hpp"
#include "natgrad/io/raw_text.hpp"
#include "natgrad/io/text_corpus.hpp"

namespace natgrad::app {

void run_convert(const config::ConvertConfig& config, std::ostream& out) {
  if (config.format == "text") {  // streams to the file: the corpus is never held whole
    io::convert_text(config.text, config.out, config.split_every, config.heldout_out, out);
    return;
  }
  const io::Shard data = config.format == "csv"   ? io::Shard(io::read_csv(config.input, config.label_column))
                         : config.format == "uci" ? io::Shard(io::read_uci(config.input, config.vocab))
                         : config.format == "mm"  ? io::Shard(io::read_mm(config.input, config.vocab))
                                                  : io::Shard(io::read_ldac(config.input, config.vocab));
  detail::write_split(data, config.out, config.split_every, config.heldout_out, config.input, nullptr, out);
}

}  // namespace natgrad::app
