#pragma once
/// @file What the SVI solver needs of a conjugate-exponential model.
///
/// The global variational factor q(β) has natural parameter λ and the prior
/// has natural parameter η, both flat vectors of global_size(); a model gives
/// them named views. The solver owns λ (as GlobalParams) and the update
///     λ ← λ + ρ_t (η + N/|B| · s − λ);
/// a model turns a minibatch and the current mean parameters into the
/// expected sufficient statistics s (the local step), and scores held-out data.
/// λ is cut into blocks of global_block_size() consecutive entries; s is zero
/// outside the blocks that the minibatch touches (touched_blocks), is only
/// held for those blocks, and a step costs time in those blocks only. Virtual calls happen once per minibatch,
/// never per datum.
///
/// Two generalisations, unused by default: λ may end in a tail of entries
/// after its blocks (global_tail_size(): shared parameters whose statistics
/// every minibatch fills, updated in full at every step, their statistics
/// carried after the blocks' in the same allreduce); and the prior term of
/// some positions of every block may depend on other global parameters (a
/// hierarchical prior, dependent_prior_positions()): the step is then
///     λ ← λ + ρ_t (η(λ) + N/|B| · s − λ)
/// with η(λ) at the λ of the step's start.
///
/// Prior parameters may be learned by empirical Bayes (a family's job key set
/// to `auto`, learned_names()): each step, after λ's update, the solver moves
/// each by ρ_t times the Newton step of the ELBO terms that depend on it
/// (learned_objective), from statistics that the local step adds after the
/// tail of s (learned_stats_size(): summed in the same allreduce) and from λ.
/// A learned parameter of λ's prior η (learned_in_prior) moves λ's base with
/// the step: λ ← λ + ρ_t (η_t + N/|B| · s − λ), η_t the prior at the step's start.

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "natgrad/expfam/prior_objective.hpp"
#include "natgrad/io/group.hpp"
#include "natgrad/io/layout.hpp"
#include "natgrad/io/model_file.hpp"
#include "natgrad/models/global_params.hpp"

