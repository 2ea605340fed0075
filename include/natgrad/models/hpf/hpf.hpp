#pragma once
/// @file Hierarchical Poisson factorization (Gopalan, Hofman & Blei, "Scalable
/// Recommendation with Hierarchical Poisson Factorization", UAI 2015) for SVI.
///
/// Users u are the rows (documents) of a corpus, items i its columns (words),
/// y_ui the counts. With K factors:
///     ξ_u ~ Gamma(a′, a′/b′),  θ_uk ~ Gamma(a, ξ_u)      (user activity, preferences)
///     η_i ~ Gamma(c′, c′/d′),  β_ik ~ Gamma(c, η_i)      (item popularity, attributes)
///     y_ui ~ Poisson(Σ_k θ_uk β_ik),
/// Gamma(shape, rate). Global factors: q(β_ik) = Gamma(λˢ_ik, λʳ_ik) and
/// q(η_i) = Gamma(c′ + K c, τ_i); local factors of user u: q(θ_uk) =
/// Gamma(γˢ_uk, γʳ_uk), q(ξ_u) = Gamma(a′ + K a, κ_u), and the multinomial
/// φ_ui over the K factors of each non-zero y_ui (the auxiliary counts of the
/// Poisson, y_ui φ_uik).
///
/// The rates are separable: the step λʳ_ik ← (1 − ρ) λʳ_ik + ρ (E[η_i] + N/|B| Σ_{u∈B} E[θ_uk])
/// keeps λʳ_ik = h_i + g_k with an item part h_i (whose target is E[η_i]) and
/// a part g_k shared by every item (whose target is N/|B| Σ_{u∈B} E[θ_uk],
/// zeros included). λ is stored as
///     block i = (λˢ_i1, ..., λˢ_iK, h_i)  for the I items,  then the tail g_1..g_K,
/// so that the shape statistics Σ_u y_ui φ_uik fill the blocks of the items
/// the minibatch touches, the rate statistic Σ_u E[θ_uk] the tail, and the
/// item part's prior term E[η_i] is a prior that depends on λ (Model::
/// dependent_prior_positions). q(η_i) is kept at its optimum given q(β_i),
///     τ_i = c′/d′ + Σ_k E[β_ik],
/// a closed form in O(K) (η_i has no data of its own, so this is the step of
/// SVI with ρ = 1, exact). The step is exact SVI: every item's rate and
/// popularity change at every step, at a cost of O(I·K) per step (the sums
/// A_i = Σ_k E[β_ik] and B_k = Σ_i E[β_ik], one pass over λ); see the README.

#include <array>
#include <optional>
#include <span>
#include <vector>

#include "natgrad/io/corpus.hpp"
#include "natgrad/models/model.hpp"

