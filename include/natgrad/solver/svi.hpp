#pragma once
/// @file The stochastic variational inference loop (Hoffman et al. 2013), in
/// mean-parameter form, distributed over the ranks of a Communicator.
///
/// Each step t = 1, 2, ...:
///     B      = minibatch t (MinibatchSequence; same on every rank)
///     s      = Σ_{n ∈ B} E_q(z_n)[t(x_n, z_n)]   each rank sums its shard's part,
///                                                  one allreduce over all ranks
///     λ      ← λ + ρ_t (η + N/|B| · s − λ)         identical on every rank
/// The same allreduce carries two flags, so that every rank takes the same
/// decision: "a rank was asked to stop" and "rank 0's clock says a checkpoint is due".

#include <Eigen/Core>
#include <chrono>
#include <csignal>
#include <functional>
#include <ostream>
#include <vector>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/config/config.hpp"
#include "natgrad/io/model_file.hpp"
#include "natgrad/models/model.hpp"
#include "natgrad/solver/minibatch.hpp"

namespace natgrad::solver {

/// The state of a run that a checkpoint keeps.
struct SviState {
  Eigen::VectorXd lambda;
  std::int64_t step = 0;
  std::int64_t docs_seen = 0;
  double train_seconds = 0.0;
  std::vector<io::HistoryRow> history;
};

/// Checkpoints and stopping, as run() sees them.
struct RunControl {
  /// Non-zero when this process was asked to stop (set by a signal handler).
  const volatile std::sig_atomic_t* stop = nullptr;
  std::int64_t checkpoint_every_steps = 0;  ///< 0: not by steps
  double checkpoint_every_seconds = 0.0;    ///< 0: not by time
  /// Writes a checkpoint of state(); collective. Null: no checkpoints.
  std::function<void()> checkpoint;
};

class Svi {
 public:
  /// @param progress where rank 0 prints progress lines (null: silent)
  Svi(models::Model& model, comm::Communicator& comm, const config::SolverConfig& solver,
      std::int64_t eval_every, std::ostream* progress);

  /// Steps of the whole run: solver.max_steps, or solver.epochs passes.
  std::int64_t total_steps() const { return total_steps_; }
  /// Runs from the current step to total_steps(), evaluating at step 0 (if
  /// nothing has been evaluated yet), every eval_every steps and at the end,
  /// and checkpointing as `control` says (and at the end). Collective.
  /// @return true at the end of the run; false if a rank was asked to stop,
  ///   in which case the step under way was finished and checkpointed.
  bool run(const RunControl& control = {});
  /// One SVI step. Collective.
  void step(const RunControl& control = {});
  /// Evaluates the held-out metric at the current λ, appends it to the
  /// history and prints a progress line. Collective.
  void evaluate();
  /// The ELBO at the current λ with every training datum's local factors
  /// optimised. Collective.
  double elbo();

  /// The state to checkpoint, and to restore from one.
  SviState state() const;
  void restore(SviState state);

  const Eigen::VectorXd& lambda() const { return lambda_; }
  std::int64_t steps_done() const { return step_; }
  double epochs_done() const { return batches_.epochs_after(step_); }
  const std::vector<io::HistoryRow>& history() const { return history_; }

 private:
  /// Throws AgreedError naming the step and the first non-finite entry.
  void check_finite(const Eigen::Ref<const Eigen::VectorXd>& values, const char* what) const;

  models::Model& model_;
  comm::Communicator& comm_;
  config::SolverConfig solver_;
  std::int64_t eval_every_;
  std::ostream* progress_;
  MinibatchSequence batches_;
  std::int64_t total_steps_;
  Eigen::Index size_;        ///< length of λ; stats_ has two flags after it
  Eigen::VectorXd eta_;
  Eigen::VectorXd lambda_;
  Eigen::VectorXd stats_;
  std::int64_t step_ = 0;
  double rho_ = 0.0;                       ///< step size of the last step
  double train_seconds_ = 0.0;             ///< time spent in step()
  std::int64_t docs_seen_ = 0;             ///< data visited by step()
  double seconds_at_last_eval_ = 0.0;
  std::int64_t docs_at_last_eval_ = 0;
  bool stop_requested_ = false;            ///< the flags of the last step
  bool checkpoint_due_ = false;
  std::chrono::steady_clock::time_point last_checkpoint_ = std::chrono::steady_clock::now();
  std::vector<io::HistoryRow> history_;
};

}  // namespace natgrad::solver
