#pragma once
/// @file Special functions used by the exponential families.

namespace natgrad::expfam {

/// Digamma ψ(x) = d/dx log Γ(x) for x > 0, accurate to about 1e-14 relative.
/// Uses the recurrence ψ(x) = ψ(x + 1) − 1/x up to x ≥ 10, then the asymptotic
/// series ψ(x) ≈ log x − 1/(2x) − Σ B_2n / (2n x^2n).
double digamma(double x);

/// Trigamma ψ'(x) for x > 0 (same scheme as digamma); the Fisher information
/// of a Dirichlet is built from it.
double trigamma(double x);

}  // namespace natgrad::expfam
