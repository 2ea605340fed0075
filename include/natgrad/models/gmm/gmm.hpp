#pragma once
/// @file A Bayesian Gaussian mixture (Bishop 2006, §10.2) for SVI.
///
/// Global factors: q(π) = Dir(α) over the K mixture weights and, per component,
/// q(μ_k, Λ_k) = N(μ_k | m_k, (β_k Λ_k)⁻¹) W(Λ_k | W_k, ν_k) (model.covariance =
/// full), or a product over the D dimensions of Normal-Gammas (diag). Local
/// factor of point x_n: q(z_n) = Cat(r_n), the responsibilities.
///
/// λ is stored in pseudo-count coordinates, an affine image of the natural
/// parameters (so the SVI update λ ← λ + ρ(η + N/|B|·s − λ) is the same in
/// either), as the tensors of gmm_layout():
///     weight_concentration α_k, mean_precision β_k, degrees_of_freedom ν_k,
///     beta_mean b_k = β_k m_k (D), scatter C_k = W_k⁻¹ + β_k m_k m_kᵀ (D × D, or its diagonal)
/// and its statistics in the same layout are
///     N_k, N_k, N_k, Σ_n r_nk x_n, Σ_n r_nk x_n x_nᵀ (or Σ_n r_nk x_n²),  N_k = Σ_n r_nk.
/// The code reaches them through GmmViews, named views made from the layout.

#include <optional>
#include <vector>

#include "natgrad/expfam/normal_wishart.hpp"
#include "natgrad/io/dense.hpp"
#include "natgrad/io/layout.hpp"
#include "natgrad/io/model_file.hpp"
#include "natgrad/models/model.hpp"

namespace natgrad::models {

/// The prior, the same for every component: Dir(α₀ 1) on the weights and
/// N(μ | m₀, (β₀Λ)⁻¹) W(Λ | W₀, ν₀) on each component.
struct GmmPrior {
  double weight_concentration = 0.0;  ///< α₀ > 0
  double mean_precision = 0.0;        ///< β₀ > 0
  Eigen::VectorXd mean;               ///< m₀ (D)
  double degrees_of_freedom = 0.0;    ///< ν₀ > D − 1
  Eigen::MatrixXd scale;              ///< W₀⁻¹ (D × D, SPD; diagonal for diag)
};

/// The coordinates the mixture is fitted in: x' = (x − shift) / scale, column
/// by column, the data centred and scaled so that offsets (timestamps near
/// 10⁹) and units (a column in 10⁻⁶) cost no precision: λ and the prior are in
/// these coordinates; means, covariances and densities are reported in the
/// data's. Empty vectors: the data's own coordinates.
struct GmmCoordinates {
  Eigen::VectorXd shift;  ///< D
  Eigen::VectorXd scale;  ///< D, > 0

  bool identity() const { return shift.size() == 0; }
  /// The columns of x (D × n, data units) in these coordinates.
  Eigen::MatrixXd to(const Eigen::Ref<const Eigen::MatrixXd>& x) const;
  /// log |dx'/dx| = −Σ_j log scale_j: added to a density of x' it gives the density of x.
  double log_jacobian() const;
  /// A prior given in data units, in these coordinates, and back.
  GmmPrior to(const GmmPrior& p) const;
  GmmPrior from(const GmmPrior& p) const;
  /// A mean m' and a covariance (or its diagonal) Σ' in these coordinates, in data units.
  Eigen::VectorXd mean_from(const Eigen::VectorXd& m) const;
  Eigen::MatrixXd covariance_from(const Eigen::MatrixXd& sigma) const;
};

struct GmmOptions {
  Eigen::Index components = 0;  ///< K ≥ 1
  bool diagonal = false;        ///< diag covariances (Normal-Gamma) instead of full (Normal-Wishart)
  GmmPrior prior;               ///< in `coordinates`
  GmmCoordinates coordinates;
  bool learn_weight_concentration = false;  ///< model.weight_concentration = auto: α₀ learned, from prior's on
};

/// λ's layout for K components of dimension D, component k owning entries
/// [k·s, (k+1)·s), s = 3 + D + Q (Q = D² for full covariances, D for diag):
///   weight_concentration [K], mean_precision [K], degrees_of_freedom [K] (offsets 0, 1, 2),
///   beta_mean [K, D] (offset 3), scatter [K, D, D] (diag [K, D]; offset 3 + D, each
///   component's matrix column-major, which for a symmetric matrix is also row-major).
io::Layout gmm_layout(Eigen::Index components, Eigen::Index dim, bool diagonal);

/// Named views of a vector in λ's layout (λ, η or s), made from gmm_layout():
/// the index of each scalar part of component k, and the first index of its
/// contiguous parts (beta_mean: D entries; scatter: Q entries, column-major).
class GmmViews {
 public:
  GmmViews(Eigen::Index components, Eigen::Index dim, bool diagonal);
  const io::Layout& layout() const { return layout_; }
  Eigen::Index dim() const { return dim_; }
  /// Entries of a component's scatter: D² (full) or D (diag).
  Eigen::Index scatter_size() const { return q_; }
  Eigen::Index weight_concentration(Eigen::Index k) const { return layout_.tensors[0].at({k}); }
  Eigen::Index mean_precision(Eigen::Index k) const { return layout_.tensors[1].at({k}); }
  Eigen::Index degrees_of_freedom(Eigen::Index k) const { return layout_.tensors[2].at({k}); }
  Eigen::Index beta_mean(Eigen::Index k) const { return layout_.tensors[3].at({k, 0}); }
  Eigen::Index scatter(Eigen::Index k) const { return scatter_.at({k, 0, 0}); }

