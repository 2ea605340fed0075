// `natgrad synth TYPE`: data drawn from a family's generative model, with the truth.

#include "common.hpp"
#include "natgrad/app/commands.hpp"

namespace natgrad::app {

void run_synth(const models::Family& family, const config::SynthConfig& config, std::ostream& out) {
  detail::refuse_overwrite({{"--out", config.out}, {"--heldout-out", config.heldout_out}}, {});
  detail::check_writable("--out", config.out);
  const models::Synthetic drawn = family.synthesize(config.values);
  detail::write_split(drawn.data, config.out, config.split_every, config.heldout_out, "natgrad synth " + family.type(),
                      &drawn.truth, out);
}

}  // namespace natgrad::app
