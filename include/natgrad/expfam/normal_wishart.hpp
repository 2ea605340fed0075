#pragma once
/// @file The Normal-Wishart and the (diagonal) Normal-Gamma as exponential
/// families: the conjugate priors and variational factors of the component
/// means and precisions of a Bayesian Gaussian mixture.
///
/// Normal-Wishart over μ ∈ R^D and Λ SPD D×D:
///     q(μ, Λ) = N(μ | m, (βΛ)^{-1}) W(Λ | W, ν),   β > 0, ν > D − 1, W SPD,
/// with sufficient statistics T(μ, Λ) = (Λμ, μᵀΛμ, Λ, log|Λ|), base measure 1,
/// natural parameters
///     η = (β m, −β/2, −½ (W^{-1} + β m mᵀ), (ν − D)/2),
/// log-partition
///     A = −(D/2) log β + (D/2) log 2π + (νD/2) log 2 + (ν/2) log|W| + log Γ_D(ν/2),
/// log Γ_D(a) = D(D−1)/4 log π + Σ_{i=1..D} log Γ(a + (1−i)/2), and mean parameters
///     E[T] = (ν W m, D/β + ν mᵀWm, ν W, Σ_{i=1..D} ψ((ν+1−i)/2) + D log 2 + log|W|).
///
/// The models store the "pseudo-count coordinates" (β, b = βm, C = W^{-1} + βmmᵀ, ν),
/// an affine image of η, so the SVI step λ ← (1−ρ)λ + ρ λ̂ is the same in either.
///
/// Normal-Gamma: the product over d = 1..D of independent 1-D Normal-Gammas
///     q(μ_d, τ_d) = N(μ_d | m_d, (β_d τ_d)^{-1}) Gamma(τ_d | a_d, b_d),
/// which is the D = 1 Normal-Wishart per dimension with W_d = 1/(2 b_d), ν_d = 2 a_d.

#include <Eigen/Dense>

namespace natgrad::expfam {

/// Natural parameters of a Normal-Wishart: η1 = βm (D), η2 = −β/2,
/// η3 = −½ (W^{-1} + βmmᵀ) (D×D, symmetric), η4 = (ν − D)/2.
struct NormalWishartNatural {
  Eigen::VectorXd eta1;
  double eta2 = 0;
  Eigen::MatrixXd eta3;
  double eta4 = 0;
};

/// Mean parameters of a Normal-Wishart: E[Λμ] (D), E[μᵀΛμ], E[Λ] (D×D), E[log|Λ|].
struct NormalWishartMean {
  Eigen::VectorXd lambda_mu;
  double mu_lambda_mu = 0;
  Eigen::MatrixXd lambda;
  double log_det = 0;
};

/// A Normal-Wishart q(μ, Λ) = N(μ | m, (βΛ)^{-1}) W(Λ | W, ν) in D ≥ 1 dimensions.
/// Keeps the Cholesky factor of W^{-1} for log-determinants and quadratic forms.
class NormalWishart {
 public:
  /// From pseudo-count coordinates: beta = β, beta_mean = βm (D), scatter = W^{-1} + βmmᵀ (D×D,
  /// symmetric), dof = ν.
  /// @throws natgrad::Error naming the value at fault unless the sizes agree, every entry is finite,
  ///   β > 0, ν > D − 1 and W^{-1} = scatter − βmmᵀ is symmetric positive definite.
  NormalWishart(double beta, Eigen::VectorXd beta_mean, Eigen::MatrixXd scatter, double dof);

  /// From textbook parameters: β, m (D), W^{-1} (D×D SPD), ν; same checks as the constructor.
  static NormalWishart from_moments(double beta, const Eigen::VectorXd& mean, const Eigen::MatrixXd& scale_inv,
                                    double dof);
  /// From natural parameters: β = −2η2, βm = η1, W^{-1} + βmmᵀ = −2η3, ν = 2η4 + D.
  /// @throws natgrad::Error unless η2 < 0, η4 > −½ and the result is valid.
  static NormalWishart from_natural(const NormalWishartNatural& eta);
  /// Inverse of mean(): W = E[Λ]/ν, m = E[Λ]^{-1} E[Λμ], β = D / (E[μᵀΛμ] − mᵀE[Λμ]), and ν the
  /// root of Σ_i ψ((ν+1−i)/2) − D log(ν/2) = E[log|Λ|] − log|E[Λ]|, found by Newton's method
  /// safeguarded by bisection (the left side increases from −∞ to 0 on ν > D − 1).
  /// @throws natgrad::Error unless E[Λ] is SPD, E[μᵀΛμ] > E[Λμ]ᵀE[Λ]^{-1}E[Λμ] and
  ///   E[log|Λ|] < log|E[Λ]| (Jensen), which is what makes them mean parameters.
  static NormalWishart from_mean(const NormalWishartMean& mu);

