// `natgrad infer`: what a model file says of every item of a data file, each
// rank its shard; rank 0 writes the theta file.

#include "common.hpp"
#include "natgrad/app/commands.hpp"
#include "natgrad/error.hpp"

namespace natgrad::app {

void run_infer(const config::InferConfig& config, comm::Communicator& comm, std::ostream& out) {
  detail::write_inferred(detail::apply_model(config, comm, false), config, comm, out);
}

}  // namespace natgrad::app