 private:
  io::Layout layout_;
  Eigen::Index dim_;
  Eigen::Index q_;
  io::Tensor scatter_;  ///< the scatter tensor, with a trailing dimension of 1 for diag so that at({k, 0, 0}) works
};

/// What a model file of a mixture says of its sizes, prior and coordinates
/// (/model's attributes, /model/prior in data units, /model/coordinates): the
/// options of its model, the prior in its coordinates.
/// @throws natgrad::Error naming the file and what is missing or out of range
GmmOptions gmm_options_of(const io::ModelFile& file);

/// Where the fit starts: each component as if N/K points with mean means.col(k)
/// and covariance `covariance` had been assigned to it.
struct GmmStart {
  Eigen::MatrixXd means;       ///< D × K
  Eigen::MatrixXd covariance;  ///< D × D, SPD
};

/// Centres of K clusters of `sample` (D × M, M ≥ K): the best of 4 runs of
/// greedy k-means++ seeding (Arthur & Vassilvitskii 2007) and 20 Lloyd
/// iterations, with random numbers keyed by `seed` only; the covariance is the
/// pooled within-cluster covariance plus 1e-6·I.
GmmStart gmm_start(const Eigen::MatrixXd& sample, Eigen::Index components, std::uint64_t seed);

/// Global ids of the rows gmm_start looks at: min(N, max(1000, 20 K)) rows,
/// one drawn uniformly from each of that many equal strata of [0, N).
std::vector<std::int64_t> gmm_start_rows(std::int64_t num_rows, Eigen::Index components, std::uint64_t seed);

class GmmModel final : public Model {
 public:
  /// @param train   this rank's rows of the training data
  /// @param heldout this rank's rows of the held-out data, if any (same D)
  GmmModel(io::DenseData train, std::optional<io::DenseData> heldout, GmmOptions options, GmmStart start);

