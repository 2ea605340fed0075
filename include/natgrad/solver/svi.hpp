#pragma once
/// @file The stochastic variational inference loop (Hoffman et al. 2013), in
/// mean-parameter form, distributed over the ranks of a Communicator.
///
/// Each step t = 1, 2, ...:
///     B      = minibatch t (MinibatchSequence; same on every rank)
///     U      = the blocks of λ that B touches (Model::touched_blocks): each
///              rank lists its part, one allgather forms the union
///     s      = Σ_{n ∈ B} E_q(z_n)[t(x_n, z_n)]   each rank sums its shard's part,
///                                                  one allreduce over the blocks U
///     λ      ← λ + ρ_t (η + N/|B| · s − λ)         identical on every rank
///              (η(λ) at the model's dependent prior positions: a hierarchical prior)
/// The update is lazy (GlobalParams, λ = η + a · M): λ ← η + (1 − ρ_t)(λ − η)
/// is a ← (1 − ρ_t) a, and the statistics add ρ_t N/|B| · s to the blocks U
/// only, so that a step costs time and communication in the blocks it
/// touches, not in the length of λ (a topic model: the words of the minibatch, not V).
/// The same allreduce carries two flags, so that every rank takes the same
/// decision: "a rank was asked to stop" and "rank 0's clock says a checkpoint is due".
///
/// Learned priors (Model::learned_names, a family's key set to auto): after the
/// update of λ, each moves by ρ_t times the Newton step of the ELBO terms that
/// depend on it, at this step's statistics (Model::learned_objective); a step
/// that would leave a value ≤ 0, or lower those terms, is halved until it does
/// not (backtracking, at most kMostHalvings times, else the prior stays), and
/// counted ("<name>_shortened" in /history and the progress lines). A learned
/// parameter of λ's prior moves λ's base with the steps (GlobalParams::move_base).
///
/// solver.schedule = adaptive: ρ_t from the averages of the noisy natural
/// gradient (AdaptiveStep); the first step computes the statistics of its
/// minibatch in AdaptiveStep::kParts parts, by position in the minibatch.

#include <Eigen/Core>
#include <chrono>
#include <csignal>
#include <functional>
#include <optional>
#include <ostream>
#include <utility>
#include <vector>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/config/config.hpp"
#include "natgrad/io/model_file.hpp"
#include "natgrad/models/model.hpp"
#include "natgrad/solver/adaptive.hpp"
#include "natgrad/solver/minibatch.hpp"

namespace natgrad::solver {

/// The state of a run that a checkpoint keeps.
struct SviState {
  models::GlobalParams lambda;
  std::int64_t step = 0;
  std::int64_t docs_seen = 0;
  double train_seconds = 0.0;
  std::vector<io::HistoryRow> history;
  /// The step this run started from: 0, or the step of the model it continues
  /// (natgrad fit --init-model), whose schedule it goes on with.
  std::int64_t first_step = 0;
  /// What else the solver keeps (Svi::solver_state), or nothing (a fresh start's).
  io::Group solver_state;
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
  /// Most halvings of a learned prior's step before it is refused (the prior stays).
  static constexpr int kMostHalvings = 60;

  /// @param progress where rank 0 prints progress lines (null: silent)
  /// @param state    the state of a checkpoint to continue from (as restore(), without drawing λ's
  ///                 start first; then the constructor makes no collective call), or none: λ starts
  ///                 at Model::initial_global (collective)
  Svi(models::Model& model, comm::Communicator& comm, const config::SolverConfig& solver,
      std::int64_t eval_every, std::ostream* progress, std::optional<SviState> state = std::nullopt);

  /// The step the run ends at: first_step() + solver.max_steps, or + solver.epochs passes.
  std::int64_t total_steps() const { return first_step_ + run_steps_; }
  /// The step the run started from (SviState::first_step). Step t of the
  /// schedule and of the random streams takes minibatch t − first_step(), so
  /// that a continued run passes over its data from the start.
  std::int64_t first_step() const { return first_step_; }
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

  /// Continues from the state of a checkpoint (or of a model that this run
  /// continues); `state.lambda` has the model's size and blocks and base = η.
  void restore(SviState state);

