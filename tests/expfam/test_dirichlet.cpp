// The identities the Dirichlet factor rests on: ∇A equals the mean parameters,
// the Fisher information is ∇²A, KL ≥ 0 with KL(p‖p) = 0, and the natural
// gradient of a Dirichlet–multinomial ELBO is η + Σ t(x_n) − λ.

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "natgrad/error.hpp"
#include "natgrad/expfam/dirichlet.hpp"
#include "natgrad/expfam/special.hpp"
#include "test_data.hpp"

namespace natgrad::expfam {
namespace {

constexpr double kEulerGamma = 0.57721566490153286061;

TEST(Special, DigammaKnownValues) {
  EXPECT_NEAR(digamma(1.0), -kEulerGamma, 1e-14);
  EXPECT_NEAR(digamma(0.5), -kEulerGamma - 2.0 * std::log(2.0), 1e-14);
  EXPECT_NEAR(digamma(4.0), 1.0 + 0.5 + 1.0 / 3.0 - kEulerGamma, 1e-14);
  EXPECT_NEAR(digamma(1e-3), -1000.5755719318103, 1e-9);
  EXPECT_NEAR(digamma(1000.0), 6.9072551956488, 1e-12);
}

TEST(Special, DigammaIsDerivativeOfLgammaAndTrigammaOfDigamma) {
  for (const double x : {0.01, 0.3, 1.0, 2.5, 7.0, 40.0, 1234.5}) {
    const double h = 1e-5 * std::max(1.0, x);
    EXPECT_NEAR(digamma(x), (std::lgamma(x + h) - std::lgamma(x - h)) / (2 * h), 1e-6 * std::abs(digamma(x)) + 1e-6);
    EXPECT_NEAR(trigamma(x), (digamma(x + h) - digamma(x - h)) / (2 * h), 1e-5 * trigamma(x));
  }
}

TEST(Special, ArrayDigammaAgreesWithScalarOverAWideRange) {
  // Log-uniform over 1e-300 .. 1e300, dense in 1e-3 .. 1e3 where LDA lives,
  // plus the points where the scheme changes (the shift by 8, the clamp) and
  // the root of ψ, x0 ≈ 1.4616, where only an absolute error is meaningful.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> wide(std::log(1e-300), std::log(1e300));
  std::uniform_real_distribution<double> near(std::log(1e-3), std::log(1e3));
  std::vector<double> values = {1e-300, 1e-8, 0.01, 0.5, 1.0, 1.4616321449683622, 1.46163214496836,
                                2.0, 7.999, 8.0, 8.001, 10.0, 1e15, 1e30, 1.0000001e30, 1e300};
  for (int i = 0; i < 2000; ++i) values.push_back(std::exp(i % 2 == 0 ? wide(rng) : near(rng)));
  // Sizes that are not a multiple of the block, so the tail is exercised too.
  for (const std::size_t size : {values.size(), std::size_t{1}, std::size_t{17}, std::size_t{100}}) {
    const Eigen::Map<const Eigen::ArrayXd> x(values.data(), static_cast<Eigen::Index>(size));
    Eigen::ArrayXd out(x.size());
    digamma(x, out);
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      const double expected = digamma(x[i]);
      EXPECT_NEAR(out[i], expected, 1e-14 * std::max(1.0, std::abs(expected))) << "x = " << x[i];
    }
  }
  // In place.
  Eigen::ArrayXd a = Eigen::ArrayXd::LinSpaced(37, 0.01, 50.0);
  const Eigen::ArrayXd copy = a;
  digamma(a, a);
  for (Eigen::Index i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], digamma(copy[i]), 1e-14 * std::max(1.0, std::abs(a[i])));
}

