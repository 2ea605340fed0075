#include "natgrad/expfam/special.hpp"

#include <cmath>
#include <limits>

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

// Eigen's packet log needs SSE4.1 (rounding, blends) to beat libm for
// doubles; on plain SSE2 it is about twice as slow as std::log, so take that there.
Block log_block(const Block& y) {
#ifdef EIGEN_VECTORIZE_SSE4_1
  return y.log();
#else
  Block out;
  for (Eigen::Index i = 0; i < kBlock; ++i) out[i] = std::log(y[i]);
  return out;
#endif
}

// |B_2n| / (2n), n = 1, ..., 9: the asymptotic series ψ(y) ≈ log y − 1/(2y) − Σ_n B_2n / (2n y^2n),
// whose terms alternate in sign.
constexpr double kSeries[] = {1.0 / 12,    1.0 / 120,     1.0 / 252, 1.0 / 240,      1.0 / 132,
                              691.0 / 32760, 1.0 / 12, 3617.0 / 8160, 43867.0 / 14364};

// ψ of a block as log y − ½ inv − series − sum: the shift by kShift, ψ(x) =
// ψ(x + kShift) − Σ_{i<kShift} 1/(x + i) (`sum`, as one fraction), then kTerms
// terms of the series at y = x + kShift (inv = 1/y). x is clamped to [low, high]
// except in y: below low, Q(x) would leave the normal range; above high,
// kShift/x and the series are below ψ's last bit and y·Q(x) ≈ x^(kShift+1) must stay finite.
template <class B>
struct DigammaParts {
  B y, inv, series, sum;
};

template <class B, int kShift, int kTerms>
DigammaParts<B> digamma_parts(const B& x, typename B::Scalar low, typename B::Scalar high) {
  using S = typename B::Scalar;
  const B xl = x.max(low);
  const B xc = xl.min(high);
  // Σ_{i<m} 1/(x+i) = p/q, extended one term at a time: p/q + 1/(x+m) = (p (x+m) + q) / (q (x+m)).
  B p = B::Ones();
  B q = xc;
  for (int m = 1; m < kShift; ++m) {
    const B xm = xc + static_cast<S>(m);
    p = p * xm + q;
    q = q * xm;
  }
  // One division for both 1/y and p/q: r = 1/(y q), so 1/y = q r and p/q = p y r.
  const B yc = xc + static_cast<S>(kShift);
  const B r = (yc * q).inverse();
  const B inv = q * r;
  const B inv2 = inv * inv;
  // The series by Horner in 1/y², innermost term first.
  B series = B::Constant(static_cast<S>(kSeries[kTerms - 1]));
  for (int n = kTerms - 2; n >= 0; --n) series = static_cast<S>(kSeries[n]) - inv2 * series;
  series *= inv2;
  return {xl + static_cast<S>(kShift), inv, series, p * yc * r};
}

template <class B, int kShift, int kTerms>
B digamma_block(const B& x, typename B::Scalar low, typename B::Scalar high) {
  const DigammaParts<B> d = digamma_parts<B, kShift, kTerms>(x, low, high);
  return log_block(d.y) - static_cast<typename B::Scalar>(0.5) * d.inv - d.series - d.sum;
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
  // Above 1e30, Σ_{i<8} 1/(x+i) ≈ 8/x is below 1e-29 while ψ(x) > 69, and y·Q(x) ≈ x^9 stays finite.
  blockwise<double>(x, out, [](const Block& b) {
    return digamma_block<Block, 8, 9>(b, std::numeric_limits<double>::min(), 1e30);
  });
}

void exp_digamma(const Eigen::Ref<const Eigen::ArrayXd>& x, Eigen::Ref<Eigen::ArrayXd> out) {
  // exp(log y − rest) = y · exp(−rest): no log.
  blockwise<double>(x, out, [](const Block& b) {
    const DigammaParts<Block> d = digamma_parts<Block, 8, 9>(b, std::numeric_limits<double>::min(), 1e30);
    return Block(d.y * (-(0.5 * d.inv + d.series + d.sum)).exp());
  });
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