  Eigen::Index dim() const { return mean_.size(); }
  double beta() const { return beta_; }
  double dof() const { return dof_; }
  /// m (D).
  const Eigen::VectorXd& mean_vector() const { return mean_; }
  /// W^{-1} (D×D).
  const Eigen::MatrixXd& scale_inv() const { return scale_inv_; }
  /// W (D×D), by Cholesky solves.
  Eigen::MatrixXd scale() const;
  /// log|W^{-1}| = −log|W| from the Cholesky factor.
  double log_det_scale_inv() const { return log_det_scale_inv_; }
  /// βm (D).
  Eigen::VectorXd beta_mean() const { return beta_ * mean_; }
  /// W^{-1} + βmmᵀ (D×D).
  Eigen::MatrixXd scatter() const;

  /// η = (βm, −β/2, −½ (W^{-1} + βmmᵀ), (ν − D)/2).
  NormalWishartNatural natural() const;
  /// A = −(D/2) log β + (D/2) log 2π + (νD/2) log 2 − (ν/2) log|W^{-1}| + log Γ_D(ν/2).
  double log_partition() const;
  /// E[T] = (νWm, D/β + ν mᵀWm, νW, Σ_i ψ((ν+1−i)/2) + D log 2 + log|W|) = ∇A(η).
  NormalWishartMean mean() const;
  /// E[log|Λ|] = Σ_{i=1..D} ψ((ν+1−i)/2) + D log 2 − log|W^{-1}|.
  double expected_log_det() const;
  /// KL(this ‖ other) = A(η_o) − A(η) + ⟨η − η_o, E_this[T]⟩ ≥ 0 (trace inner product for the
  /// matrix part). @throws natgrad::Error when the dimensions differ.
  double kl(const NormalWishart& other) const;
  /// E_q[log N(x | μ, Λ^{-1})] for each column x of X (D × n), size n:
  ///   ½ E[log|Λ|] − (D/2) log 2π − ½ (D/β + ν (x−m)ᵀ W (x−m)).
  /// One triangular solve for all columns. @throws natgrad::Error when X has not D rows.
  Eigen::ArrayXd expected_log_normal(const Eigen::Ref<const Eigen::MatrixXd>& x) const;
  /// log ∫ N(x | μ, Λ^{-1}) q(μ, Λ) dμ dΛ = log St(x | m, L, ν + 1 − D) with precision
  ///   L = ((ν + 1 − D) β / (1 + β)) W (Bishop 2006, eq. 10.81), for each column of X (D × n), size n.
  /// @throws natgrad::Error when X has not D rows.
  Eigen::ArrayXd log_predictive(const Eigen::Ref<const Eigen::MatrixXd>& x) const;

 private:
  NormalWishart() = default;
  /// Checks and stores β, m, W^{-1}, ν, and factors W^{-1}.
  void set_moments(double beta, Eigen::VectorXd mean, Eigen::MatrixXd scale_inv, double dof);
  /// Squared W-norms (x−m)ᵀW(x−m) of the columns of X (D × n), size n.
  Eigen::ArrayXd scaled_squared_distances(const Eigen::Ref<const Eigen::MatrixXd>& x) const;