TEST(Special, ExpDigammaIsExpOfDigamma) {
  std::mt19937_64 rng(13);
  std::uniform_real_distribution<double> log_value(std::log(2e-3), std::log(1e6));
  Eigen::ArrayXd x(1001);
  for (auto& v : x) v = std::exp(log_value(rng));
  x[0] = 1.0;
  x[1] = 1e-5;  // exp(ψ) ≈ exp(−1e5): below the smallest double
  Eigen::ArrayXd out(x.size());
  exp_digamma(x, out);
  EXPECT_NEAR(out[0], std::exp(-kEulerGamma), 1e-15);
  EXPECT_LT(out[1], 1e-300);
  for (Eigen::Index i = 2; i < x.size(); ++i) {
    // Relative to exp(ψ), the error is ψ's absolute one: about 1e-14 |ψ|.
    const double psi = digamma(x[i]);
    EXPECT_NEAR(out[i], std::exp(psi), 1e-13 * std::max(1.0, std::abs(psi)) * std::exp(psi)) << "x = " << x[i];
  }
  exp_digamma(x, x);  // in place
  EXPECT_TRUE((x == out).all());
}


Eigen::ArrayXd random_positive(std::mt19937_64& rng, int n) {
  std::uniform_real_distribution<double> log_value(std::log(0.05), std::log(20.0));
  Eigen::ArrayXd a(n);
  for (auto& v : a) v = std::exp(log_value(rng));
  return a;
}

TEST(Dirichlet, GradientOfLogPartitionIsMeanParameters) {
  std::mt19937_64 rng(1);
  for (int trial = 0; trial < 20; ++trial) {
    const Eigen::ArrayXd alpha = random_positive(rng, 5);
    const Eigen::ArrayXd mean = Dirichlet(alpha).mean();
    for (int i = 0; i < alpha.size(); ++i) {
      const double h = 1e-6 * alpha[i];
      Eigen::ArrayXd up = alpha;
      Eigen::ArrayXd down = alpha;
      up[i] += h;
      down[i] -= h;
      const double fd = (Dirichlet(up).log_partition() - Dirichlet(down).log_partition()) / (2 * h);
      EXPECT_NEAR(fd, mean[i], 1e-6 * (1.0 + std::abs(mean[i])));
    }
  }
}

TEST(Dirichlet, MeanParametersAreExpectedLogsBySampling) {
  // E[log x_i] from Gamma draws: x = g / Σg with g_i ~ Gamma(α_i).
  std::mt19937_64 rng(2);
  const Eigen::ArrayXd alpha = (Eigen::ArrayXd(3) << 0.7, 2.0, 5.0).finished();
  std::vector<std::gamma_distribution<double>> draws;
  for (const double a : alpha) draws.emplace_back(a, 1.0);
  Eigen::ArrayXd sum = Eigen::ArrayXd::Zero(3);
  const int n = 200000;
  for (int s = 0; s < n; ++s) {
    Eigen::ArrayXd g(3);
    for (int i = 0; i < 3; ++i) g[i] = draws[static_cast<std::size_t>(i)](rng);
    sum += (g / g.sum()).log();
  }
  const Eigen::ArrayXd mean = Dirichlet(alpha).mean();
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(sum[i] / n, mean[i], 0.01);
}

TEST(Dirichlet, FisherIsJacobianOfMeanParameters) {
  std::mt19937_64 rng(3);
  const Eigen::ArrayXd alpha = random_positive(rng, 4);
  const Eigen::MatrixXd fisher = Dirichlet(alpha).fisher();
  for (int j = 0; j < alpha.size(); ++j) {
    const double h = 1e-6 * alpha[j];
    Eigen::ArrayXd up = alpha;
    Eigen::ArrayXd down = alpha;
    up[j] += h;
    down[j] -= h;
    const Eigen::ArrayXd column = (Dirichlet(up).mean() - Dirichlet(down).mean()) / (2 * h);
    for (int i = 0; i < alpha.size(); ++i) EXPECT_NEAR(column[i], fisher(i, j), 1e-5 * (1 + std::abs(fisher(i, j))));
  }
}

TEST(Dirichlet, KlIsNonNegativeAndZeroOnlyForItself) {
  std::mt19937_64 rng(4);
  for (int trial = 0; trial < 200; ++trial) {
    const Dirichlet p(random_positive(rng, 6));
    const Dirichlet q(random_positive(rng, 6));
    EXPECT_GT(p.kl(q), 0.0);
    EXPECT_NEAR(p.kl(p), 0.0, 1e-12);
  }
}

