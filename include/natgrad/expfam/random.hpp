#pragma once
/// @file Counter-based random numbers (Random123's Philox4x64-10).
///
/// A stream is a pure function of (seed, purpose, a, b): the same numbers come
/// out whatever rank, thread or process asks, which is what makes a run on any
/// number of ranks visit the same data with the same initial values.

#include <array>
#include <cstdint>
#include <vector>

namespace natgrad::expfam {

/// What a stream is used for; part of its key so that streams never overlap.
enum class Purpose : std::uint64_t {
  kGlobalInit = 1,   ///< initial global parameters λ (a = row)
  kPermutation = 3,  ///< minibatch order of an epoch (a = epoch)
  kSynthGlobal = 4,  ///< synthetic data: the true global variables (a = row)
  kSynthDatum = 5,   ///< synthetic data: one datum (a = datum id)
  kHoldout = 6,      ///< which entries of a datum are held out (a = datum id)
};

/// A stream of random numbers keyed by (seed, purpose, a, b).
class CounterRng {
 public:
  CounterRng(std::uint64_t seed, Purpose purpose, std::uint64_t a, std::uint64_t b = 0);

  /// 64 uniformly random bits.
  std::uint64_t bits();
  /// Uniform on the open interval (0, 1), 53 bits of resolution.
  double uniform();
  /// Uniform integer in [0, n), exact (Lemire's multiply-and-reject); n ≥ 1.
  std::uint64_t below(std::uint64_t n);
  /// Standard normal (Box–Muller).
  double normal();
  /// Gamma(shape, 1), shape > 0 (Marsaglia & Tsang 2000).
  double gamma(double shape);
  /// Poisson(mean), mean ≥ 0: inversion below 500, the rounded normal
  /// approximation above (relative error of its moments < 0.1 %).
  std::int64_t poisson(double mean);

 private:
  std::array<std::uint64_t, 2> key_;
  std::array<std::uint64_t, 4> counter_;
  std::array<std::uint64_t, 4> block_{};
  int used_ = 4;
};

/// Walker's alias table: O(1) draws from a categorical distribution.
class AliasTable {
 public:
  /// @param weights n ≥ 1 non-negative weights, not all zero (normalised here)
  explicit AliasTable(const std::vector<double>& weights);
  /// An index in [0, n) drawn with probability weight / Σ weights.
  std::int32_t sample(CounterRng& rng) const;

 private:
  std::vector<double> keep_;          ///< probability of keeping column i
  std::vector<std::int32_t> alias_;   ///< the other index of column i
};

}  // namespace natgrad::expfam
