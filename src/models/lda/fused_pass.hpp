#pragma once
/// @file The fused pass of LDA's local step (lda.cpp), at a given vector
/// width; in a header of its own so that the tests can run every width on any CPU.

#include <Eigen/Core>

#include <algorithm>
#include <cstring>

namespace natgrad::models::detail {

// Keeps log(phinorm) finite, and c_w / phinorm_w, when a word's scaled weights
// all underflow (with columns and e scaled to a largest entry of 1, they would
// need E[log θ_k] + E[log β_kw] 87 below both maxima in every topic).
inline constexpr float kTiny = 1e-30F;

// Columns of the document's block per step of the fused pass (the code below
// is written for 4). Each column has two accumulators of W independent chains
// (W floats a vector: 8 with AVX, 4 with SSE2) in a fixed order, so the dot
// products vectorise without reassociating (the order differs between W).
inline constexpr Eigen::Index kCols = 4;

// W floats as one value of the compiler's vector extension (GCC, clang): its
// arithmetic is inline code in every build, instrumented ones included, where
// Eigen's fixed-size arrays become calls, some 30 times slower. The helpers
// are always inlined, so that they take the instruction set of their caller
// (see fused_pass), and take vectors by reference (no vector ABI between them).
template <int W>
struct LanesOf;
template <>
struct LanesOf<4> {
  using type = float __attribute__((vector_size(4 * sizeof(float)), aligned(sizeof(float))));
};
template <>
struct LanesOf<8> {
  using type = float __attribute__((vector_size(8 * sizeof(float)), aligned(sizeof(float))));
};
template <int W>
using Lanes = typename LanesOf<W>::type;

#define NATGRAD_INLINE inline __attribute__((always_inline))

template <int W>
NATGRAD_INLINE void load(Lanes<W>& v, const float* p) {
  std::memcpy(&v, p, sizeof v);
}

// Σ of the lanes, in pairs.
template <int W>
NATGRAD_INLINE float lane_sum(const Lanes<W>& v) {
  if constexpr (W == 8) {
    return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
  } else {
    return (v[0] + v[1]) + (v[2] + v[3]);
  }
}

// One pass over the document's padded K × n block B = beta_d (column-major, so
// column j is the padded K values of word j, contiguous):
//     phinorm_j = Σ_k e_k B_kj + kTiny                       (2K flops per word)
// and, when t is wanted,
//     t_k = Σ_j B_kj c_j / phinorm_j                         (2K flops per word)
// — the two matrix-vector products of an iteration, fused so that B is read
// once per iteration; a block of kCols columns stays in L1 from the dot
// products to the update of t. k is a multiple of W (padding rows 0 in B and e).
template <int W>
NATGRAD_INLINE void fused_pass_of_width(const float* b, Eigen::Index k, Eigen::Index n, const float* counts,
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
    // Two accumulators per column: 8 independent vector chains, enough to keep
    // two FMA pipes busy, and within SSE2's 16 registers; then any last vector.
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
      std::memcpy(tp + i, &sum, sizeof sum);
    }
  }
}

#undef NATGRAD_INLINE

}  // namespace natgrad::models::detail
