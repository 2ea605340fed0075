#pragma once
/// @file Users × items counts drawn from hierarchical Poisson factorization's
/// generative model, for tests and benchmarks:
///     η_i ~ Gamma(c′, c′/d′),  β_ik ~ Gamma(c, η_i),  ξ_u ~ Gamma(a′, a′/b′),  θ_uk ~ Gamma(a, ξ_u),
///     y_ui ~ Poisson(Σ_k θ_uk β_ik)
/// (Gamma(shape, rate)). y_u is drawn as K Poisson counts n_uk ~ Poisson(θ_uk Σ_i β_ik),
/// each spread over the items in proportion to β_ik: the same distribution,
/// in time proportional to the counts, not to U · I. d′ is set so that a user's
/// expected total count is `counts_per_user`:
///     E[Σ_i y_ui] = I K E[θ] E[β],  E[θ] = a a′ / (b′ (a′ − 1)),  E[β] = c c′ / (d′ (c′ − 1)),
/// finite for a′, c′ > 1. Every draw is keyed by (seed, item) or (seed, user).

#include <Eigen/Core>
#include <cstdint>

#include "natgrad/io/corpus.hpp"
#include "natgrad/models/hpf/hpf.hpp"

namespace natgrad::models {

struct HpfSynthOptions {
  std::int64_t users = 1000;      ///< U ≥ 1
  std::int64_t items = 1000;      ///< I ≥ 1
  std::int64_t factors = 10;      ///< K ≥ 1
  double counts_per_user = 20.0;  ///< > 0
  HpfPrior prior{0.3, 3.0, 1.0, 0.3, 3.0, 1.0};  ///< a′, c′ > 1; d′ is derived from counts_per_user
  std::uint64_t seed = 1;
};

/// The truth of a draw.
struct HpfTruth {
  Eigen::MatrixXd theta;       ///< U × K
  Eigen::MatrixXd beta;        ///< I × K
  Eigen::VectorXd activity;    ///< U: ξ_u
  Eigen::VectorXd popularity;  ///< I: η_i
  double d_prime = 0.0;        ///< the derived d′
};

/// d′ for which a user's expected total count is o.counts_per_user.
double hpf_synth_d_prime(const HpfSynthOptions& o);

/// Draws the counts (users "u0", "u1", ... as rows, items "i0", ... as columns) and their truth.
io::Corpus hpf_synthesize(const HpfSynthOptions& options, HpfTruth& truth);

}  // namespace natgrad::models
