#include "natgrad/expfam/special.hpp"

#include <cmath>

namespace natgrad::expfam {

double digamma(double x) {
  double result = 0.0;
  // Shift x up so that the asymptotic series is accurate to double precision.
  while (x < 10.0) {
    result -= 1.0 / x;
    x += 1.0;
  }
  const double inv = 1.0 / x;
  const double inv2 = inv * inv;
  const double series =
      inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132 - inv2 * 691.0 / 32760)))));
  return result + std::log(x) - 0.5 * inv - series;
}

double trigamma(double x) {
  double result = 0.0;
  while (x < 10.0) {
    result += 1.0 / (x * x);
    x += 1.0;
  }
  const double inv = 1.0 / x;
  const double inv2 = inv * inv;
  // ψ'(x) ≈ 1/x + 1/(2x²) + Σ B_2n / x^(2n+1)
  const double series =
      inv2 * inv * (1.0 / 6 - inv2 * (1.0 / 30 - inv2 * (1.0 / 42 - inv2 * (1.0 / 30 - inv2 * 5.0 / 66))));
  return result + inv + 0.5 * inv2 + series;
}

}  // namespace natgrad::expfam
