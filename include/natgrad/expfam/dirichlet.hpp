#pragma once
/// @file The Dirichlet distribution as an exponential family.
///
/// Dir(x | α) = exp(Σ_i (α_i − 1) log x_i − A(α)) on the simplex, with natural
/// parameter α (up to the constant shift by 1, which changes no gradient),
/// sufficient statistic T(x) = log x and log-partition
///     A(α) = Σ_i log Γ(α_i) − log Γ(Σ_i α_i).
/// The mean parameters are μ_i = E[log x_i] = ∂A/∂α_i = ψ(α_i) − ψ(Σ_j α_j), and
/// the Fisher information is ∇²A(α) = diag(ψ'(α)) − ψ'(Σ α) 1 1ᵀ.

#include <Eigen/Core>

namespace natgrad::expfam {

/// E[log x] = ψ(α) − ψ(Σα) of Dir(α), written into `out` (same size as `alpha`).
/// Allocation-free, for per-datum loops.
void dirichlet_expected_log(const Eigen::Ref<const Eigen::ArrayXd>& alpha,
                            Eigen::Ref<Eigen::ArrayXd> out);

/// A Dirichlet over the (n−1)-simplex, n = alpha.size() ≥ 1.
class Dirichlet {
 public:
  /// @throws natgrad::Error unless every α_i is finite and > 0.
  explicit Dirichlet(Eigen::ArrayXd alpha);

  /// Natural parameter α (size n).
  const Eigen::ArrayXd& natural() const { return alpha_; }
  /// Log-partition A(α) = Σ log Γ(α_i) − log Γ(Σ α_i).
  double log_partition() const;
  /// Mean parameters E[log x] = ∇A(α) (size n).
  Eigen::ArrayXd mean() const;
  /// Fisher information ∇²A(α) = ∂μ/∂α (n × n).
  Eigen::MatrixXd fisher() const;
  /// KL(this ‖ other) = A(β) − A(α) + (α − β)ᵀ μ(α) ≥ 0; sizes must agree.
  double kl(const Dirichlet& other) const;

 private:
  Eigen::ArrayXd alpha_;
};

}  // namespace natgrad::expfam
