#pragma once
/// @file The stochastic variational inference loop (Hoffman et al. 2013), in
/// mean-parameter form, distributed over the ranks of a Communicator.
///
/// Each step t = 1, 2, ...:
///     B      = minibatch t (MinibatchSequence; same on every rank)
///     s      = Σ_{n ∈ B} E_q(z_n)[t(x_n, z_n)]   each rank sums its shard's part,
///                                                  one allreduce over all ranks
///     λ      ← λ + ρ_t (η + N/|B| · s − λ)         identical on every rank

#include <Eigen/Core>
#include <chrono>
#include <ostream>
#include <vector>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/config/config.hpp"
#include "natgrad/io/model_file.hpp"
#include "natgrad/models/model.hpp"
#include "natgrad/solver/minibatch.hpp"

namespace natgrad::solver {

class Svi {
 public:
  /// @param progress where rank 0 prints progress lines (null: silent)
  Svi(models::Model& model, comm::Communicator& comm, const config::SolverConfig& solver,
      std::int64_t eval_every, std::ostream* progress);

  /// Steps of the whole run: solver.max_steps, or solver.epochs passes.
  std::int64_t total_steps() const { return total_steps_; }
  /// Runs from the current step to total_steps(), evaluating at step 0 (if
  /// nothing has been evaluated yet), every eval_every steps and at the end.
  void run();
  /// One SVI step. Collective.
  void step();
  /// Evaluates the held-out metric at the current λ, appends it to the
  /// history and prints a progress line. Collective.
  void evaluate();
  /// The ELBO at the current λ with every training datum's local factors
  /// optimised. Collective.
  double elbo();

  const Eigen::VectorXd& lambda() const { return lambda_; }
  std::int64_t steps_done() const { return step_; }
  double epochs_done() const { return batches_.epochs_after(step_); }
  const std::vector<io::HistoryRow>& history() const { return history_; }

 private:
  models::Model& model_;
  comm::Communicator& comm_;
  config::SolverConfig solver_;
  std::int64_t eval_every_;
  std::ostream* progress_;
  MinibatchSequence batches_;
  std::int64_t total_steps_;
  Eigen::VectorXd eta_;
  Eigen::VectorXd lambda_;
  Eigen::VectorXd stats_;
  std::int64_t step_ = 0;
  double rho_ = 0.0;                       ///< step size of the last step
  double train_seconds_ = 0.0;             ///< time spent in step()
  double seconds_at_last_eval_ = 0.0;
  std::int64_t docs_seen_ = 0;             ///< data visited by step()
  std::int64_t docs_at_last_eval_ = 0;
  std::vector<io::HistoryRow> history_;
};

}  // namespace natgrad::solver
