// `natgrad synth TYPE`: data drawn from a family's generative model, with the truth.

#include "common.hpp"
#include "natgrad/app/commands.hpp"
#include "natgrad/error.hpp"

namespace natgrad::app {

void run_synth(const models::Family& family, const config::SynthConfig& config, std::ostream& out) {
  detail::refuse_overwrite({{"--out", config.out}, {"--heldout-out", config.heldout_out}}, {});
  detail::check_writable("--out", config.out);
  if (config.holdout_fraction > 0 && family.data_kind() != io::DataKind::kCorpus) {
    throw Error("synth " + family.type() + ": --holdout-fraction splits the entries of a corpus's documents; " +
                family.type() + " draws " + io::nouns(family.data_kind()).file + " (use --split-every)");
  }
  const models::Synthetic drawn = family.synthesize(config.values);
  // The entries held out are keyed by the draw's own seed.
  const auto seed = config.values.has("seed") ? static_cast<std::uint64_t>(config.values.integer("seed")) : 0;
  const detail::Split split{config.split_every, config.holdout_fraction, seed, config.holdout_min_entries,
                            config.heldout_out};
  detail::write_split(drawn.data, config.out, split, "natgrad synth " + family.type(), &drawn.truth, out);
}

}  // namespace natgrad::app
