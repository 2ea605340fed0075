// The identities the Gamma factor of Poisson factorization rests on: ∇A
// equals the mean parameters, the Fisher information is ∇²A, KL ≥ 0 with
// KL(p‖p) = 0, entropy and KL against Monte Carlo, and natural ↔ mean round trips.

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>

#include "natgrad/error.hpp"
#include "natgrad/expfam/gamma.hpp"
#include "test_data.hpp"

namespace natgrad::expfam {
namespace {

Gamma random_gamma(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> log_value(std::log(0.05), std::log(50.0));
  return {std::exp(log_value(rng)), std::exp(log_value(rng))};
}

// A(η) as a function of the natural parameters themselves.
double log_partition_at(const Eigen::Vector2d& eta) { return Gamma::from_natural(eta).log_partition(); }

TEST(Gamma, GradientOfLogPartitionIsMeanParameters) {
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 50; ++trial) {
    const Gamma g = random_gamma(rng);
    const Eigen::Vector2d eta = g.natural();
    const Eigen::Vector2d mean = g.mean();
    for (int i = 0; i < 2; ++i) {
      const double h = 1e-6 * std::max(1.0, std::abs(eta[i]));
      Eigen::Vector2d up = eta;
      Eigen::Vector2d down = eta;
      up[i] += h;
      down[i] -= h;
      const double fd = (log_partition_at(up) - log_partition_at(down)) / (2 * h);
      EXPECT_NEAR(fd, mean[i], 1e-6 * (1.0 + std::abs(mean[i]))) << "shape " << g.shape() << ", rate " << g.rate();
    }
  }
}

TEST(Gamma, FisherIsJacobianOfMeanParameters) {
  std::mt19937_64 rng(2);
  for (int trial = 0; trial < 50; ++trial) {
    const Gamma g = random_gamma(rng);
    const Eigen::Vector2d eta = g.natural();
    const Eigen::Matrix2d fisher = g.fisher();
    for (int j = 0; j < 2; ++j) {
      const double h = 1e-6 * std::max(1.0, std::abs(eta[j]));
      Eigen::Vector2d up = eta;
      Eigen::Vector2d down = eta;
      up[j] += h;
      down[j] -= h;
      const Eigen::Vector2d column = (Gamma::from_natural(up).mean() - Gamma::from_natural(down).mean()) / (2 * h);
      for (int i = 0; i < 2; ++i) EXPECT_NEAR(column[i], fisher(i, j), 1e-5 * (1 + std::abs(fisher(i, j))));
    }
    EXPECT_GT(fisher.determinant(), 0.0);  // positive definite: A is strictly convex
  }
}

TEST(Gamma, KlIsNonNegativeAndZeroForItself) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 500; ++trial) {
    const Gamma p = random_gamma(rng);
    const Gamma q = random_gamma(rng);
    EXPECT_GT(p.kl(q), 0.0);
    EXPECT_NEAR(p.kl(p), 0.0, 1e-12 * (1.0 + std::abs(p.log_partition())));
  }
}

TEST(Gamma, KlIsMinusEntropyMinusExpectedLogDensity) {
  // KL(q ‖ p) = −H(q) − E_q[log p]: the ELBO's Gamma terms written either way agree.
  std::mt19937_64 rng(4);
  for (int trial = 0; trial < 100; ++trial) {
    const Gamma q = random_gamma(rng);
    const Gamma p = random_gamma(rng);
    const double cross = gamma_expected_log_density(p.shape(), std::log(p.rate()), p.rate(), q.expected_log(), q.expected());
    EXPECT_NEAR(q.kl(p), -q.entropy() - cross, 1e-10 * (1.0 + std::abs(cross)));
  }
}

TEST(Gamma, MeanParametersEntropyAndKlMatchMonteCarlo) {
  std::mt19937_64 rng(5);
  const Gamma q(0.7, 2.5);
  const Gamma p(2.0, 1.0);
  std::gamma_distribution<double> draw(q.shape(), 1.0 / q.rate());
  const int n = testing::kSanitized ? 40000 : 400000;
  double log_x = 0.0, x = 0.0, neg_log_q = 0.0, log_ratio = 0.0;
  for (int s = 0; s < n; ++s) {
    const double v = draw(rng);
    const double lq = q.shape() * std::log(q.rate()) - std::lgamma(q.shape()) + (q.shape() - 1) * std::log(v) - q.rate() * v;
    const double lp = p.shape() * std::log(p.rate()) - std::lgamma(p.shape()) + (p.shape() - 1) * std::log(v) - p.rate() * v;
    log_x += std::log(v);
    x += v;
    neg_log_q -= lq;
    log_ratio += lq - lp;
  }
  const double tol = testing::kSanitized ? 0.05 : 0.015;
  EXPECT_NEAR(log_x / n, q.expected_log(), tol);
  EXPECT_NEAR(x / n, q.expected(), tol);
  EXPECT_NEAR(neg_log_q / n, q.entropy(), tol);
  EXPECT_NEAR(log_ratio / n, q.kl(p), tol);
}

TEST(Gamma, NaturalAndMeanParametersRoundTrip) {
  std::mt19937_64 rng(6);
  for (int trial = 0; trial < 200; ++trial) {
    const Gamma g = random_gamma(rng);
    const Gamma from_eta = Gamma::from_natural(g.natural());
    EXPECT_NEAR(from_eta.shape(), g.shape(), 1e-15);  // (α − 1) + 1: one rounding of α − 1
    EXPECT_EQ(from_eta.rate(), g.rate());
    const Gamma from_mu = Gamma::from_mean(g.mean());
    EXPECT_NEAR(from_mu.shape(), g.shape(), 1e-10 * g.shape());
    EXPECT_NEAR(from_mu.rate(), g.rate(), 1e-10 * g.rate());
  }
  // Far into both tails of the shape.
  for (const double shape : {1e-4, 1e-2, 1e3, 1e6}) {
    const Gamma g(shape, 3.0);
    EXPECT_NEAR(Gamma::from_mean(g.mean()).shape(), shape, 1e-8 * shape);
  }
}

TEST(Gamma, RejectsInvalidParameters) {
  EXPECT_THROW(Gamma(0.0, 1.0), Error);
  EXPECT_THROW(Gamma(1.0, -1.0), Error);
  EXPECT_THROW(Gamma(std::nan(""), 1.0), Error);
  EXPECT_THROW(Gamma(1.0, INFINITY), Error);
  EXPECT_THROW(Gamma::from_natural(Eigen::Vector2d(-1.0, -1.0)), Error);
  EXPECT_THROW(Gamma::from_natural(Eigen::Vector2d(0.5, 0.0)), Error);
  EXPECT_THROW(Gamma::from_mean(Eigen::Vector2d(std::log(2.0), 2.0)), Error);  // E[log x] = log E[x]: not a Gamma
  EXPECT_THROW(Gamma::from_mean(Eigen::Vector2d(0.0, -1.0)), Error);
}

}  // namespace
}  // namespace natgrad::expfam