  std::string type() const override { return "gmm"; }
  std::string item_name() const override { return "points"; }
  std::string item_plural() const override { return "points"; }
  std::string description() const override;
  std::int64_t num_train() const override { return train_.total_rows; }
  Range train_shard() const override { return {train_.first_row, train_.first_row + train_.num_rows()}; }
  Eigen::Index global_size() const override { return views_.layout().size; }
  io::Layout layout() const override { return views_.layout(); }
  /// /model's attributes components, dim, covariance; the prior in data units (/model/prior:
  /// attributes weight_concentration, mean_precision, degrees_of_freedom; datasets mean [D],
  /// scale [D, D] or [D]); λ's coordinates (/model/coordinates: shift [D], scale [D], absent
  /// for the data's own); and, for readers, in data units, weights E[π] [K], means m_k [K, D]
  /// and covariances W_k⁻¹/ν_k [K, D, D] (diag [K, D]).
  io::Group file_contents(const Eigen::VectorXd& lambda) const override;
  /// A checkpoint's prior and coordinates: those its run fitted in.
  void adopt(const io::ModelFile& file) override;
  std::string describe_index(Eigen::Index index) const override;
  Eigen::VectorXd prior() const override;
  Eigen::VectorXd initial_global(std::uint64_t seed, int part, int parts) const override;
  /// Every step touches all of λ: one block.
  Eigen::Index global_block_size() const override { return global_size(); }
  void touched_blocks(std::span<const std::int64_t> ids, std::vector<std::int64_t>& blocks) const override;
  void set_global(const GlobalParams& lambda) override { set_lambda(lambda.dense()); }
  /// Makes λ current, given in full (global_size() entries).
  void set_lambda(const Eigen::VectorXd& lambda);
  void add_local_stats(std::span<const std::int64_t> ids, std::span<const std::int64_t> blocks,
                       Eigen::Ref<Eigen::VectorXd> stats) override;
  ScoreSum heldout_partial() override;
  /// The average log predictive density per held-out point.
  double heldout_metric(const ScoreSum& total) const override;
  std::string heldout_name() const override { return "heldout_loglik"; }
  double elbo_local_partial() override;
  double elbo_global() const override;
  /// model.weight_concentration = auto: "weight_concentration", α₀ of λ's prior, from
  /// Σ_k E[log π_k] of q(π) (one sample of Dir(α₀ 1_K)).
  std::vector<std::string> learned_names() const override;
  Eigen::VectorXd learned_value(std::size_t j) const override;
  std::unique_ptr<expfam::PriorObjective> learned_objective(std::size_t j, std::span<const double> stats,
                                                            double batch) const override;
  void set_learned(std::size_t j, const Eigen::VectorXd& value) override;
  bool learned_in_prior(std::size_t /*j*/) const override { return true; }

  Eigen::Index components() const { return components_; }
  Eigen::Index dim() const { return dim_; }
  const GmmViews& views() const { return views_; }
  /// The means m_k = b_k / β_k of λ, K × D, in data units.
  Eigen::MatrixXd means(const Eigen::VectorXd& lambda) const;

  /// Responsibilities r (n × K) of the columns of `x` (D × n, data units) at the current λ.
  void responsibilities(const Eigen::Ref<const Eigen::MatrixXd>& x, Eigen::MatrixXd& r) const;
  /// log Σ_k E[π_k] St_k(x_n) for each column of `x` (D × n, data units): the log predictive
  /// density, of x in data units.
  Eigen::ArrayXd log_predictive(const Eigen::Ref<const Eigen::MatrixXd>& x) const;

 private:
  /// The part of the ELBO of the columns of x (in the fit's coordinates), and if `stats` is not
  /// null their statistics added to it.
  double local_step(const Eigen::Ref<const Eigen::MatrixXd>& x, Eigen::VectorXd* stats) const;
  /// Responsibilities r of the columns of x (the fit's coordinates); returns Σ_n log Σ_k
  /// exp(E[log π_k] + E[log N(x_n | μ_k, Λ_k⁻¹)]), the data terms of the ELBO.
  double responsibilities_of(const Eigen::Ref<const Eigen::MatrixXd>& x, Eigen::MatrixXd& r) const;
  /// The factor of component k of λ.
  void make_component(const Eigen::VectorXd& lambda, Eigen::Index k);
  /// E_q[log N(x | μ_k, Λ_k⁻¹)] of the columns of x.
  Eigen::ArrayXd expected_log_normal(Eigen::Index k, const Eigen::Ref<const Eigen::MatrixXd>& x) const;

  Eigen::Index components_;
  Eigen::Index dim_;
  GmmOptions options_;
  GmmViews views_;
  GmmStart start_;
  io::DenseData train_;
  std::optional<io::DenseData> heldout_;
  Eigen::VectorXd lambda_;
  Eigen::ArrayXd elog_pi_;  ///< K: E[log π_k]
  Eigen::ArrayXd log_pi_bar_;  ///< K: log E[π_k]
  std::vector<expfam::NormalWishart> full_;  ///< K, for full covariances
  std::vector<expfam::NormalGamma> diag_;    ///< K, for diag covariances
};

}  // namespace natgrad::models