TEST(Dirichlet, KlMatchesMonteCarlo) {
  std::mt19937_64 rng(5);
  const Eigen::ArrayXd a = (Eigen::ArrayXd(3) << 1.5, 0.8, 3.0).finished();
  const Eigen::ArrayXd b = (Eigen::ArrayXd(3) << 1.0, 1.0, 1.0).finished();
  const Dirichlet p(a);
  const Dirichlet q(b);
  std::vector<std::gamma_distribution<double>> draws;
  for (const double v : a) draws.emplace_back(v, 1.0);
  double sum = 0.0;
  const int n = 200000;
  for (int s = 0; s < n; ++s) {
    Eigen::ArrayXd g(3);
    for (int i = 0; i < 3; ++i) g[i] = draws[static_cast<std::size_t>(i)](rng);
    const Eigen::ArrayXd logx = (g / g.sum()).log();
    // log p(x) − log q(x) with the base measure cancelling.
    sum += ((a - b) * logx).sum() - p.log_partition() + q.log_partition();
  }
  EXPECT_NEAR(sum / n, p.kl(q), 0.01);
}

TEST(Dirichlet, RejectsInvalidParameters) {
  EXPECT_THROW(Dirichlet{Eigen::ArrayXd()}, Error);
  EXPECT_THROW(Dirichlet((Eigen::ArrayXd(2) << 1.0, 0.0).finished()), Error);
  EXPECT_THROW(Dirichlet((Eigen::ArrayXd(2) << 1.0, -2.0).finished()), Error);
  EXPECT_THROW(Dirichlet((Eigen::ArrayXd(2) << 1.0, std::nan("")).finished()), Error);
}

// A Dirichlet–multinomial model: β ~ Dir(η), x_1..x_N ~ Cat(β), q(β) = Dir(λ).
// With n_w the count of word w, the ELBO is
//   L(λ) = Σ_w (η_w − 1 + n_w) E[log β_w] − Σ_w (λ_w − 1) E[log β_w] + A(λ) − A(η).
double dirichlet_multinomial_elbo(const Eigen::ArrayXd& eta, const Eigen::ArrayXd& counts,
                                  const Eigen::ArrayXd& lambda) {
  const Dirichlet q(lambda);
  const Eigen::ArrayXd elog = q.mean();
  return ((eta + counts - lambda) * elog).sum() + q.log_partition() - Dirichlet(eta).log_partition();
}

TEST(NaturalGradient, FisherInverseTimesGradientIsEtaPlusStatisticsMinusLambda) {
  std::mt19937_64 rng(6);
  const int v = 5;
  const Eigen::ArrayXd eta = Eigen::ArrayXd::Constant(v, 0.5);
  const Eigen::ArrayXd counts = (Eigen::ArrayXd(v) << 3, 0, 7, 1, 2).finished();
  for (int trial = 0; trial < 10; ++trial) {
    const Eigen::ArrayXd lambda = random_positive(rng, v);
    Eigen::VectorXd gradient(v);
    for (int i = 0; i < v; ++i) {
      const double h = 1e-6 * lambda[i];
      Eigen::ArrayXd up = lambda;
      Eigen::ArrayXd down = lambda;
      up[i] += h;
      down[i] -= h;
      gradient[i] = (dirichlet_multinomial_elbo(eta, counts, up) - dirichlet_multinomial_elbo(eta, counts, down)) / (2 * h);
    }
    const Eigen::MatrixXd fisher = Dirichlet(lambda).fisher();
    const Eigen::VectorXd natural = fisher.ldlt().solve(gradient);
    const Eigen::VectorXd expected = (eta + counts - lambda).matrix();
    for (int i = 0; i < v; ++i) EXPECT_NEAR(natural[i], expected[i], 1e-4 * (1 + std::abs(expected[i])));
    // And the coordinate-ascent optimum λ* = η + n is a stationary point.
    const Eigen::ArrayXd optimum = eta + counts;
    for (int i = 0; i < v; ++i) {
      const double h = 1e-6;
      Eigen::ArrayXd up = optimum;
      Eigen::ArrayXd down = optimum;
      up[i] += h;
      down[i] -= h;
      EXPECT_NEAR(dirichlet_multinomial_elbo(eta, counts, up), dirichlet_multinomial_elbo(eta, counts, down), 1e-9);
    }
  }
}