  /// The current λ, in blocks of the model's global_block_size().
  const models::GlobalParams& lambda() const { return lambda_; }
  /// λ moved out, at the end of a run (the solver is of no further use).
  models::GlobalParams take_lambda() { return std::move(lambda_); }
  std::int64_t steps_done() const { return step_; }
  /// Data visited by the steps so far.
  std::int64_t docs_seen() const { return docs_seen_; }
  /// Wall seconds spent in step() so far.
  double train_seconds() const { return train_seconds_; }
  /// Passes over the data since first_step().
  double epochs_done() const { return batches_.epochs_after(step_ - first_step_); }
  /// Where the steps of this process's run went (since its start or restart;
  /// not saved in checkpoints): this rank's seconds in the local step, in the
  /// allgather and allreduce (waiting for slower ranks included), the
  /// blocks of λ the steps touched (|U|) and the statistics they allreduced
  /// (|U| blocks and the tail), summed over steps.
  struct StepProfile {
    std::int64_t steps = 0;
    double local_seconds = 0.0;
    double comm_seconds = 0.0;
    double total_seconds = 0.0;
    std::int64_t touched_blocks = 0;
    std::int64_t reduced_values = 0;
  };
  const StepProfile& profile() const { return profile_; }
  const std::vector<io::HistoryRow>& history() const { return history_; }
  /// The names of /history's further columns: the model's (Model::extra_names), then those of the
  /// learned priors (a vector prior: <name>_mean, _min, _max; one value: <name>; then <name>_shortened).
  std::vector<std::string> extra_names() const;
  /// What a checkpoint keeps of the solver beside λ (under /solver/state).
  io::Group solver_state() const;

 private:
  /// Throws AgreedError naming the step and the first non-finite entry of
  /// `values`: the blocks touched_, one after the other, then the tail.
  void check_finite(const Eigen::Ref<const Eigen::VectorXd>& values, const char* what) const;
  /// Throws AgreedError naming the step and the first non-finite entry of λ (all of it).
  [[noreturn]] void lambda_not_finite() const;
  /// The error for a non-finite `value` at entry `index` of `what` (λ or s), the same on every rank.
  comm::AgreedError not_finite(double value, Eigen::Index index, const char* what) const;
  /// restore() but for λ, which is already in place.
  void resume(SviState state);
  /// Has the model use λ (Model::set_global); an error there (a λ it cannot
  /// use) becomes an AgreedError naming `when`.
  void set_global(const std::string& when);
  /// The learned priors' steps, from their statistics in s (summed over `batch` data).
  void learn_priors(std::span<const double> stats, double batch);
  /// The step size of this step, for the statistics of its `parts` parts (one, but for the adaptive
  /// schedule's first step) in reduced_, each `m` entries; sums the parts into the first.
  double step_rate(std::size_t parts, Eigen::Index m, double scale);
  /// The learned priors' columns of a /history row.
  std::vector<double> learned_columns() const;

  models::Model& model_;
  comm::Communicator& comm_;
  config::SolverConfig solver_;
  std::int64_t eval_every_;
  std::ostream* progress_;
  MinibatchSequence batches_;
  std::int64_t run_steps_;                 ///< steps from first_step_ to the end
  std::int64_t first_step_ = 0;
  Eigen::Index block_size_;                ///< entries of λ per block
  Eigen::Index tail_size_;                 ///< entries of λ after the blocks, updated at every step
  std::vector<Eigen::Index> dependent_;    ///< the model's dependent prior positions
  std::vector<Eigen::VectorXd> shifts_;    ///< η(λ) − η at each of them, for every block, at the step's start
  std::vector<std::string> learned_;       ///< the model's learned priors
  std::vector<bool> learned_vector_;       ///< per learned prior: whether it has more than one value
  Eigen::Index learned_stats_;             ///< entries of s after the tail, for the learned priors
  std::vector<std::int64_t> shortened_;    ///< per learned prior: its steps shortened so far
  bool prior_moves_ = false;               ///< whether a learned prior is one of λ's prior
  Eigen::VectorXd prior_;                  ///< η_t, λ's prior at the step's start (when prior_moves_)
  std::optional<AdaptiveStep> adaptive_;   ///< solver.schedule = adaptive
  bool adaptive_started_ = false;          ///< whether its averages have started (the first step done)
  models::GlobalParams lambda_;
  std::vector<std::int64_t> touched_;      ///< U: the blocks of λ the last step touched, increasing
  std::vector<double> reduced_;            ///< s of the blocks U, then the two flags (keeps its capacity)
  DistinctBlocks distinct_;                ///< sorts each step's blocks and drops repeats
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
  StepProfile profile_;
};

}  // namespace natgrad::solver