  double beta_ = 1.0;
  Eigen::VectorXd mean_;
  Eigen::MatrixXd scale_inv_;
  double dof_ = 1.0;
  Eigen::LLT<Eigen::MatrixXd> scale_inv_llt_;
  double log_det_scale_inv_ = 0.0;
};

/// Natural parameters of a Normal-Gamma, each of size D: per dimension
/// (β m, −β/2, −C/2, (ν − 1)/2) with C = W^{-1} + β m².
struct NormalGammaNatural {
  Eigen::ArrayXd eta1, eta2, eta3, eta4;
};

/// Mean parameters of a Normal-Gamma, each of size D: E[τμ], E[τμ²], E[τ], E[log τ].
struct NormalGammaMean {
  Eigen::ArrayXd tau_mu, tau_mu2, tau, log_tau;
};

/// A product over d = 1..D of independent 1-D Normal-Gammas, each the D = 1 Normal-Wishart
/// with β_d, m_d, W_d = 1/(2 b_d), ν_d = 2 a_d; every parameter is an array of size D.
class NormalGamma {
 public:
  /// From pseudo-count coordinates: β_d, β_d m_d, C_d = W_d^{-1} + β_d m_d², ν_d.
  /// @throws natgrad::Error naming the value at fault unless the sizes agree (D ≥ 1), every entry
  ///   is finite, β_d > 0, ν_d > 0 and C_d − β_d m_d² > 0.
  NormalGamma(Eigen::ArrayXd beta, Eigen::ArrayXd beta_mean, Eigen::ArrayXd scatter, Eigen::ArrayXd dof);

  /// From textbook parameters: β_d, m_d, W_d^{-1} = 2 b_d (the variance scale), ν_d = 2 a_d.
  static NormalGamma from_moments(const Eigen::ArrayXd& beta, const Eigen::ArrayXd& mean,
                                  const Eigen::ArrayXd& variance_scale, const Eigen::ArrayXd& dof);
  /// From natural parameters: β = −2η2, βm = η1, C = −2η3, ν = 2η4 + 1.
  static NormalGamma from_natural(const NormalGammaNatural& eta);
  /// Inverse of mean(), per dimension as NormalWishart::from_mean with D = 1.
  static NormalGamma from_mean(const NormalGammaMean& mu);

  Eigen::Index dim() const { return beta_.size(); }
  const Eigen::ArrayXd& beta() const { return beta_; }
  const Eigen::ArrayXd& dof() const { return dof_; }
  /// m_d.
  const Eigen::ArrayXd& mean_vector() const { return mean_; }
  /// W_d^{-1} = C_d − β_d m_d² = 2 b_d.
  const Eigen::ArrayXd& scale_inv() const { return scale_inv_; }
  /// β_d m_d.
  Eigen::ArrayXd beta_mean() const { return beta_ * mean_; }
  /// C_d = W_d^{-1} + β_d m_d².
  Eigen::ArrayXd scatter() const { return scale_inv_ + beta_ * mean_.square(); }

  NormalGammaNatural natural() const;
  /// A = Σ_d [−½ log β_d + ½ log 2π + (ν_d/2) log 2 − (ν_d/2) log W_d^{-1} + log Γ(ν_d/2)].
  double log_partition() const;
  /// Per dimension (ν W m, 1/β + ν W m², ν W, ψ(ν/2) + log 2 + log W) = ∇A(η).
  NormalGammaMean mean() const;
  /// KL(this ‖ other) = A(η_o) − A(η) + Σ (η − η_o) E_this[T] ≥ 0.
  /// @throws natgrad::Error when the dimensions differ.
  double kl(const NormalGamma& other) const;
  /// Σ_d E[log N(x_d | μ_d, τ_d^{-1})] for each column of X (D × n), size n.
  Eigen::ArrayXd expected_log_normal(const Eigen::Ref<const Eigen::MatrixXd>& x) const;
  /// Σ_d log St_1(x_d | m_d, ν_d β_d/(1+β_d) W_d, ν_d) for each column of X (D × n), size n.
  Eigen::ArrayXd log_predictive(const Eigen::Ref<const Eigen::MatrixXd>& x) const;

 private:
  NormalGamma() = default;
  void set_moments(Eigen::ArrayXd beta, Eigen::ArrayXd mean, Eigen::ArrayXd scale_inv, Eigen::ArrayXd dof);

  Eigen::ArrayXd beta_;
  Eigen::ArrayXd mean_;
  Eigen::ArrayXd scale_inv_;
  Eigen::ArrayXd dof_;
};

}  // namespace natgrad::expfam
