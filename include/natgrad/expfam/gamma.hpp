#pragma once
/// @file The Gamma distribution as an exponential family: the conjugate prior
/// and variational factor of non-negative rates (Poisson factorization).
///
/// Gamma(x | α, β) = β^α x^{α−1} e^{−βx} / Γ(α) on x > 0 (shape α > 0, rate β > 0),
/// with sufficient statistics T(x) = (log x, x), base measure 1, natural parameters
///     η = (α − 1, −β),
/// log-partition
///     A(η) = log Γ(η₁ + 1) − (η₁ + 1) log(−η₂) = log Γ(α) − α log β,
/// mean parameters
///     E[T] = ∇A(η) = (ψ(α) − log β, α/β),
/// and Fisher information
///     ∇²A(η) = [[ψ'(α), 1/β], [1/β, α/β²]]   (in η, where ∂/∂η₂ = −∂/∂β).
/// The models store (α, β), an affine image of η, so the SVI step
/// λ ← (1−ρ)λ + ρ λ̂ is the same in either.

#include <Eigen/Core>

namespace natgrad::expfam {

/// E_q[log Gamma(x | shape, r)] when x and the rate r are independent under q:
///     shape · E[log r] − log Γ(shape) + (shape − 1) E[log x] − E[r] E[x]
/// (a fixed rate r: E[log r] = log r, E[r] = r). The ELBO's terms of a Gamma
/// prior whose rate is itself a random variable (hierarchical Poisson factorization).
double gamma_expected_log_density(double shape, double elog_rate, double e_rate, double elog_x, double e_x);

/// A Gamma distribution Gamma(α, β), shape α > 0 and rate β > 0.
class Gamma {
 public:
  /// @throws natgrad::Error unless shape and rate are finite and > 0.
  Gamma(double shape, double rate);
  /// From natural parameters η = (α − 1, −β). @throws natgrad::Error unless η₁ > −1 and η₂ < 0.
  static Gamma from_natural(const Eigen::Vector2d& eta);
  /// Inverse of mean(): α the root of log α − ψ(α) = log μ₂ − μ₁ (Newton's method from Minka's
  /// approximation; the left side decreases from ∞ to 0), β = α / μ₂.
  /// @throws natgrad::Error unless μ₂ > 0 and μ₁ < log μ₂ (Jensen), which is what makes them mean parameters.
  static Gamma from_mean(const Eigen::Vector2d& mu);

  double shape() const { return shape_; }
  double rate() const { return rate_; }
  /// η = (α − 1, −β).
  Eigen::Vector2d natural() const { return {shape_ - 1.0, -rate_}; }
  /// A = log Γ(α) − α log β.
  double log_partition() const;
  /// E[T] = (E[log x], E[x]) = (ψ(α) − log β, α/β) = ∇A(η).
  Eigen::Vector2d mean() const;
  /// E[x] = α/β.
  double expected() const { return shape_ / rate_; }
  /// E[log x] = ψ(α) − log β.
  double expected_log() const;
  /// Fisher information ∇²A(η) = ∂E[T]/∂η (2 × 2).
  Eigen::Matrix2d fisher() const;
  /// Differential entropy α − log β + log Γ(α) + (1 − α) ψ(α).
  double entropy() const;
  /// KL(this ‖ other) = A(η_o) − A(η) + (η − η_o)ᵀ E_this[T] ≥ 0.
  double kl(const Gamma& other) const;

 private:
  double shape_;
  double rate_;
};

}  // namespace natgrad::expfam
