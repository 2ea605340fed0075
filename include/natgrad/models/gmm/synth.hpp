#pragma once
/// @file Dense data drawn from a Gaussian mixture, for tests and benchmarks.
///
///   π ~ Dir(5 · 1_K);  Σ_k random SPD, eigenvalues (or diagonal values) in [0.5, 2];
///   μ_k uniform in a box, by rejection, so that ‖μ_j − μ_k‖ ≥ separation · max_k sqrt(λ_max(Σ_k));
///   for each point i:  z_i ~ Cat(π),  x_i ~ N(μ_{z_i}, Σ_{z_i}).
/// The true parameters are keyed by (seed, component) and each point by
/// (seed, i), so the data are a function of the options alone.

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "natgrad/io/dense.hpp"

namespace natgrad::models {

struct GmmSynthOptions {
  std::int64_t components = 5;  ///< K ≥ 1 (at most 2^31 − 1)
  std::int64_t dim = 2;         ///< D ≥ 1
  std::int64_t points = 1000;   ///< N ≥ 1
  /// > 0: every two true means are at least this far apart, in units of the
  /// largest standard deviation of any component along any direction.
  double separation = 6.0;
  bool diagonal = false;        ///< diagonal covariances (else full)
  std::uint64_t seed = 1;
};

/// The true parameters of the mixture.
struct GmmTruth {
  Eigen::VectorXd weights;                   ///< π, K, sums to 1
  Eigen::MatrixXd means;                     ///< μ, K × D
  std::vector<Eigen::MatrixXd> covariances;  ///< Σ_k, K matrices D × D, symmetric positive definite
};

/// Draws the truth and N points from it: values N × D, labels = the true
/// component z_i (as double), row_ids = 0..N−1, no column names.
/// @param truth receives the true parameters
io::DenseData gmm_synthesize(const GmmSynthOptions& options, GmmTruth& truth);

}  // namespace natgrad::models
