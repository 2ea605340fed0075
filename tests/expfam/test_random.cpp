#include <gtest/gtest.h>

#include <cmath>

#include "natgrad/expfam/random.hpp"

namespace natgrad::expfam {
namespace {

TEST(CounterRng, SameKeySameStreamDifferentKeyDifferentStream) {
  CounterRng a(7, Purpose::kHoldout, 12, 3);
  CounterRng b(7, Purpose::kHoldout, 12, 3);
  CounterRng c(7, Purpose::kHoldout, 12, 4);
  CounterRng d(8, Purpose::kHoldout, 12, 3);
  for (int i = 0; i < 10; ++i) {
    const auto x = a.bits();
    EXPECT_EQ(x, b.bits());
    EXPECT_NE(x, c.bits());
    EXPECT_NE(x, d.bits());
  }
}

TEST(CounterRng, UniformBelowAndGammaHaveTheRightMoments) {
  CounterRng rng(1, Purpose::kGlobalInit, 0);
  const int n = 200000;
  double u_sum = 0, below_sum = 0, g_sum = 0, g_sq = 0, small_sum = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    ASSERT_GT(u, 0.0);
    ASSERT_LT(u, 1.0);
    u_sum += u;
    const auto k = rng.below(10);
    ASSERT_LT(k, 10u);
    below_sum += static_cast<double>(k);
    const double g = rng.gamma(100.0);
    g_sum += g;
    g_sq += g * g;
    small_sum += rng.gamma(0.3);
  }
  EXPECT_NEAR(u_sum / n, 0.5, 0.005);
  EXPECT_NEAR(below_sum / n, 4.5, 0.05);
  EXPECT_NEAR(g_sum / n, 100.0, 0.2);
  EXPECT_NEAR(g_sq / n - (g_sum / n) * (g_sum / n), 100.0, 3.0);
  EXPECT_NEAR(small_sum / n, 0.3, 0.01);
}

}  // namespace
}  // namespace natgrad::expfam
