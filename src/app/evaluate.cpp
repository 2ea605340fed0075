// `natgrad evaluate`: the held-out score of a model file on data, each rank its shard.

#include "common.hpp"
#include "natgrad/app/commands.hpp"

namespace natgrad::app {

double run_evaluate(const config::InferConfig& config, comm::Communicator& comm, std::ostream& out) {
  detail::Applied a = detail::apply_model(config, comm, true);
  std::vector<double> sums = a.predictor->score(a.shard);
  comm.allreduce_sum(std::span(sums));
  // The sums are the same on every rank: so is an error of the metric (data that score nothing).
  try {
    if (comm.rank() == 0) out << a.predictor->report(sums, config.model, config.data) << "\n";
    return a.predictor->metric(sums);
  } catch (const Error& e) {
    throw comm::AgreedError(config.data + ": " + e.what());
  }
}

}  // namespace natgrad::app
