// `natgrad evaluate`: the held-out score of a model file on data, each rank its
// shard, and the measures its family's options ask for.

#include <limits>

#include "common.hpp"
#include "natgrad/app/commands.hpp"

namespace natgrad::app {

double run_evaluate(const config::InferConfig& config, comm::Communicator& comm, std::ostream& out) {
  detail::Applied a = detail::apply_model(config, comm, true);
  config::Values measures;
  std::vector<double> extra;
  comm::agree(comm, [&] {
    measures = config::evaluate_measures(config.measures, models::catalog(), a.model.file.type, config.model);
    extra = a.predictor->measure_partial(measures, comm.rank(), comm.size());
    if (config.data.empty() && extra.empty()) {
      std::string options;
      for (const config::Option& o : a.model.family->evaluate_options()) options += (options.empty() ? "" : ", ") + ("--" + o.key);
      throw Error("evaluate: nothing to evaluate: give --data HELDOUT.h5 for the held-out score" +
                  (options.empty() ? std::string() : " (or the options of " + a.model.file.type + " models: " + options + ")"));
    }
  });
  // The held-out score's sums and the measures', in one allreduce.
  std::vector<double> sums = config.data.empty() ? std::vector<double>{} : a.predictor->score(a.shard);
  const auto held = static_cast<std::ptrdiff_t>(sums.size());
  sums.insert(sums.end(), extra.begin(), extra.end());
  comm.allreduce_sum(std::span(sums));
  const std::vector<double> score(sums.begin(), sums.begin() + held);
  // The sums are the same on every rank: so is an error of the metric (data that score nothing).
  try {
    if (comm.rank() == 0) {
      if (!config.data.empty()) out << a.predictor->report(score, config.model, config.data) << "\n";
      if (!extra.empty()) out << a.predictor->measure_report(measures, {sums.begin() + held, sums.end()}, config.model);
    }
    return config.data.empty() ? std::numeric_limits<double>::quiet_NaN() : a.predictor->metric(score);
  } catch (const Error& e) {
    throw comm::AgreedError((config.data.empty() ? config.model : config.data) + ": " + e.what());
  }
}

}  // namespace natgrad::app
