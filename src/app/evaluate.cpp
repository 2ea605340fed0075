// `natgrad evaluate`: the held-out score of a model file on data, each rank its shard.

#include "common.hpp"
#include "natgrad/app/commands.hpp"

namespace natgrad::app {

double run_evaluate(const config::InferConfig& config, comm::Communicator& comm, std::ostream& out) {
  detail::Applied a = detail::apply_model(config, comm);
  const models::ScoreSum part = a.predictor->score(a.shard);
  double sums[2] = {part.log_score, part.count};
  comm.allreduce_sum(sums);
  const models::ScoreSum total{sums[0], sums[1]};
  if (comm.rank() == 0) out << a.predictor->report(total, config.model, config.data) << "\n";
  return a.predictor->metric(total);
}

}  // namespace natgrad::app
