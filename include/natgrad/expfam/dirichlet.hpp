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

#include "natgrad/expfam/prior_objective.hpp"

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

/// Empirical Bayes for a Dirichlet prior: the terms of an ELBO that depend on
/// the prior's parameter α, given n samples x_s ~ Dir(α) whose expected
/// sufficient statistics are summed, S_i = Σ_s E_q[log x_si]:
///     f(α) = n (log Γ(Σ_i α_i) − Σ_i log Γ(α_i)) + Σ_i (α_i − 1) S_i,
/// concave in α (its Hessian is −n ∇²A(α)). Either asymmetric, α a vector of
/// the dimension d of the samples, or symmetric, α = a·1 with the one
/// parameter a, f(a) = n (log Γ(d a) − d log Γ(a)) + (a − 1) Σ_i S_i.
/// (LDA's α from the documents' E[log θ_d]; LDA's η and a mixture's weight
/// concentration from E[log β_k] and E[log π] of the global factors.)
class DirichletPrior final : public PriorObjective {
 public:
  /// Asymmetric: α and S have d entries.
  static DirichletPrior asymmetric(Eigen::VectorXd sum_log, double samples);
  /// Symmetric over d dimensions: S given as its sum Σ_i S_i.
  static DirichletPrior symmetric(double sum_log, double samples, double dimension);

  /// f(α) (α: d values, or the one value a of a symmetric prior); −∞ unless every value is finite and > 0.
  double objective(const Eigen::VectorXd& alpha) const override;
  /// ∇f(α).
  Eigen::VectorXd gradient(const Eigen::VectorXd& alpha) const;
  /// The Newton step −H⁻¹∇f at α. Asymmetric: H = diag(q) + z 1 1ᵀ with
  /// q_i = −n ψ'(α_i), z = n ψ'(Σα), so in O(d) (Minka 2000):
  ///     step_i = −(g_i − b) / q_i,  b = Σ_j (g_j / q_j) / (1/z + Σ_j 1/q_j).
  Eigen::VectorXd newton_step(const Eigen::VectorXd& alpha) const override;

 private:
  DirichletPrior(Eigen::VectorXd sum_log, double samples, double dimension, bool symmetric)
      : sum_log_(std::move(sum_log)), samples_(samples), dimension_(dimension), symmetric_(symmetric) {}
  Eigen::VectorXd sum_log_;  ///< S (asymmetric), or its sum (one value)
  double samples_;
  double dimension_;         ///< d of a symmetric prior
  bool symmetric_;
};

}  // namespace natgrad::expfam