namespace natgrad::models {

/// The hyperparameters a, a′, b′ (users) and c, c′, d′ (items), all > 0.
struct HpfPrior {
  double a = 0.3;
  double a_prime = 0.3;
  double b_prime = 1.0;
  double c = 0.3;
  double c_prime = 0.3;
  double d_prime = 1.0;
};

struct HpfOptions {
  std::int64_t factors = 0;        ///< K ≥ 1
  HpfPrior prior;
  int local_max_iters = 100;       ///< most iterations of a user's local step
  double local_tol = 1e-3;         ///< stop when the mean |Δγˢ_uk| over k is below this
  int threads = 1;                 ///< OpenMP threads of the local steps and of the pass over the items
  std::int64_t top_k = 20;         ///< k of precision@k, recall@k and NDCG@k
  std::int64_t ranking_users = 0;  ///< the users ranked: every ⌈N / ranking_users⌉-th (0: all)
};

/// What the local steps and the scores read of the items, from λ (computed by hpf_items).
struct HpfItems {
  Eigen::Index factors = 0;
  Eigen::Index items = 0;
  Eigen::VectorXd beta_sum;    ///< K: B_k = Σ_i E[β_ik]
  Eigen::VectorXd popularity;  ///< I: E[η_i] = (c′ + K c) / τ_i
  Eigen::VectorXd beta_total;  ///< I: A_i = Σ_k E[β_ik], τ_i = c′/d′ + A_i
  Eigen::MatrixXd exp_elog;    ///< K × I: exp(E[log β_ik]) = exp(ψ(λˢ_ik)) / λʳ_ik (the columns set_columns made)
};

/// λ's three tensors (shape [I, K], rate_item [I], rate_shared [K]) of the flat λ in blocks of K + 1.
io::Layout hpf_layout(Eigen::Index factors, Eigen::Index items);

/// The static prior η in λ's flat layout: c at every shape, 0 at the rates (the item part's
/// prior term E[η_i] depends on λ: HpfModel::dependent_prior).
Eigen::VectorXd hpf_prior(Eigen::Index factors, Eigen::Index items, const HpfPrior& prior);

/// The sums of HpfItems from λ (not exp_elog): one pass over the I blocks (threads:
/// chunks of items, summed in order, so that the sums do not depend on the thread count).
void hpf_items(const GlobalParams& lambda, const HpfPrior& prior, int threads, HpfItems& out);

/// Sets columns `ids` of out.exp_elog (K × I) from λ.
void hpf_set_columns(const GlobalParams& lambda, std::span<const std::int32_t> ids, HpfItems& out);

/// E[β] of every item (K × I).
Eigen::MatrixXd hpf_expected_beta(const GlobalParams& lambda);

/// E[y_ui] = Σ_k E[θ_uk] E[β_ik] of item i, with E[β_i] from λ (K operations).
double hpf_expected_count(const GlobalParams& lambda, Eigen::Index item, const Eigen::ArrayXd& expected_theta);

/// The local factors of one user, and scratch space reused across users.
struct HpfWorkspace {
  Eigen::MatrixXd beta_u;       ///< K × n: exp(E[log β]) of the user's items
  Eigen::ArrayXd counts;        ///< n: y_ui
  Eigen::ArrayXd phinorm;       ///< n: Σ_k e_k exp(E[log β_ik])
  Eigen::ArrayXd weights;       ///< n: y_ui / phinorm_i
  Eigen::ArrayXd exp_theta;     ///< K: e_k = exp(E[log θ_uk] − m), largest entry 1
  double log_scale = 0.0;       ///< m = max_k E[log θ_uk] (after hpf_local_step)
  Eigen::ArrayXd t;             ///< K: Σ_i exp(E[log β_ik]) y_ui / phinorm_i
  Eigen::ArrayXd shape;         ///< K: γˢ_u
  Eigen::ArrayXd rate;          ///< K: γʳ_u
  double activity_rate = 0.0;   ///< κ_u of q(ξ_u) = Gamma(a′ + K a, κ_u)
  std::int64_t iterations = 0;  ///< inner iterations run, summed over users
};

/// The mean-field iteration of one user (Gopalan et al.'s local updates),
/// from the fixed start E[ξ_u] = b′, φ_ui ∝ exp(E[log β_i]) (E[log θ_u] = 0),
/// each iteration one coordinate ascent sweep:
///     γˢ_uk = a + Σ_i y_ui φ_uik,   γʳ_uk = E[ξ_u] + B_k,
///     κ_u = a′/b′ + Σ_k E[θ_uk],    E[ξ_u] = (a′ + K a) / κ_u,
///     φ_uik ∝ exp(E[log θ_uk] + E[log β_ik]),
/// until the mean |Δγˢ_uk| over k is below tol, or max_iters sweeps. Leaves the
/// user's factors in ws, and e and phinorm of the final θ (φ_uik = e_k β̃_ik / phinorm_i).
/// @param items, counts  the user's non-zero items and their counts (n each); items must
///                       have their columns of exp_elog set
void hpf_local_step(const HpfItems& beta, std::span<const std::int32_t> items, std::span<const std::int32_t> counts,
                    const HpfOptions& options, HpfWorkspace& ws);

/// The user's terms of the ELBO after hpf_local_step (φ optimal for the final θ):
///     Σ_i [y_ui log Σ_k exp(E[log θ_uk] + E[log β_ik]) − log y_ui!] − Σ_k E[θ_uk] B_k
///     + Σ_k (E[log p(θ_uk | ξ_u)] + H[q(θ_uk)]) + E[log p(ξ_u)] + H[q(ξ_u)].
double hpf_elbo_terms(std::span<const std::int32_t> counts, const HpfItems& beta, const HpfOptions& options,
                      const HpfWorkspace& ws);

/// The sums the held-out scores of users are made of, in this order:
///   0 Σ over held-out non-zeros y_ui of log Poisson(y_ui | Σ_k E[θ_uk] E[β_ik]),
///   1 the number of held-out non-zeros,
///   2 Σ over ranked users of precision@k = hits / min(k, held-out items),
///   3 Σ recall@k = hits / held-out items, 4 Σ NDCG@k (binary relevance), 5 the users ranked.
/// A user's θ comes from the local step on its training entries; a ranked user
/// (one with held-out entries, a multiple of the stride) has every item not in
/// its training entries ranked by E[θ_u]·E[β_i] (ties by item id).
inline constexpr std::size_t kHpfScoreSums = 6;
using HpfScores = std::array<double, kHpfScoreSums>;

/// hpf_heldout_sums of the users of `heldout` (rows first_doc .. of both corpora, the same users).
/// @param beta          with the columns of every item of `train`'s users set
/// @param ranking_beta  hpf_expected_beta of the same λ, in single precision
/// @param ws            one per thread; the sums do not depend on the thread count
HpfScores hpf_heldout_sums(const HpfItems& beta, const GlobalParams& lambda, const Eigen::MatrixXf& ranking_beta,
                           const io::Corpus& train, const io::Corpus& heldout, const HpfOptions& options,
                           std::vector<HpfWorkspace>& ws);

/// The top `n` items of each user u (column u of `theta`, E[θ_u], K × m) by
/// E[θ_u]·E[β_i] among the items not in exclude[u] (sorted ids), best first,
/// ties by item id (fewer if fewer items remain), in top[u]. One single-precision
/// matrix product per chunk of users, the chunks spread over `threads`: the
/// scores only order the items; the result does not depend on the thread count.
void hpf_rank(const Eigen::MatrixXf& ranking_beta, const Eigen::MatrixXf& theta,
              const std::vector<std::span<const std::int32_t>>& exclude, std::int64_t n, int threads,
              std::vector<std::vector<std::int32_t>>& top);

/// The names of the extra /history columns: precision_at_K, recall_at_K, ndcg_at_K.
std::vector<std::string> hpf_metric_names(std::int64_t top_k);

class HpfModel final : public Model {
 public:
  /// @param train   this rank's shard of the training users
  /// @param heldout this rank's shard of the same users' held-out entries, if any
  ///                (same users and items: split with --holdout-fraction)
  HpfModel(io::Corpus train, std::optional<io::Corpus> heldout, const HpfOptions& options,
           std::int64_t total_counts = 0);

