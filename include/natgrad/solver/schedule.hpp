#pragma once
/// @file Step sizes of stochastic variational inference.

#include <cstdint>

#include "natgrad/config/config.hpp"

namespace natgrad::solver {

/// ρ_t of the t-th update (t = 1, 2, ...):
///   robbins_monro: ρ_t = (τ₀ + t)^(−κ), κ ∈ (0.5, 1] (Σρ = ∞, Σρ² < ∞);
///   constant:      ρ_t = ρ (ρ = 1 with a full batch is batch variational Bayes);
///   adaptive:      not a function of t (solver::AdaptiveStep): NaN here.
double step_size(const config::SolverConfig& solver, std::int64_t t);

}  // namespace natgrad::solver
