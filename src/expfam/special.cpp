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

namespace {

// Elements per block of the array digamma: fixed-size Eigen arrays on the
// stack, vectorised at whatever width the build targets.
constexpr Eigen::Index kBlock = 16;
using Block = Eigen::Array<double, kBlock, 1>;

// Above this, Σ_{i<8} 1/(x+i) ≈ 8/x is below 1e-29 while ψ(x) > 69; clamping
// x there keeps Q(x)·(x+8) ≈ x^9 finite.
constexpr double kClamp = 1e30;

// Eigen's packet log needs SSE4.1 (rounding, blends) to beat libm; on plain
// SSE2 it is about twice as slow as std::log, so take that there.
Block log_block(const Block& y) {
#ifdef EIGEN_VECTORIZE_SSE4_1
  return y.log();
#else
  Block out;
  for (Eigen::Index i = 0; i < kBlock; ++i) out[i] = std::log(y[i]);
  return out;
#endif
}

Block digamma_block(const Block& x) {
  const Block xc = x.min(kClamp);
  // Σ_{i<m} 1/(x+i) = p/q, extended one term at a time: p/q + 1/(x+m) = (p (x+m) + q) / (q (x+m)).
  Block p = Block::Ones();
  Block q = xc;
  for (int m = 1; m < 8; ++m) {
    const Block xm = xc + static_cast<double>(m);
    p = p * xm + q;
    q = q * xm;
  }
  // One division for both 1/y and p/q: r = 1/(y q), so 1/y = q r and p/q = p y r.
  // Beyond the clamp 1/y is below 1e-30 of log y, so the clamped y serves there.
  const Block y = xc + 8.0;
  const Block r = (y * q).inverse();
  const Block inv = q * r;
  const Block inv2 = inv * inv;
  // Σ_{n=1}^{9} B_2n / (2n y^2n) by Horner in 1/y².
  const Block series =
      inv2 * (1.0 / 12 -
              inv2 * (1.0 / 120 -
                      inv2 * (1.0 / 252 -
                              inv2 * (1.0 / 240 -
                                      inv2 * (1.0 / 132 -
                                              inv2 * (691.0 / 32760 -
                                                      inv2 * (1.0 / 12 -
                                                              inv2 * (3617.0 / 8160 - inv2 * (43867.0 / 14364)))))))));
  return log_block(x + 8.0) - 0.5 * inv - series - p * y * r;
}

using BlockF = Eigen::Array<float, kBlock, 1>;

// Float range of digamma_block(BlockF): above kHighF, 4/x and the series are
// below half an ulp of ψ(x) ≈ log x, and y·Q(y) ≈ x^5 stays finite; below
// kLowF, Q(x) ≈ 6x would leave the normal range.
constexpr float kLowF = 1e-30F;
constexpr float kHighF = 1e7F;

BlockF digamma_block(const BlockF& x) {
  const BlockF xl = x.max(kLowF);
  const BlockF xc = xl.min(kHighF);
  // As the double version, with a shift by 4: Σ_{i<4} 1/(x+i) = p/q, one division.
  BlockF p = BlockF::Ones();
  BlockF q = xc;
  for (int m = 1; m < 4; ++m) {
    const BlockF xm = xc + static_cast<float>(m);
    p = p * xm + q;
    q = q * xm;
  }
  const BlockF y = xc + 4.0F;
  const BlockF r = (y * q).inverse();
  const BlockF inv = q * r;
  const BlockF inv2 = inv * inv;
  const BlockF series = inv2 * (1.0F / 12 - inv2 * (1.0F / 120 - inv2 * (1.0F / 252 - inv2 * (1.0F / 240))));
  return (xl + 4.0F).log() - 0.5F * inv - series - p * y * r;
}

// out = f(x) blockwise, the last short block padded with ones.
template <class Scalar, class F>
void blockwise(const Eigen::Ref<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>& x,
               Eigen::Ref<Eigen::Array<Scalar, Eigen::Dynamic, 1>> out, const F& f) {
  using B = Eigen::Array<Scalar, kBlock, 1>;
  const Eigen::Index n = x.size();
  Eigen::Index i = 0;
  for (; i + kBlock <= n; i += kBlock) out.template segment<kBlock>(i) = f(B(x.template segment<kBlock>(i)));
  if (i < n) {
    B tail = B::Ones();
    tail.head(n - i) = x.segment(i, n - i);
    out.segment(i, n - i) = f(tail).head(n - i);
  }
}

}  // namespace

void digamma(const Eigen::Ref<const Eigen::ArrayXd>& x, Eigen::Ref<Eigen::ArrayXd> out) {
  blockwise<double>(x, out, [](const Block& b) { return digamma_block(b); });
}

void digamma(const Eigen::Ref<const Eigen::ArrayXf>& x, Eigen::Ref<Eigen::ArrayXf> out) {
  blockwise<float>(x, out, [](const BlockF& b) { return digamma_block(b); });
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