TEST(DirichletPrior, GradientAndNewtonStepOfTheObjective) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 5; ++trial) {
    const int k = 4;
    const Eigen::VectorXd alpha = random_positive(rng, k).matrix();
    const Eigen::VectorXd sum_log = -3.0 * random_positive(rng, k).matrix();
    const auto prior = DirichletPrior::asymmetric(sum_log, 7.0);
    // ∇f by finite differences.
    const Eigen::VectorXd g = prior.gradient(alpha);
    Eigen::MatrixXd hessian(k, k);
    for (int i = 0; i < k; ++i) {
      const double h = 1e-6 * alpha[i];
      Eigen::VectorXd up = alpha, down = alpha;
      up[i] += h;
      down[i] -= h;
      EXPECT_NEAR((prior.objective(up) - prior.objective(down)) / (2 * h), g[i], 1e-5 * (1 + std::abs(g[i])));
      hessian.col(i) = (prior.gradient(up) - prior.gradient(down)) / (2 * h);
    }
    // The linear-time Newton step is −H⁻¹∇f of the Hessian built densely.
    const Eigen::VectorXd newton = -hessian.ldlt().solve(g);
    EXPECT_LT((prior.newton_step(alpha) - newton).norm(), 1e-5 * newton.norm());
    // Symmetric: one parameter over d = 6 dimensions.
    const auto symmetric = DirichletPrior::symmetric(sum_log.sum(), 3.0, 6.0);
    const Eigen::VectorXd a = Eigen::VectorXd::Constant(1, alpha[0]);
    const double h = 1e-6 * a[0];
    const double fd = (symmetric.objective(a + Eigen::VectorXd::Constant(1, h)) -
                       symmetric.objective(a - Eigen::VectorXd::Constant(1, h))) / (2 * h);
    EXPECT_NEAR(symmetric.gradient(a)[0], fd, 1e-5 * (1 + std::abs(fd)));
  }
  // Values ≤ 0 are not allowed: −∞.
  EXPECT_EQ(DirichletPrior::asymmetric(Eigen::VectorXd::Ones(2), 1.0).objective(Eigen::Vector2d(1.0, -0.1)),
            -std::numeric_limits<double>::infinity());
}

TEST(DirichletPrior, NewtonStepsReachTheFixedPointMaximumLikelihood) {
  // Samples of a known asymmetric Dirichlet; Newton from α = 1 against Minka's fixed point.
  std::mt19937_64 rng(9);
  const Eigen::VectorXd truth = (Eigen::VectorXd(5) << 0.1, 0.5, 1.0, 2.0, 0.05).finished();
  Eigen::VectorXd sum_log = Eigen::VectorXd::Zero(5);
  const int n = 4000;
  for (int s = 0; s < n; ++s) {
    Eigen::VectorXd x(5);
    for (int k = 0; k < 5; ++k) x[k] = std::gamma_distribution<double>(truth[k], 1.0)(rng);
    sum_log += (x / x.sum()).array().max(1e-300).log().matrix();
  }
  const auto prior = DirichletPrior::asymmetric(sum_log, n);
  Eigen::VectorXd alpha = Eigen::VectorXd::Ones(5);
  for (int step = 0; step < 100; ++step) {
    const Eigen::VectorXd d = prior.newton_step(alpha);
    double length = 1.0;
    while (prior.objective(alpha + length * d) < prior.objective(alpha)) length /= 2;
    alpha += length * d;
  }
  const Eigen::VectorXd mle = testing::dirichlet_mle(sum_log, n);
  EXPECT_LT(((alpha - mle).array().abs() / mle.array()).maxCoeff(), 1e-8) << alpha.transpose() << " vs " << mle.transpose();
  EXPECT_LT(((mle - truth).array().abs() / truth.array()).maxCoeff(), 0.1);  // and the MLE is near the truth
}

}  // namespace
}  // namespace natgrad::expfam
