// The versions of LDA's kernels (kernels.hpp) this build has: each the same
// templates, compiled for one vector width with the instruction set that
// width needs (a function attribute, so that one binary carries them all and
// runs anywhere), and the choice of the widest that the CPU runs.

// The kernels' helpers pass wide vectors by value, always inlined (kernels.hpp): GCC's ABI note on them,
// emitted where the templates are instantiated at the end of this file, does not apply.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#include "kernels.hpp"

namespace natgrad::models::detail {

namespace {

// The five kernels at width W, compiled with ATTRIBUTES (an instruction set), named NAME_*, LABEL in messages.
#define NATGRAD_LDA_KERNELS(W, NAME, LABEL, ATTRIBUTES)                                                                    \
  ATTRIBUTES void NAME##_fused_pass(const float* b, Eigen::Index k, Eigen::Index n, const float* counts,           \
                                    const float* e, float* phinorm, float* t) {                                   \
    fused_pass_lanes<W>(b, k, n, counts, e, phinorm, t);                                                          \
  }                                                                                                               \
  ATTRIBUTES void NAME##_expected_theta(const double* gamma, Eigen::Index k, Eigen::Index kp, float* e,          \
                                        float* psi) {                                                             \
    expected_theta_lanes<W>(gamma, k, kp, e, psi);                                                                \
  }                                                                                                               \
  ATTRIBUTES float NAME##_finish_column(float* column, Eigen::Index k, Eigen::Index kp, const float* psi_rowsum) { \
    return finish_column_lanes<W>(column, k, kp, psi_rowsum);                                                     \
  }                                                                                                               \
  ATTRIBUTES void NAME##_add_stats(const float* e, const float* b, float weight, Eigen::Index k, double* stats) {  \
    add_stats_lanes<W>(e, b, weight, k, stats);                                                                   \
  }                                                                                                               \
  ATTRIBUTES double NAME##_sum_digamma(const double* x, Eigen::Index n) { return sum_digamma_lanes<W>(x, n); }     \
  constexpr LdaKernels NAME##_kernels{W,                                                                          \
                                      LABEL,                                                                      \
                                      NAME##_fused_pass,                                                          \
                                      NAME##_expected_theta,                                                      \
                                      NAME##_finish_column,                                                       \
                                      NAME##_add_stats,                                                           \
                                      NAME##_sum_digamma};

#if defined(__x86_64__)
NATGRAD_LDA_KERNELS(4, base, "sse2", )
NATGRAD_LDA_KERNELS(8, avx2, "avx2", __attribute__((target("avx2,fma"))))
NATGRAD_LDA_KERNELS(16, avx512, "avx512", __attribute__((target("avx512f,avx2,fma"))))
constexpr LdaKernels kVersions[] = {base_kernels, avx2_kernels, avx512_kernels};
#else
NATGRAD_LDA_KERNELS(4, base, "generic", )
constexpr LdaKernels kVersions[] = {base_kernels};
#endif
#undef NATGRAD_LDA_KERNELS

}  // namespace

std::span<const LdaKernels> lda_kernel_versions() { return kVersions; }

bool lda_kernels_run_here(const LdaKernels& version) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (version.width == 16) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (version.width == 8) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return version.width == 4;
}

const LdaKernels& lda_kernels() {
  static const LdaKernels& chosen = [&]() -> const LdaKernels& {
    for (auto it = kVersions + std::size(kVersions); it != kVersions;) {
      --it;
      if (lda_kernels_run_here(*it)) return *it;
    }
    return kVersions[0];
  }();
  return chosen;
}

}  // namespace natgrad::models::detail
