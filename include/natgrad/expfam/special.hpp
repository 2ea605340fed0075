#pragma once
/// @file Special functions used by the exponential families.

#include <Eigen/Core>

namespace natgrad::expfam {

/// Digamma ψ(x) = d/dx log Γ(x) for x > 0, accurate to about 1e-14 relative.
/// Uses the recurrence ψ(x) = ψ(x + 1) − 1/x up to x ≥ 10, then the asymptotic
/// series ψ(x) ≈ log x − 1/(2x) − Σ B_2n / (2n x^2n).
double digamma(double x);

/// Digamma of every element, out_i = ψ(x_i), x_i > 0, for per-datum loops:
/// allocation-free and branch-free, so that it vectorises. A fixed shift by 8,
///     ψ(x) = ψ(x + 8) − Σ_{i<8} 1/(x + i),
/// with the sum as one fraction P(x)/Q(x), Q(x) = x(x+1)…(x+7) (one division
/// and a log per element instead of up to ten divisions), then the asymptotic
/// series at x + 8 ≥ 8 through B_18 (truncation error below 3e-17). Agrees
/// with digamma(double) to about 1e-14 relative (absolute near the root of ψ,
/// x ≈ 1.4616). `out` may alias `x`; sizes must agree.
void digamma(const Eigen::Ref<const Eigen::ArrayXd>& x, Eigen::Ref<Eigen::ArrayXd> out);

/// exp(ψ(x_i)) of every element, x_i > 0: the geometric mean exp(E[log z]) of
/// a Gamma(x_i, 1) variable z (Poisson factorization's multinomial weights), as
/// y · exp(−r) from ψ(x) = log y − r of the scheme above: no log. Agrees with
/// exp(digamma(x)) to about 1e-14 relative for x ≥ 0.002; below, where exp(ψ(x))
/// underflows, it is below 1e-300 (not 0). `out` may alias `x`.
void exp_digamma(const Eigen::Ref<const Eigen::ArrayXd>& x, Eigen::Ref<Eigen::ArrayXd> out);

/// Trigamma ψ'(x) for x > 0 (same scheme as digamma); the Fisher information
/// of a Dirichlet is built from it.
double trigamma(double x);

}  // namespace natgrad::expfam
