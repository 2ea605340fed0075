#include "natgrad/expfam/random.hpp"

#include <Random123/philox.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace natgrad::expfam {

namespace {
__extension__ using Uint128 = unsigned __int128;
}  // namespace

CounterRng::CounterRng(std::uint64_t seed, Purpose purpose, std::uint64_t a, std::uint64_t b)
    : key_{seed, static_cast<std::uint64_t>(purpose)}, counter_{a, b, 0, 0} {}

std::uint64_t CounterRng::bits() {
  if (used_ == 4) {
    r123::Philox4x64 philox;
    const r123::Philox4x64::ctr_type ctr = {{counter_[0], counter_[1], counter_[2], counter_[3]}};
    const r123::Philox4x64::key_type key = {{key_[0], key_[1]}};
    const auto out = philox(ctr, key);
    for (int i = 0; i < 4; ++i) block_[i] = out.v[i];
    ++counter_[2];
    used_ = 0;
  }
  return block_[used_++];
}

double CounterRng::uniform() {
  return (static_cast<double>(bits() >> 11) + 0.5) * 0x1.0p-53;
}

std::uint64_t CounterRng::below(std::uint64_t n) {
  Uint128 m = static_cast<Uint128>(bits()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<Uint128>(bits()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

double CounterRng::normal() {
  const double u1 = uniform();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double CounterRng::gamma(double shape) {
  if (shape < 1.0) {
    // Gamma(a) = Gamma(a + 1) · U^(1/a).
    return gamma(shape + 1.0) * std::pow(uniform(), 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x = 0.0;
    double v = 0.0;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform();
    const double x2 = x * x;
    // Marsaglia & Tsang's squeeze, inside the acceptance region: it accepts
    // some 92 % of draws without the two logs, and the same draws as the test below.
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
    if (std::log(u) < 0.5 * x2 + d - d * v + d * std::log(v)) return d * v;
  }
}

std::int64_t CounterRng::poisson(double mean) {
  if (mean >= 500) return std::max<std::int64_t>(0, std::llround(mean + std::sqrt(mean) * normal()));
  // Inversion by sequential search: O(mean) steps.
  const double u = uniform();
  double p = std::exp(-mean);
  double cumulative = p;
  std::int64_t k = 0;
  while (u > cumulative && p > 0) {
    ++k;
    p *= mean / static_cast<double>(k);
    cumulative += p;
  }
  return k;
}

AliasTable::AliasTable(const std::vector<double>& weights)
    : keep_(weights.size()), alias_(weights.size()) {
  const auto n = static_cast<std::int32_t>(weights.size());
  double total = 0.0;
  for (const double w : weights) total += w;
  std::vector<std::int32_t> small;
  std::vector<std::int32_t> large;
  for (std::int32_t i = 0; i < n; ++i) {
    keep_[static_cast<std::size_t>(i)] = weights[static_cast<std::size_t>(i)] * n / total;
    (keep_[static_cast<std::size_t>(i)] < 1.0 ? small : large).push_back(i);
  }
  while (!small.empty() && !large.empty()) {
    const std::int32_t s = small.back();
    small.pop_back();
    const std::int32_t l = large.back();
    alias_[static_cast<std::size_t>(s)] = l;
    keep_[static_cast<std::size_t>(l)] -= 1.0 - keep_[static_cast<std::size_t>(s)];
    if (keep_[static_cast<std::size_t>(l)] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  // What is left is 1 up to rounding.
  for (const std::int32_t i : small) keep_[static_cast<std::size_t>(i)] = 1.0;
  for (const std::int32_t i : large) keep_[static_cast<std::size_t>(i)] = 1.0;
}

std::int32_t AliasTable::sample(CounterRng& rng) const {
  const auto column = static_cast<std::size_t>(rng.below(keep_.size()));
  return rng.uniform() < keep_[column] ? static_cast<std::int32_t>(column) : alias_[column];
}

}  // namespace natgrad::expfam