namespace natgrad::models {

/// Global datum ids [begin, end).
struct Range {
  std::int64_t begin = 0;
  std::int64_t end = 0;
};

/// A held-out score summed over data: Σ of per-item log scores and the item count.
struct ScoreSum {
  double log_score = 0.0;
  double count = 0.0;
};

class Model {
 public:
  virtual ~Model() = default;
  /// Name of the model type, as in model.type.
  virtual std::string type() const = 0;
  /// What the data are made of, for progress lines ("docs", "points") and in
  /// full ("documents", "points").
  virtual std::string item_name() const = 0;
  virtual std::string item_plural() const = 0;
  /// One line for the fit's first line: the model and its data (its type,
  /// sizes, and the data's: "K = 20, 3087 documents, 6906 words, ...").
  virtual std::string description() const = 0;
  /// N: training data over all ranks.
  virtual std::int64_t num_train() const = 0;
  /// The training data held by this rank.
  virtual Range train_shard() const = 0;
  /// Length of λ, η and s: blocks of global_block_size() entries, then the tail.
  virtual Eigen::Index global_size() const = 0;
  /// λ as named tensors (layout().size == global_size()): what the model file
  /// holds as /model/<name>, and the views the family reaches λ through.
  virtual io::Layout layout() const = 0;
  /// Takes from a checkpoint, before the run continues from it, what the model
  /// keeps beside λ and must continue with (the mixture: the prior and the
  /// coordinates its run was fitted in). Nothing by default.
  virtual void adopt(const io::ModelFile& /*file*/) {}
  /// Bytes this rank's model allocates once it sees λ (set_global) and in its
  /// steps, beyond λ and the solver's copies of it (a topic model: its float
  /// copy of exp(E[log β])); the job checks them against the memory a rank
  /// can have before allocating anything of the size of λ.
  virtual double state_bytes() const { return 0.0; }
  /// What the model file holds under /model besides λ's tensors, for the
  /// given λ: the family's attributes (its sizes), its priors and derived
  /// datasets for readers.
  virtual io::Group file_contents(const Eigen::VectorXd& lambda) const = 0;
  /// Names entry `index` of λ (and of s) for messages, e.g. "topic 3, word id 17".
  virtual std::string describe_index(Eigen::Index index) const = 0;
  /// Prior natural parameter η: all global_size() entries, or, when it is the same in every block,
  /// that block and the tail (global_block_size() + global_tail_size() entries; a topic model: K
  /// values), the form GlobalParams keeps a base in.
  virtual Eigen::VectorXd prior() const = 0;
  /// Initial λ, a function of the seed only, right at least in part `part` of `parts`: the positions
  /// comm::shard_of(global_block_size(), part, parts) of every block, and the tail for part 0. The
  /// other entries are ignored: each rank computes its part and Communicator::share_rows sends it to
  /// the others, so that every rank has the same λ, bit for bit, at any number of ranks. A family
  /// computes all of λ where that is cheap; a topic model draws the part's topics only.
  virtual Eigen::VectorXd initial_global(std::uint64_t seed, int part, int parts) const = 0;
  /// Entries of λ per block, dividing global_size() − global_tail_size(): a topic model: K (the
  /// topics of one word); a model whose statistics fill all of λ at every step: global_size().
  virtual Eigen::Index global_block_size() const = 0;
  /// Entries of λ after the blocks that every step updates in full (0 by default): shared
  /// parameters whose statistics every minibatch has, e.g. a factor model's rates shared by all items.
  virtual Eigen::Index global_tail_size() const { return 0; }
  /// Positions p (0 ≤ p < global_block_size()) whose prior term depends on other global
  /// parameters, in every block (none by default): a hierarchical prior, e.g. a per-item
  /// popularity in Poisson factorization. The step adds ρ_t (η_bp(λ) − η_bp) at each of them,
  /// for every block b, with η_bp(λ) at the λ of the step's start and η_bp = prior().
  virtual std::vector<Eigen::Index> dependent_prior_positions() const { return {}; }
  /// η_bp(λ) − η_bp for every block b (num blocks entries) at position p of
  /// dependent_prior_positions(), at the λ of the last set_global.
  virtual void dependent_prior(Eigen::Index /*position*/, Eigen::Ref<Eigen::VectorXd> /*shift*/) const {}
  /// Appends to `blocks` (in any order, repeats allowed) the blocks of λ that
  /// add_local_stats(ids, ...) adds to.
  virtual void touched_blocks(std::span<const std::int64_t> ids, std::vector<std::int64_t>& blocks) const = 0;
  /// Makes λ current: recomputes the mean parameters that the local step uses
  /// (as far as it needs them now; the rest when it does). `lambda` is
  /// global_size() entries in blocks of global_block_size(), and stays alive and
  /// unchanged until the next call.
  virtual void set_global(const GlobalParams& lambda) = 0;
  /// Local step: adds Σ_{n ∈ ids} E_q(z_n)[t(x_n, z_n)] to `stats`, which holds
  /// the blocks `blocks` one after the other (block blocks[j] at entry
  /// j·global_block_size()), then the tail (global_tail_size() entries), then
  /// the learned priors' statistics (learned_stats_size() entries); `blocks`
  /// are distinct and include every block that touched_blocks(ids) names, and are
  /// the same on every rank. `ids` are global ids inside train_shard(). The
  /// local step starts from a fixed point: no randomness, so that the result
  /// is a function of λ and the data alone.
  virtual void add_local_stats(std::span<const std::int64_t> ids, std::span<const std::int64_t> blocks,
                               Eigen::Ref<Eigen::VectorXd> stats) = 0;
  /// This rank's part of the held-out score at the current λ (zero without held-out data).
  virtual ScoreSum heldout_partial() = 0;
  /// The held-out metric from the score summed over all ranks.
  virtual double heldout_metric(const ScoreSum& total) const = 0;
  /// Name of that metric ("perplexity", ...).
  virtual std::string heldout_name() const = 0;
  /// Further columns of each evaluation row of /history and of the progress
  /// lines, after the held-out metric (none by default): their names, fixed
  /// for the run; this rank's part of the sums they are made of (the same
  /// length on every rank; the solver sums them over the ranks with the
  /// held-out score); and their values from those sums over all ranks (and
  /// the current λ).
  virtual std::vector<std::string> extra_names() const { return {}; }
  virtual std::vector<double> extra_partial() { return {}; }
  virtual std::vector<double> extra_values(const std::vector<double>& /*total*/) const { return {}; }
  /// Names of the prior parameters this model learns (its keys set to auto; none by default), in a
  /// fixed order j = 0, 1, ...: "alpha", "eta".
  virtual std::vector<std::string> learned_names() const { return {}; }
  /// Entries that add_local_stats adds after the tail of s for the learned priors (0 by default).
  virtual Eigen::Index learned_stats_size() const { return 0; }
  /// The values of learned prior j (a vector, or one value).
  virtual Eigen::VectorXd learned_value(std::size_t /*j*/) const { return {}; }
  /// The ELBO's terms that learned prior j maximises at this step, from `stats` (the
  /// learned_stats_size() entries of s, summed over the step's `batch` data on all ranks)
  /// and the current λ (after the step's update: set_global).
  virtual std::unique_ptr<expfam::PriorObjective> learned_objective(std::size_t /*j*/,
                                                                    std::span<const double> /*stats*/,
                                                                    double /*batch*/) const {
    return nullptr;
  }
  /// Sets learned prior j (values finite and > 0).
  virtual void set_learned(std::size_t /*j*/, const Eigen::VectorXd& /*value*/) {}
  /// Whether learned prior j is a parameter of λ's prior η (prior() changes with it).
  virtual bool learned_in_prior(std::size_t /*j*/) const { return false; }
  /// This rank's share of the ELBO's data terms at the current λ, with the
  /// local factors of its training data optimised.
  virtual double elbo_local_partial() = 0;
  /// The ELBO's global terms at the current λ: E_q[log p(β)] − E_q[log q(β)].
  virtual double elbo_global() const = 0;
};

}  // namespace natgrad::models
