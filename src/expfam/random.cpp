#include "natgrad/expfam/random.hpp"

#include <Random123/philox.h>

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
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

}  // namespace natgrad::expfam
