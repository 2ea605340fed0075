#pragma once
/// @file The hot kernels of LDA's local step and of the refresh of exp(E[log β])
/// (lda.cpp), written once over W single-precision lanes of the compiler's
/// vector extension (GCC, clang) and compiled for each width a CPU may have:
/// 4 (SSE2, any x86-64), 8 (AVX2 + FMA) and 16 (AVX-512); the widest that the
/// CPU runs is chosen once (lda_kernels()). In a header of its own so that the
/// tests can run every version on any CPU that has it.
///
/// The lanes' arithmetic is inline code in every build, instrumented ones
/// included, where Eigen's fixed-size arrays become calls, some 30 times
/// slower; the helpers are always inlined, so that they take the instruction
/// set of the function they are compiled into, and take vectors by reference
/// (no vector ABI between them). exp and log are Cephes' single-precision
/// polynomials (as Eigen's packet math uses), ψ the shift-by-4 scheme of
/// expfam::digamma.

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>

namespace natgrad::models::detail {

/// One version of the kernels, for one vector width.
struct LdaKernels {
  int width = 4;            ///< floats per vector
  const char* name = "";    ///< "sse2", "avx2", "avx512"
  /// The fused pass of an inner iteration over the document's padded K × n
  /// block b (column j the padded K values of word j): phinorm_j = Σ_k e_k b_kj
  /// + kTiny, and, when t is not null, t_k = Σ_j b_kj c_j / phinorm_j. k is a
  /// multiple of width (padding rows 0 in b and e).
  void (*fused_pass)(const float* b, Eigen::Index k, Eigen::Index n, const float* counts, const float* e,
                     float* phinorm, float* t) = nullptr;
  /// e_i = exp(ψ(γ_i) − max_j ψ(γ_j)) for i < k (γ: k values), 0 for k ≤ i < kp (kp a multiple of width);
  /// psi_i = ψ(γ_i) (kp values: 1 is taken for γ in the padding).
  void (*expected_theta)(const double* gamma, Eigen::Index k, Eigen::Index kp, float* e, float* psi) = nullptr;
  /// A column of exp(E[log β]) from λ_w (its k values in column[0, k), kp − k zeros after them):
  /// column_i ← exp(ψ(λ_i) − psi_rowsum_i − m) for i < k (padding stays 0); returns m = max_i ψ(λ_i) −
  /// psi_rowsum_i. psi_rowsum: kp values (0 in the padding).
  float (*finish_column)(float* column, Eigen::Index k, Eigen::Index kp, const float* psi_rowsum) = nullptr;
  /// stats_i += e_i b_i · weight for i < k, in double (a document's statistics of one word).
  void (*add_stats)(const float* e, const float* b, float weight, Eigen::Index k, double* stats) = nullptr;
  /// Σ_i ψ(x_i) of n values, ψ in single precision, summed in double.
  double (*sum_digamma)(const double* x, Eigen::Index n) = nullptr;
};

/// Every version this build has, narrowest first.
std::span<const LdaKernels> lda_kernel_versions();
/// Whether this CPU runs `version`.
bool lda_kernels_run_here(const LdaKernels& version);
/// The widest version this CPU runs, chosen at the first call.
const LdaKernels& lda_kernels();

// Keeps log(phinorm) finite, and c_w / phinorm_w, when a word's scaled weights
// all underflow (with columns and e scaled to a largest entry of 1, they would
// need E[log θ_k] + E[log β_kw] 87 below both maxima in every topic).
inline constexpr float kTiny = 1e-30F;

// Columns of the document's block per step of the fused pass (the code below
// is written for 4). Each column has two accumulators of W independent chains
// in a fixed order, so the dot products vectorise without reassociating (the
// order differs between W).
inline constexpr Eigen::Index kCols = 4;

// W floats (and W int32s, W doubles) as one value of the compiler's vector extension, aligned as their
// elements (loads and stores go through memcpy); one specialisation per width (GCC takes vector_size only
// of a non-dependent size).
template <int W>
struct LanesOf;
#define NATGRAD_LANES(W)                                                                            \
  template <>                                                                                       \
  struct LanesOf<W> {                                                                               \
    using type = float __attribute__((vector_size(W * sizeof(float)), aligned(sizeof(float))));     \
    using ints = std::int32_t __attribute__((vector_size(W * sizeof(float)), aligned(sizeof(float)))); \
    using doubles = double __attribute__((vector_size(W * sizeof(double)), aligned(sizeof(double)))); \
  };
NATGRAD_LANES(4)
NATGRAD_LANES(8)
NATGRAD_LANES(16)
#undef NATGRAD_LANES
template <int W>
using Lanes = typename LanesOf<W>::type;
template <int W>
using IntLanes = typename LanesOf<W>::ints;
template <int W>
using DoubleLanes = typename LanesOf<W>::doubles;

#define NATGRAD_INLINE inline __attribute__((always_inline))
// The helpers below pass vectors by value, which GCC warns about when the width needs an instruction
// set the file is not compiled for; they are always inlined into the kernels' functions, which have it:
// no call, no ABI.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

template <int W>
NATGRAD_INLINE void load(Lanes<W>& v, const float* p) {
  std::memcpy(&v, p, sizeof v);
}

template <int W>
NATGRAD_INLINE void store(float* p, const Lanes<W>& v) {
  std::memcpy(p, &v, sizeof v);
}

// Σ of the lanes, in pairs.
template <int W>
NATGRAD_INLINE float lane_sum(const Lanes<W>& v) {
  float part[W];
  std::memcpy(part, &v, sizeof v);
  for (int width = W / 2; width > 0; width /= 2) {
    for (int i = 0; i < width; ++i) part[i] += part[i + width];
  }
  return part[0];
}

template <int W>
NATGRAD_INLINE Lanes<W> lanes_max(const Lanes<W>& a, const Lanes<W>& b) {
  return a > b ? a : b;
}

template <int W>
NATGRAD_INLINE Lanes<W> lanes_min(const Lanes<W>& a, const Lanes<W>& b) {
  return a < b ? a : b;
}

// exp(x) of each lane (Cephes' expf): x = n log 2 + r, |r| ≤ log(2)/2, a degree-5 polynomial in r, times
// 2^n. x is clamped to [−87.3, 88.3] (the result to the normal range: about 1e-38 for anything below).
template <int W>
NATGRAD_INLINE Lanes<W> lanes_exp(Lanes<W> x) {
  using I = IntLanes<W>;
  using V = Lanes<W>;
  x = lanes_min<W>(lanes_max<W>(x, V{} - 87.3F), V{} + 88.3F);
  const V scaled = x * 1.44269504088896341F + 0.5F;
  I n = __builtin_convertvector(scaled, I);  // toward zero
  n += __builtin_convertvector(n, V) > scaled;  // floor: −1 where truncation went up
  const V fn = __builtin_convertvector(n, V);
  x -= fn * 0.693359375F;
  x -= fn * -2.12194440e-4F;
  const V z = x * x;
  V y = 1.9875691500E-4F * x + 1.3981999507E-3F;
  y = y * x + 8.3334519073E-3F;
  y = y * x + 4.1665795894E-2F;
  y = y * x + 1.6666665459E-1F;
  y = y * x + 5.0000001201E-1F;
  y = y * z + x + 1.0F;
  const I bits = (n + 127) << 23;
  return y * __builtin_bit_cast(V, bits);
}

// log(x) of each lane, x a positive normal float (Cephes' logf): x = m 2^e, m in [√½, √2), a degree-8
// polynomial in m − 1.
template <int W>
NATGRAD_INLINE Lanes<W> lanes_log(const Lanes<W>& x) {
  using I = IntLanes<W>;
  using V = Lanes<W>;
  const I bits = __builtin_bit_cast(I, x);
  I e = ((bits >> 23) & 0xff) - 126;
  V m = __builtin_bit_cast(V, (bits & 0x807fffff) | 0x3f000000);  // in [0.5, 1)
  const I small = m < 0.707106781186547524F;                     // −1 where m < √½
  e += small;
  m = (small ? m + m : m) - 1.0F;
  const V z = m * m;
  V y = 7.0376836292E-2F * m - 1.1514610310E-1F;
  y = y * m + 1.1676998740E-1F;
  y = y * m - 1.2420140846E-1F;
  y = y * m + 1.4249322787E-1F;
  y = y * m - 1.6668057665E-1F;
  y = y * m + 2.0000714765E-1F;
  y = y * m - 2.4999993993E-1F;
  y = y * m + 3.3333331174E-1F;
  y = y * m * z;
  const V fe = __builtin_convertvector(e, V);
  y += fe * -2.12194440e-4F;
  y -= 0.5F * z;
  return m + y + fe * 0.693359375F;
}

// ψ(x) of each lane, x > 0, as expfam::digamma's single-precision scheme: ψ(x) = ψ(x + 4) − Σ_{i<4} 1/(x + i),
// the sum as one fraction p/q, then the asymptotic series at y = x + 4 through B_8. x is clamped to
// [1e-30, 1e7] but in y.
template <int W>
NATGRAD_INLINE Lanes<W> lanes_digamma(const Lanes<W>& x) {
  using V = Lanes<W>;
  const V xl = lanes_max<W>(x, V{} + 1e-30F);
  const V xc = lanes_min<W>(xl, V{} + 1e7F);
  V p = V{} + 1.0F;
  V q = xc;
  for (int m = 1; m < 4; ++m) {
    const V xm = xc + static_cast<float>(m);
    p = p * xm + q;
    q = q * xm;
  }
  const V yc = xc + 4.0F;
  const V r = 1.0F / (yc * q);
  const V inv = q * r;
  const V inv2 = inv * inv;
  // |B_2n| / (2n), n = 1..4, alternating: 1/12 − inv2 (1/120 − inv2 (1/252 − inv2 / 240)).
  V series = 1.0F / 252 - inv2 * (1.0F / 240);
  series = 1.0F / 120 - inv2 * series;
  series = 1.0F / 12 - inv2 * series;
  series *= inv2;
  return lanes_log<W>(xl + 4.0F) - 0.5F * inv - series - p * yc * r;
}

// One pass over the document's padded K × n block b (column j the padded K values of word j,
// contiguous): phinorm_j = Σ_k e_k b_kj + kTiny (2K flops per word) and, when t is wanted,
// t_k = Σ_j b_kj c_j / phinorm_j (2K flops per word): the two matrix-vector products of an iteration,
// fused so that b is read once per iteration; a block of kCols columns stays in L1 from the dot
// products to the update of t. k is a multiple of W (padding rows 0 in b and e).
template <int W>
NATGRAD_INLINE void fused_pass_lanes(const float* b, Eigen::Index k, Eigen::Index n, const float* counts,
                                     const float* ep, float* phinorm, float* tp) {
  using V = Lanes<W>;
  if (tp != nullptr) std::fill(tp, tp + k, 0.0F);
  for (Eigen::Index j0 = 0; j0 < n; j0 += kCols) {
    const Eigen::Index cols = std::min(kCols, n - j0);
    // A short last block repeats its last column, with weight 0.
    const float* c0 = b + j0 * k;
    const float* c1 = b + (j0 + std::min<Eigen::Index>(1, cols - 1)) * k;
    const float* c2 = b + (j0 + std::min<Eigen::Index>(2, cols - 1)) * k;
    const float* c3 = b + (j0 + std::min<Eigen::Index>(3, cols - 1)) * k;
    // Two accumulators per column: 8 independent vector chains, enough to keep two FMA pipes busy,
    // and within SSE2's 16 registers; then any last vector.
    V a0 = {}, a1 = {}, a2 = {}, a3 = {};
    V b0 = {}, b1 = {}, b2 = {}, b3 = {};
    V ea, eb, x;
    Eigen::Index r = 0;
    for (; r + 2 * W <= k; r += 2 * W) {
      load<W>(ea, ep + r);
      load<W>(eb, ep + r + W);
      load<W>(x, c0 + r), a0 += x * ea;
      load<W>(x, c1 + r), a1 += x * ea;
      load<W>(x, c2 + r), a2 += x * ea;
      load<W>(x, c3 + r), a3 += x * ea;
      load<W>(x, c0 + r + W), b0 += x * eb;
      load<W>(x, c1 + r + W), b1 += x * eb;
      load<W>(x, c2 + r + W), b2 += x * eb;
      load<W>(x, c3 + r + W), b3 += x * eb;
    }
    for (; r < k; r += W) {
      load<W>(ea, ep + r);
      load<W>(x, c0 + r), a0 += x * ea;
      load<W>(x, c1 + r), a1 += x * ea;
      load<W>(x, c2 + r), a2 += x * ea;
      load<W>(x, c3 + r), a3 += x * ea;
    }
    a0 += b0, a1 += b1, a2 += b2, a3 += b3;
    const float sums[kCols] = {lane_sum<W>(a0), lane_sum<W>(a1), lane_sum<W>(a2), lane_sum<W>(a3)};
    float w[kCols];
    for (Eigen::Index c = 0; c < kCols; ++c) {
      const float p = sums[c] + kTiny;
      w[c] = c < cols ? counts[j0 + c] / p : 0.0F;
      if (c < cols) phinorm[j0 + c] = p;
    }
    if (tp == nullptr) continue;
    V y0, y1, y2, y3, sum;
    for (Eigen::Index i = 0; i < k; i += W) {
      load<W>(y0, c0 + i), load<W>(y1, c1 + i), load<W>(y2, c2 + i), load<W>(y3, c3 + i), load<W>(sum, tp + i);
      sum += (w[0] * y0 + w[1] * y1) + (w[2] * y2 + w[3] * y3);
      store<W>(tp + i, sum);
    }
  }
}

// Lanes i0 ... i0 + W − 1 that are below k: −1 there, 0 elsewhere.
template <int W>
NATGRAD_INLINE IntLanes<W> below(Eigen::Index i0, Eigen::Index k) {
  IntLanes<W> index;
  for (int i = 0; i < W; ++i) index[i] = static_cast<std::int32_t>(i0 + i);
  return index < static_cast<std::int32_t>(k);
}

template <int W>
NATGRAD_INLINE float lanes_max_of(const Lanes<W>& v) {
  float best = v[0];
  for (int i = 1; i < W; ++i) best = std::max(best, v[i]);
  return best;
}

// values_i ← exp(values_i − m), m = max_{i<k} values_i, for i < k, and 0 for k ≤ i < kp. Returns m.
template <int W>
NATGRAD_INLINE float exp_of_max_scaled(float* values, Eigen::Index k, Eigen::Index kp) {
  using V = Lanes<W>;
  constexpr float kLowest = -3.0e38F;
  V best = V{} + kLowest;
  V x;
  for (Eigen::Index i = 0; i < kp; i += W) {
    load<W>(x, values + i);
    best = lanes_max<W>(best, below<W>(i, k) ? x : V{} + kLowest);
  }
  const float m = lanes_max_of<W>(best);
  for (Eigen::Index i = 0; i < kp; i += W) {
    load<W>(x, values + i);
    store<W>(values + i, below<W>(i, k) ? lanes_exp<W>(x - m) : V{});
  }
  return m;
}

template <int W>
NATGRAD_INLINE void expected_theta_lanes(const double* gamma, Eigen::Index k, Eigen::Index kp, float* e, float* psi) {
  for (Eigen::Index i = 0; i < kp; i += W) {
    Lanes<W> g = Lanes<W>{} + 1.0F;
    for (int j = 0; j < W && i + j < k; ++j) g[j] = static_cast<float>(gamma[i + j]);
    const Lanes<W> psi_g = lanes_digamma<W>(g);
    store<W>(e + i, psi_g);
    store<W>(psi + i, psi_g);
  }
  exp_of_max_scaled<W>(e, k, kp);
}

template <int W>
NATGRAD_INLINE float finish_column_lanes(float* column, Eigen::Index k, Eigen::Index kp, const float* psi_rowsum) {
  Lanes<W> x, rowsum;
  for (Eigen::Index i = 0; i < kp; i += W) {
    load<W>(x, column + i);
    load<W>(rowsum, psi_rowsum + i);
    store<W>(column + i, lanes_digamma<W>(x) - rowsum);
  }
  return exp_of_max_scaled<W>(column, k, kp);
}

template <int W>
NATGRAD_INLINE void add_stats_lanes(const float* e, const float* b, float weight, Eigen::Index k, double* stats) {
  using V = Lanes<W>;
  using D = DoubleLanes<W>;
  Eigen::Index i = 0;
  for (; i + W <= k; i += W) {
    V x, y;
    load<W>(x, e + i);
    load<W>(y, b + i);
    D s;
    std::memcpy(&s, stats + i, sizeof s);
    s += __builtin_convertvector(x * y * weight, D);
    std::memcpy(stats + i, &s, sizeof s);
  }
  for (; i < k; ++i) stats[i] += static_cast<double>(e[i] * b[i] * weight);
}

template <int W>
NATGRAD_INLINE double sum_digamma_lanes(const double* x, Eigen::Index n) {
  using V = Lanes<W>;
  using D = DoubleLanes<W>;
  D sum = {};
  Eigen::Index i = 0;
  for (; i + W <= n; i += W) {
    D xd;
    std::memcpy(&xd, x + i, sizeof xd);
    sum += __builtin_convertvector(lanes_digamma<W>(__builtin_convertvector(xd, V)), D);
  }
  double total = 0.0;
  for (int j = 0; j < W; ++j) total += sum[j];
  if (i < n) {
    V rest = V{} + 1.0F;
    for (Eigen::Index j = i; j < n; ++j) rest[j - i] = static_cast<float>(x[j]);
    const V psi = lanes_digamma<W>(rest);
    for (Eigen::Index j = i; j < n; ++j) total += static_cast<double>(psi[j - i]);
  }
  return total;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#undef NATGRAD_INLINE

}  // namespace natgrad::models::detail