  std::string type() const override { return "hpf"; }
  std::string item_name() const override { return "users"; }
  std::string item_plural() const override { return "users"; }
  std::string description() const override;
  std::int64_t num_train() const override { return train_.total_docs; }
  Range train_shard() const override { return {train_.first_doc, train_.first_doc + train_.num_docs()}; }
  Eigen::Index global_size() const override { return items_ * (factors_ + 1) + factors_; }
  io::Layout layout() const override { return hpf_layout(factors_, items_); }
  io::Group file_contents(const Eigen::VectorXd& lambda) const override;
  std::string describe_index(Eigen::Index index) const override;
  Eigen::VectorXd prior() const override;
  Eigen::VectorXd initial_global(std::uint64_t seed, int part, int parts) const override;
  Eigen::Index global_block_size() const override { return factors_ + 1; }
  Eigen::Index global_tail_size() const override { return factors_; }
  std::vector<Eigen::Index> dependent_prior_positions() const override { return {factors_}; }
  void dependent_prior(Eigen::Index position, Eigen::Ref<Eigen::VectorXd> shift) const override;
  void touched_blocks(std::span<const std::int64_t> ids, std::vector<std::int64_t>& blocks) const override;
  void set_global(const GlobalParams& lambda) override;
  void add_local_stats(std::span<const std::int64_t> ids, std::span<const std::int64_t> blocks,
                       Eigen::Ref<Eigen::VectorXd> stats) override;
  ScoreSum heldout_partial() override;
  double heldout_metric(const ScoreSum& total) const override;
  std::string heldout_name() const override { return "heldout_loglik"; }
  std::vector<std::string> extra_names() const override { return hpf_metric_names(options_.top_k); }
  std::vector<double> extra_partial() override;
  std::vector<double> extra_values(const std::vector<double>& total) const override;
  double elbo_local_partial() override;
  double elbo_global() const override;

  Eigen::Index factors() const { return factors_; }
  Eigen::Index items() const { return items_; }
  const HpfItems& item_sums() const { return beta_; }

 private:
  /// Makes the columns `ids` of beta_.exp_elog current.
  void refresh_columns(std::span<const std::int32_t> ids);
  /// hpf_heldout_sums at the current λ, computed once per λ (heldout_partial and extra_partial share it).
  const HpfScores& scores();

  Eigen::Index factors_;
  Eigen::Index items_;
  std::int64_t total_counts_;
  HpfOptions options_;
  io::Corpus train_;
  std::optional<io::Corpus> heldout_;
  const GlobalParams* lambda_ = nullptr;
  HpfItems beta_;
  std::vector<std::uint64_t> column_version_;
  std::uint64_t version_ = 0;          ///< incremented by set_global
  std::uint64_t scores_version_ = 0;   ///< the version_ of scores_
  HpfScores scores_{};
  std::vector<HpfWorkspace> ws_;       ///< one per thread
  std::vector<std::int32_t> stale_, items_of_batch_, columns_;
  std::vector<std::int32_t> slot_;     ///< I: the block of item i in the last add_local_stats' `stats`
  std::vector<double> user_theta_;     ///< scratch: K × users, e of each user
  std::vector<double> user_weights_;   ///< scratch: y_ui / phinorm_i of their items
  std::vector<double> user_mean_;      ///< scratch: K × users, E[θ_u]
};

}  // namespace natgrad::models
