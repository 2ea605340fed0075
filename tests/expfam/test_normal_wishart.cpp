// The identities the Normal-Wishart and Normal-Gamma factors rest on: the exponential-family
// form equals the textbook density, ∇A equals the mean parameters, the mean parameters and
// KL agree with Monte Carlo, the parameterisations round-trip, the expected log-likelihood
// and the posterior predictive agree with Monte Carlo (and the latter integrates to one),
// and a Normal-Gamma is the product of its one-dimensional Normal-Wisharts.
//
// Monte Carlo comparisons use a fixed seed and a tolerance of 5 standard errors of the
// Monte Carlo mean (estimated from the same draws), so a wrong formula fails them while
// sampling noise cannot.

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "natgrad/error.hpp"
#include "natgrad/expfam/normal_wishart.hpp"
#include "natgrad/expfam/special.hpp"
#include "test_data.hpp"

// Under AddressSanitizer every draw's small allocations cost ~50 times more.
// The Monte Carlo tolerances are in standard errors of the same draws, so
// fewer draws there keep the tests as strict, only coarser.
constexpr int kDrawDivisor = natgrad::testing::kSanitized ? 10 : 1;

namespace natgrad::expfam {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kMonteCarloSigmas = 5.0;
constexpr double kRoundTrip = 1e-9;

// ------------------------------------------------------------------ helpers

/// Running mean and standard error of a Monte Carlo average.
class Average {
 public:
  void add(double v) {
    ++n_;
    sum_ += v;
    sum_sq_ += v * v;
  }
  double mean() const { return sum_ / n_; }
  double standard_error() const {
    const double m = mean();
    return std::sqrt(std::max(0.0, sum_sq_ / n_ - m * m) / n_);
  }
  /// |mean − expected| within kMonteCarloSigmas standard errors (plus rounding).
  void expect_matches(double expected, const std::string& what) const {
    EXPECT_NEAR(mean(), expected, kMonteCarloSigmas * standard_error() + 1e-12 * (1 + std::abs(expected))) << what;
  }

 private:
  double n_ = 0, sum_ = 0, sum_sq_ = 0;
};

/// |a − b| ≤ tol (1 + |b|), norm-wise for vectors and matrices: relative for the O(1)-and-larger
/// values these tests produce, absolute near zero.
void expect_close(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, double tol, const std::string& what) {
  ASSERT_EQ(a.rows(), b.rows()) << what;
  ASSERT_EQ(a.cols(), b.cols()) << what;
  EXPECT_LE((a - b).norm(), tol * (1.0 + b.norm())) << what << "\n" << a << "\nvs\n" << b;
}
void expect_close(double a, double b, double tol, const std::string& what) {
  EXPECT_LE(std::abs(a - b), tol * (1.0 + std::abs(b))) << what << ": " << a << " vs " << b;
}

template <typename F>
void expect_error_naming(F&& f, const std::string& name) {
  try {
    f();
    ADD_FAILURE() << "expected natgrad::Error naming " << name;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << "message: " << e.what();
  }
}

double log_uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::exp(std::uniform_real_distribution<double>(std::log(lo), std::log(hi))(rng));
}

Eigen::MatrixXd random_spd(std::mt19937_64& rng, int d) {
  std::normal_distribution<double> normal;
  Eigen::MatrixXd a(d, d);
  for (auto& v : a.reshaped()) v = normal(rng);
  return log_uniform(rng, 0.3, 3.0) * (a * a.transpose() / d + 0.5 * Eigen::MatrixXd::Identity(d, d));
}

/// β ∈ [0.3, 5], m ~ N(0, 1.5²), W^{-1} random SPD, ν − (D−1) ∈ [0.5, 10].
NormalWishart random_nw(std::mt19937_64& rng, int d) {
  std::normal_distribution<double> normal(0.0, 1.5);
  Eigen::VectorXd m(d);
  for (auto& v : m) v = normal(rng);
  const double beta = log_uniform(rng, 0.3, 5.0);
  const Eigen::MatrixXd scale_inv = random_spd(rng, d);
  const double dof = d - 1 + log_uniform(rng, 0.5, 10.0);
  return NormalWishart(beta, beta * m, scale_inv + beta * m * m.transpose(), dof);
}

NormalGamma random_ng(std::mt19937_64& rng, int d) {
  std::normal_distribution<double> normal(0.0, 1.5);
  Eigen::ArrayXd beta(d), mean(d), scale_inv(d), dof(d);
  for (int i = 0; i < d; ++i) {
    beta[i] = log_uniform(rng, 0.3, 5.0);
    mean[i] = normal(rng);
    scale_inv[i] = log_uniform(rng, 0.2, 5.0);
    dof[i] = log_uniform(rng, 0.5, 10.0);
  }
  return NormalGamma(beta, beta * mean, scale_inv + beta * mean.square(), dof);
}

/// log Γ_D(a), written out independently of the library.
double log_multigamma(double a, int d) {
  double s = d * (d - 1) / 4.0 * std::log(kPi);
  for (int j = 0; j < d; ++j) s += std::lgamma(a - 0.5 * j);
  return s;
}

double log_det(const Eigen::MatrixXd& a) {
  return 2.0 * Eigen::LLT<Eigen::MatrixXd>(a).matrixLLT().diagonal().array().log().sum();
}

/// log N(μ | m, (βΛ)^{-1}) + log W(Λ | W, ν), the textbook densities.
double nw_log_density(const NormalWishart& q, const Eigen::VectorXd& mu, const Eigen::MatrixXd& lambda) {
  const int d = static_cast<int>(q.dim());
  const double beta = q.beta();
  const double nu = q.dof();
  const Eigen::VectorXd diff = mu - q.mean_vector();
  const double log_det_lambda = log_det(lambda);
  const double log_normal = -0.5 * d * std::log(2 * kPi) + 0.5 * d * std::log(beta) + 0.5 * log_det_lambda -
                            0.5 * beta * diff.dot(lambda * diff);
  const double log_wishart = 0.5 * (nu - d - 1) * log_det_lambda - 0.5 * (q.scale_inv() * lambda).trace() -
                             0.5 * nu * d * std::log(2.0) + 0.5 * nu * log_det(q.scale_inv()) -
                             log_multigamma(0.5 * nu, d);
  return log_normal + log_wishart;
}

/// log N(x | μ, Λ^{-1}).
double log_normal(const Eigen::VectorXd& x, const Eigen::VectorXd& mu, const Eigen::MatrixXd& lambda) {
  const Eigen::VectorXd diff = x - mu;
  return -0.5 * static_cast<double>(x.size()) * std::log(2 * kPi) + 0.5 * log_det(lambda) -
         0.5 * diff.dot(lambda * diff);
}

struct NwDraw {
  Eigen::VectorXd mu;
  Eigen::MatrixXd lambda;
  double log_det = 0;
};

/// Λ ~ W(W, ν) by the Bartlett decomposition Λ = (L A)(L A)ᵀ with W = L Lᵀ, A lower triangular,
/// A_ii² ~ χ²(ν − i + 1), A_ij ~ N(0, 1) below the diagonal; then μ | Λ ~ N(m, (βΛ)^{-1}).
NwDraw draw_nw(const NormalWishart& q, std::mt19937_64& rng) {
  const int d = static_cast<int>(q.dim());
  std::normal_distribution<double> normal;
  const Eigen::MatrixXd l = Eigen::LLT<Eigen::MatrixXd>(q.scale()).matrixL();
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(d, d);
  for (int i = 0; i < d; ++i) {
    a(i, i) = std::sqrt(std::chi_squared_distribution<double>(q.dof() - i)(rng));
    for (int j = 0; j < i; ++j) a(i, j) = normal(rng);
  }
  const Eigen::MatrixXd r = l * a;
  NwDraw out;
  out.lambda = r * r.transpose();
  out.log_det = 2.0 * r.diagonal().array().log().sum();
  Eigen::VectorXd z(d);
  for (auto& v : z) v = normal(rng);
  // Cov = (β R Rᵀ)^{-1} = R^{-T} R^{-1} / β.
  out.mu = q.mean_vector() + r.transpose().triangularView<Eigen::Upper>().solve(z) / std::sqrt(q.beta());
  return out;
}

struct NgDraw {
  Eigen::ArrayXd mu, tau;
};

/// τ_d ~ Gamma(shape ν_d/2, rate W_d^{-1}/2), μ_d | τ_d ~ N(m_d, 1/(β_d τ_d)).
NgDraw draw_ng(const NormalGamma& q, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  NgDraw out{Eigen::ArrayXd(q.dim()), Eigen::ArrayXd(q.dim())};
  for (Eigen::Index i = 0; i < q.dim(); ++i) {
    out.tau[i] = std::gamma_distribution<double>(0.5 * q.dof()[i], 2.0 / q.scale_inv()[i])(rng);
    out.mu[i] = q.mean_vector()[i] + normal(rng) / std::sqrt(q.beta()[i] * out.tau[i]);
  }
  return out;
}

/// Σ_d log N(μ_d | m_d, 1/(β_d τ_d)) + log Gamma(τ_d | ν_d/2, rate W_d^{-1}/2), the textbook densities.
double ng_log_density(const NormalGamma& q, const Eigen::ArrayXd& mu, const Eigen::ArrayXd& tau) {
  double s = 0.0;
  for (Eigen::Index i = 0; i < q.dim(); ++i) {
    const double precision = q.beta()[i] * tau[i];
    const double diff = mu[i] - q.mean_vector()[i];
    const double shape = 0.5 * q.dof()[i];
    const double rate = 0.5 * q.scale_inv()[i];
    s += 0.5 * std::log(precision / (2 * kPi)) - 0.5 * precision * diff * diff;
    s += shape * std::log(rate) - std::lgamma(shape) + (shape - 1) * std::log(tau[i]) - rate * tau[i];
  }
  return s;
}

Eigen::MatrixXd random_points(std::mt19937_64& rng, int d, int n, const Eigen::VectorXd& centre) {
  std::normal_distribution<double> normal;
  Eigen::MatrixXd x(d, n);
  for (auto& v : x.reshaped()) v = normal(rng);
  return x.colwise() + centre;
}

// ------------------------------------------------------------------ Normal-Wishart

TEST(NormalWishart, ExponentialFamilyFormIsTextbookDensity) {
  // exp(⟨η, T(μ,Λ)⟩ − A(η)) with base measure 1 is N(μ | m, (βΛ)^{-1}) W(Λ | W, ν).
  std::mt19937_64 rng(11);
  for (const int d : {1, 2, 4}) {
    for (int trial = 0; trial < 5; ++trial) {
      const NormalWishart q = random_nw(rng, d);
      const NormalWishartNatural eta = q.natural();
      for (int s = 0; s < 5; ++s) {
        const NwDraw x = draw_nw(q, rng);
        const double inner = eta.eta1.dot(x.lambda * x.mu) + eta.eta2 * x.mu.dot(x.lambda * x.mu) +
                             eta.eta3.cwiseProduct(x.lambda).sum() + eta.eta4 * x.log_det;
        expect_close(inner - q.log_partition(), nw_log_density(q, x.mu, x.lambda), 1e-9, "log density");
      }
    }
  }
}

TEST(NormalWishart, GradientOfLogPartitionIsMeanParameters) {
  std::mt19937_64 rng(12);
  const auto log_partition = [](const NormalWishartNatural& eta) {
    return NormalWishart::from_natural(eta).log_partition();
  };
  for (const int d : {1, 2, 4}) {
    for (int trial = 0; trial < 5; ++trial) {
      const NormalWishart q = random_nw(rng, d);
      const NormalWishartNatural eta = q.natural();
      const NormalWishartMean mu = q.mean();
      // Central difference of A along a direction that `perturb` adds h times.
      const auto derivative = [&](auto perturb, double h) {
        NormalWishartNatural up = eta;
        NormalWishartNatural down = eta;
        perturb(up, h);
        perturb(down, -h);
        return (log_partition(up) - log_partition(down)) / (2 * h);
      };
      const auto tol = [](double v) { return 1e-6 * (1.0 + std::abs(v)); };
      for (int i = 0; i < d; ++i) {
        const double fd = derivative([i](NormalWishartNatural& e, double h) { e.eta1[i] += h; },
                                     1e-5 * (1 + std::abs(eta.eta1[i])));
        EXPECT_NEAR(fd, mu.lambda_mu[i], tol(mu.lambda_mu[i])) << "eta1 " << i << " D=" << d;
      }
      EXPECT_NEAR(derivative([](NormalWishartNatural& e, double h) { e.eta2 += h; }, 1e-5 * std::abs(eta.eta2)),
                  mu.mu_lambda_mu, tol(mu.mu_lambda_mu))
          << "eta2 D=" << d;
      for (int i = 0; i < d; ++i) {
        for (int j = 0; j <= i; ++j) {
          // Along E_ij + E_ji (E_ii on the diagonal), keeping η3 symmetric.
          const double fd = derivative(
              [i, j](NormalWishartNatural& e, double h) {
                e.eta3(i, j) += h;
                if (i != j) e.eta3(j, i) += h;
              },
              1e-5 * (1 + std::abs(eta.eta3(i, j))));
          const double expected = i == j ? mu.lambda(i, i) : mu.lambda(i, j) + mu.lambda(j, i);
          EXPECT_NEAR(fd, expected, tol(expected)) << "eta3 (" << i << ", " << j << ") D=" << d;
        }
      }
      EXPECT_NEAR(derivative([](NormalWishartNatural& e, double h) { e.eta4 += h; }, 1e-5), mu.log_det,
                  tol(mu.log_det))
          << "eta4 D=" << d;
    }
  }
}

TEST(NormalWishart, MeanParametersMatchMonteCarlo) {
  std::mt19937_64 rng(13);
  const int n = 100000 / kDrawDivisor;
  for (const int d : {1, 2, 4}) {
    const NormalWishart q = random_nw(rng, d);
    const NormalWishartMean mu = q.mean();
    std::vector<Average> lambda_mu(d), lambda(d * d);
    Average mu_lambda_mu, log_det;
    for (int s = 0; s < n; ++s) {
      const NwDraw x = draw_nw(q, rng);
      const Eigen::VectorXd lm = x.lambda * x.mu;
      for (int i = 0; i < d; ++i) lambda_mu[i].add(lm[i]);
      mu_lambda_mu.add(x.mu.dot(lm));
      for (int k = 0; k < d * d; ++k) lambda[k].add(x.lambda.reshaped()[k]);
      log_det.add(x.log_det);
    }
    const std::string where = " D=" + std::to_string(d);
    for (int i = 0; i < d; ++i) lambda_mu[i].expect_matches(mu.lambda_mu[i], "E[Λμ]" + where);
    mu_lambda_mu.expect_matches(mu.mu_lambda_mu, "E[μᵀΛμ]" + where);
    for (int k = 0; k < d * d; ++k) lambda[k].expect_matches(mu.lambda.reshaped()[k], "E[Λ]" + where);
    log_det.expect_matches(mu.log_det, "E[log|Λ|]" + where);
  }
}

TEST(NormalWishart, KlIsNonNegativeAndZeroForItself) {
  std::mt19937_64 rng(14);
  for (const int d : {1, 2, 4}) {
    for (int trial = 0; trial < 100; ++trial) {
      const NormalWishart p = random_nw(rng, d);
      const NormalWishart q = random_nw(rng, d);
      EXPECT_GT(p.kl(q), 0.0);
      EXPECT_NEAR(p.kl(p), 0.0, 1e-10);
    }
  }
}

TEST(NormalWishart, KlMatchesMonteCarlo) {
  std::mt19937_64 rng(15);
  const NormalWishart p = random_nw(rng, 2);
  const NormalWishart q = random_nw(rng, 2);
  Average log_ratio;
  for (int s = 0; s < 200000 / kDrawDivisor; ++s) {
    const NwDraw x = draw_nw(p, rng);
    log_ratio.add(nw_log_density(p, x.mu, x.lambda) - nw_log_density(q, x.mu, x.lambda));
  }
  log_ratio.expect_matches(p.kl(q), "KL");
}

TEST(NormalWishart, RoundTrips) {
  std::mt19937_64 rng(16);
  for (const int d : {1, 2, 4}) {
    for (int trial = 0; trial < 10; ++trial) {
      const NormalWishart q = random_nw(rng, d);

      const NormalWishartNatural eta = q.natural();
      const NormalWishartNatural eta_back = NormalWishart::from_natural(eta).natural();
      expect_close(eta_back.eta1, eta.eta1, kRoundTrip, "eta1");
      expect_close(eta_back.eta2, eta.eta2, kRoundTrip, "eta2");
      expect_close(eta_back.eta3, eta.eta3, kRoundTrip, "eta3");
      expect_close(eta_back.eta4, eta.eta4, kRoundTrip, "eta4");

      const NormalWishartMean mu = q.mean();
      const NormalWishart from_mean = NormalWishart::from_mean(mu);
      const NormalWishartMean mu_back = from_mean.mean();
      expect_close(mu_back.lambda_mu, mu.lambda_mu, kRoundTrip, "lambda_mu");
      expect_close(mu_back.mu_lambda_mu, mu.mu_lambda_mu, kRoundTrip, "mu_lambda_mu");
      expect_close(mu_back.lambda, mu.lambda, kRoundTrip, "lambda");
      expect_close(mu_back.log_det, mu.log_det, kRoundTrip, "log_det");
      expect_close(from_mean.dof(), q.dof(), kRoundTrip, "dof from mean");
      expect_close(from_mean.beta(), q.beta(), kRoundTrip, "beta from mean");

      const NormalWishart moments = NormalWishart::from_moments(q.beta(), q.mean_vector(), q.scale_inv(), q.dof());
      expect_close(moments.beta(), q.beta(), kRoundTrip, "beta");
      expect_close(moments.beta_mean(), q.beta_mean(), kRoundTrip, "beta_mean");
      expect_close(moments.scatter(), q.scatter(), kRoundTrip, "scatter");
      expect_close(moments.dof(), q.dof(), kRoundTrip, "dof");
      expect_close(moments.scale() * q.scale_inv(), Eigen::MatrixXd::Identity(d, d), kRoundTrip, "W W^{-1}");
    }
  }
}

TEST(NormalWishart, FromMeanFindsDofCloseToItsLowerBoundAndFarAbove) {
  // The root find for ν at the ends of its range: ν − (D−1) tiny and ν large.
  for (const int d : {1, 3}) {
    for (const double excess : {1e-3, 0.1, 1.0, 50.0, 1e4}) {
      const double dof = d - 1 + excess;
      const NormalWishart q =
          NormalWishart::from_moments(2.0, Eigen::VectorXd::Ones(d), Eigen::MatrixXd::Identity(d, d), dof);
      const NormalWishart back = NormalWishart::from_mean(q.mean());
      EXPECT_NEAR(back.dof(), dof, 1e-9 * dof) << "D=" << d << " excess " << excess;
    }
  }
}

TEST(NormalWishart, ExpectedLogNormalMatchesMonteCarlo) {
  std::mt19937_64 rng(17);
  const int n = 100000 / kDrawDivisor;
  for (const int d : {1, 2, 4}) {
    const NormalWishart q = random_nw(rng, d);
    const Eigen::MatrixXd x = random_points(rng, d, 3, q.mean_vector());
    const Eigen::ArrayXd expected = q.expected_log_normal(x);
    ASSERT_EQ(expected.size(), 3);
    std::vector<Average> average(3);
    for (int s = 0; s < n; ++s) {
      const NwDraw draw = draw_nw(q, rng);
      for (int k = 0; k < 3; ++k) average[k].add(log_normal(x.col(k), draw.mu, draw.lambda));
    }
    for (int k = 0; k < 3; ++k) average[k].expect_matches(expected[k], "column " + std::to_string(k));
  }
}

TEST(NormalWishart, LogPredictiveIntegratesToOneInOneDimension) {
  // ∫ exp(log_predictive(x)) dx by the midpoint rule after x = m + c tan θ, θ ∈ (−π/2, π/2),
  // which maps the Student-t tails to a bounded integrand for ν ≥ 1.
  std::mt19937_64 rng(18);
  const int n = 200000 / kDrawDivisor;
  for (const double dof : {1.0, 1.7, 3.0, 12.0}) {
    const NormalWishart q = NormalWishart::from_moments(
        log_uniform(rng, 0.3, 5.0), Eigen::VectorXd::Constant(1, 0.7), Eigen::MatrixXd::Constant(1, 1, 2.5), dof);
    const double c = std::sqrt(q.scale_inv()(0, 0));
    const double h = kPi / n;
    Eigen::MatrixXd x(1, n);
    Eigen::ArrayXd jacobian(n);
    for (int k = 0; k < n; ++k) {
      const double theta = -0.5 * kPi + (k + 0.5) * h;
      x(0, k) = 0.7 + c * std::tan(theta);
      jacobian[k] = c / (std::cos(theta) * std::cos(theta));
    }
    const double integral = (q.log_predictive(x).exp() * jacobian).sum() * h;
    EXPECT_NEAR(integral, 1.0, 1e-6) << "dof " << dof;
  }
}

TEST(NormalWishart, LogPredictiveMatchesMonteCarloInTwoDimensions) {
  std::mt19937_64 rng(19);
  const NormalWishart q = random_nw(rng, 2);
  const Eigen::MatrixXd x = random_points(rng, 2, 4, q.mean_vector());
  const Eigen::ArrayXd expected = q.log_predictive(x);
  std::vector<Average> density(4);
  for (int s = 0; s < 200000 / kDrawDivisor; ++s) {
    const NwDraw draw = draw_nw(q, rng);
    for (int k = 0; k < 4; ++k) density[k].add(std::exp(log_normal(x.col(k), draw.mu, draw.lambda)));
  }
  for (int k = 0; k < 4; ++k) {
    // log of the average, with its standard error by the delta method.
    EXPECT_NEAR(std::log(density[k].mean()), expected[k],
                kMonteCarloSigmas * density[k].standard_error() / density[k].mean())
        << "column " << k;
  }
}

TEST(NormalWishart, RejectsInvalidParameters) {
  const Eigen::VectorXd b = (Eigen::VectorXd(2) << 0.5, -0.2).finished();
  const Eigen::MatrixXd c = 2.0 * Eigen::MatrixXd::Identity(2, 2) + b * b.transpose();
  EXPECT_NO_THROW(NormalWishart(1.0, b, c, 3.0));

  expect_error_naming([&] { NormalWishart(0.0, b, c, 3.0); }, "beta");
  expect_error_naming([&] { NormalWishart(-1.0, b, c, 3.0); }, "beta");
  expect_error_naming([&] { NormalWishart(std::nan(""), b, c, 3.0); }, "beta");
  expect_error_naming([&] { NormalWishart(1.0, b, c, 1.0); }, "dof");  // ν must exceed D − 1 = 1
  expect_error_naming([&] { NormalWishart(1.0, b, c, std::nan("")); }, "dof");
  expect_error_naming([&] { NormalWishart(1.0, Eigen::VectorXd(), Eigen::MatrixXd(), 3.0); }, "beta_mean");
  expect_error_naming([&] { NormalWishart(1.0, (Eigen::VectorXd(2) << 0.5, std::nan("")).finished(), c, 3.0); },
                      "beta_mean");
  expect_error_naming([&] { NormalWishart(1.0, b, Eigen::MatrixXd::Identity(3, 3), 3.0); }, "scatter");
  Eigen::MatrixXd infinite = c;
  infinite(1, 0) = std::numeric_limits<double>::infinity();
  expect_error_naming([&] { NormalWishart(1.0, b, infinite, 3.0); }, "scatter");
  // W^{-1} = scatter − βmmᵀ = 0.5 I − I is negative definite.
  expect_error_naming([&] { NormalWishart(1.0, b, b * b.transpose() - 0.5 * Eigen::MatrixXd::Identity(2, 2), 3.0); },
                      "scatter");
  Eigen::MatrixXd asymmetric = c;
  asymmetric(0, 1) += 0.1;
  expect_error_naming([&] { NormalWishart(1.0, b, asymmetric, 3.0); }, "scatter");

  expect_error_naming(
      [&] { NormalWishart::from_moments(1.0, b, (Eigen::MatrixXd(2, 2) << 1, 2, 2, 1).finished(), 3.0); },
      "scale_inv");

  const NormalWishart q(1.0, b, c, 3.0);
  NormalWishartNatural eta = q.natural();
  eta.eta2 = 0.5;
  expect_error_naming([&] { NormalWishart::from_natural(eta); }, "eta2");
  eta = q.natural();
  eta.eta4 = -0.6;
  expect_error_naming([&] { NormalWishart::from_natural(eta); }, "eta4");

  NormalWishartMean mu = q.mean();
  mu.log_det = std::log(mu.lambda.determinant()) + 0.1;  // violates Jensen's inequality
  expect_error_naming([&] { NormalWishart::from_mean(mu); }, "log_det");
  mu = q.mean();
  mu.mu_lambda_mu = 0.0;
  expect_error_naming([&] { NormalWishart::from_mean(mu); }, "mu_lambda_mu");
  mu = q.mean();
  mu.lambda = -mu.lambda;
  expect_error_naming([&] { NormalWishart::from_mean(mu); }, "lambda");

  expect_error_naming([&] { q.kl(NormalWishart::from_moments(1.0, Eigen::VectorXd::Zero(1), Eigen::MatrixXd::Ones(1, 1), 1.0)); },
                      "dimensions");
  expect_error_naming([&] { q.expected_log_normal(Eigen::MatrixXd::Zero(3, 2)); }, "rows");
  expect_error_naming([&] { q.log_predictive(Eigen::MatrixXd::Zero(1, 2)); }, "rows");
}

// ------------------------------------------------------------------ Normal-Gamma

TEST(NormalGamma, GradientOfLogPartitionIsMeanParameters) {
  std::mt19937_64 rng(21);
  const int d = 3;
  for (int trial = 0; trial < 10; ++trial) {
    const NormalGamma q = random_ng(rng, d);
    const NormalGammaNatural eta = q.natural();
    const NormalGammaMean mu = q.mean();
    // ∂A/∂η_k[i] by central differences for the component chosen by `member`.
    const auto check = [&](Eigen::ArrayXd NormalGammaNatural::*member, const Eigen::ArrayXd& expected,
                           const std::string& name) {
      for (int i = 0; i < d; ++i) {
        const double h = 1e-5 * (1.0 + std::abs((eta.*member)[i]));
        NormalGammaNatural up = eta;
        NormalGammaNatural down = eta;
        (up.*member)[i] += h;
        (down.*member)[i] -= h;
        const double fd =
            (NormalGamma::from_natural(up).log_partition() - NormalGamma::from_natural(down).log_partition()) / (2 * h);
        EXPECT_NEAR(fd, expected[i], 1e-6 * (1.0 + std::abs(expected[i]))) << name << " " << i;
      }
    };
    check(&NormalGammaNatural::eta1, mu.tau_mu, "eta1");
    check(&NormalGammaNatural::eta2, mu.tau_mu2, "eta2");
    check(&NormalGammaNatural::eta3, mu.tau, "eta3");
    check(&NormalGammaNatural::eta4, mu.log_tau, "eta4");
  }
}

TEST(NormalGamma, MeanParametersMatchMonteCarlo) {
  std::mt19937_64 rng(22);
  const NormalGamma q = random_ng(rng, 3);
  const NormalGammaMean mu = q.mean();
  std::vector<Average> tau_mu(3), tau_mu2(3), tau(3), log_tau(3);
  for (int s = 0; s < 200000 / kDrawDivisor; ++s) {
    const NgDraw x = draw_ng(q, rng);
    for (int i = 0; i < 3; ++i) {
      tau_mu[i].add(x.tau[i] * x.mu[i]);
      tau_mu2[i].add(x.tau[i] * x.mu[i] * x.mu[i]);
      tau[i].add(x.tau[i]);
      log_tau[i].add(std::log(x.tau[i]));
    }
  }
  for (int i = 0; i < 3; ++i) {
    tau_mu[i].expect_matches(mu.tau_mu[i], "E[τμ]");
    tau_mu2[i].expect_matches(mu.tau_mu2[i], "E[τμ²]");
    tau[i].expect_matches(mu.tau[i], "E[τ]");
    log_tau[i].expect_matches(mu.log_tau[i], "E[log τ]");
  }
}

TEST(NormalGamma, KlIsNonNegativeAndZeroForItself) {
  std::mt19937_64 rng(23);
  for (int trial = 0; trial < 200; ++trial) {
    const NormalGamma p = random_ng(rng, 3);
    const NormalGamma q = random_ng(rng, 3);
    EXPECT_GT(p.kl(q), 0.0);
    EXPECT_NEAR(p.kl(p), 0.0, 1e-10);
  }
}

TEST(NormalGamma, KlMatchesMonteCarlo) {
  std::mt19937_64 rng(24);
  const NormalGamma p = random_ng(rng, 3);
  const NormalGamma q = random_ng(rng, 3);
  Average log_ratio;
  for (int s = 0; s < 200000 / kDrawDivisor; ++s) {
    const NgDraw x = draw_ng(p, rng);
    log_ratio.add(ng_log_density(p, x.mu, x.tau) - ng_log_density(q, x.mu, x.tau));
  }
  log_ratio.expect_matches(p.kl(q), "KL");
}

TEST(NormalGamma, RoundTrips) {
  std::mt19937_64 rng(25);
  for (int trial = 0; trial < 20; ++trial) {
    const NormalGamma q = random_ng(rng, 3);

    const NormalGammaNatural eta = q.natural();
    const NormalGammaNatural eta_back = NormalGamma::from_natural(eta).natural();
    expect_close(eta_back.eta1.matrix(), eta.eta1.matrix(), kRoundTrip, "eta1");
    expect_close(eta_back.eta2.matrix(), eta.eta2.matrix(), kRoundTrip, "eta2");
    expect_close(eta_back.eta3.matrix(), eta.eta3.matrix(), kRoundTrip, "eta3");
    expect_close(eta_back.eta4.matrix(), eta.eta4.matrix(), kRoundTrip, "eta4");

    const NormalGammaMean mu = q.mean();
    const NormalGamma from_mean = NormalGamma::from_mean(mu);
    const NormalGammaMean mu_back = from_mean.mean();
    expect_close(mu_back.tau_mu.matrix(), mu.tau_mu.matrix(), kRoundTrip, "tau_mu");
    expect_close(mu_back.tau_mu2.matrix(), mu.tau_mu2.matrix(), kRoundTrip, "tau_mu2");
    expect_close(mu_back.tau.matrix(), mu.tau.matrix(), kRoundTrip, "tau");
    expect_close(mu_back.log_tau.matrix(), mu.log_tau.matrix(), kRoundTrip, "log_tau");
    expect_close(from_mean.dof().matrix(), q.dof().matrix(), kRoundTrip, "dof from mean");

    const NormalGamma moments = NormalGamma::from_moments(q.beta(), q.mean_vector(), q.scale_inv(), q.dof());
    expect_close(moments.beta().matrix(), q.beta().matrix(), kRoundTrip, "beta");
    expect_close(moments.beta_mean().matrix(), q.beta_mean().matrix(), kRoundTrip, "beta_mean");
    expect_close(moments.scatter().matrix(), q.scatter().matrix(), kRoundTrip, "scatter");
    expect_close(moments.dof().matrix(), q.dof().matrix(), kRoundTrip, "dof");
  }
}

TEST(NormalGamma, EqualsSumOfOneDimensionalNormalWisharts) {
  std::mt19937_64 rng(26);
  const int d = 3;
  for (int trial = 0; trial < 10; ++trial) {
    const NormalGamma p = random_ng(rng, d);
    const NormalGamma q = random_ng(rng, d);
    const auto one_dimensional = [](const NormalGamma& g, int i) {
      return NormalWishart(g.beta()[i], Eigen::VectorXd::Constant(1, g.beta_mean()[i]),
                           Eigen::MatrixXd::Constant(1, 1, g.scatter()[i]), g.dof()[i]);
    };
    const Eigen::MatrixXd x = random_points(rng, d, 5, p.mean_vector().matrix());
    double log_partition = 0.0;
    double kl = 0.0;
    Eigen::ArrayXd expected_log_normal = Eigen::ArrayXd::Zero(5);
    Eigen::ArrayXd log_predictive = Eigen::ArrayXd::Zero(5);
    const NormalGammaMean mu = p.mean();
    const NormalGammaNatural eta = p.natural();
    for (int i = 0; i < d; ++i) {
      const NormalWishart pi = one_dimensional(p, i);
      const NormalWishart qi = one_dimensional(q, i);
      log_partition += pi.log_partition();
      kl += pi.kl(qi);
      expected_log_normal += pi.expected_log_normal(x.row(i));
      log_predictive += pi.log_predictive(x.row(i));
      const NormalWishartMean mu_i = pi.mean();
      expect_close(mu.tau_mu[i], mu_i.lambda_mu[0], 1e-12, "tau_mu");
      expect_close(mu.tau_mu2[i], mu_i.mu_lambda_mu, 1e-12, "tau_mu2");
      expect_close(mu.tau[i], mu_i.lambda(0, 0), 1e-12, "tau");
      expect_close(mu.log_tau[i], mu_i.log_det, 1e-12, "log_tau");
      const NormalWishartNatural eta_i = pi.natural();
      expect_close(eta.eta3[i], eta_i.eta3(0, 0), 1e-12, "eta3");
      expect_close(eta.eta4[i], eta_i.eta4, 1e-12, "eta4");
    }
    expect_close(p.log_partition(), log_partition, 1e-12, "log_partition");
    expect_close(p.kl(q), kl, 1e-10, "kl");
    expect_close(p.expected_log_normal(x).matrix(), expected_log_normal.matrix(), 1e-12, "expected_log_normal");
    expect_close(p.log_predictive(x).matrix(), log_predictive.matrix(), 1e-12, "log_predictive");
  }
}

TEST(NormalGamma, RejectsInvalidParameters) {
  const Eigen::ArrayXd beta = Eigen::ArrayXd::Constant(2, 1.0);
  const Eigen::ArrayXd b = (Eigen::ArrayXd(2) << 0.5, -0.2).finished();
  const Eigen::ArrayXd c = 2.0 + b.square();
  const Eigen::ArrayXd dof = Eigen::ArrayXd::Constant(2, 3.0);
  EXPECT_NO_THROW(NormalGamma(beta, b, c, dof));

  expect_error_naming([&] { NormalGamma((Eigen::ArrayXd(2) << 1.0, 0.0).finished(), b, c, dof); }, "beta");
  expect_error_naming([&] { NormalGamma((Eigen::ArrayXd(2) << std::nan(""), 1.0).finished(), b, c, dof); }, "beta");
  expect_error_naming([&] { NormalGamma(beta, b, c, (Eigen::ArrayXd(2) << 3.0, 0.0).finished()); }, "dof");
  expect_error_naming([&] { NormalGamma(beta, b, c, (Eigen::ArrayXd(2) << 3.0, -1.0).finished()); }, "dof");
  expect_error_naming([&] { NormalGamma(beta, (Eigen::ArrayXd(2) << 0.5, std::nan("")).finished(), c, dof); },
                      "beta_mean");
  // C − βm² = 0 in dimension 1.
  expect_error_naming([&] { NormalGamma(beta, b, (Eigen::ArrayXd(2) << 2.25, 0.04).finished(), dof); }, "scatter");
  expect_error_naming([&] { NormalGamma(beta, b, Eigen::ArrayXd::Constant(3, 5.0), dof); }, "scatter");
  expect_error_naming([&] { NormalGamma(Eigen::ArrayXd(), Eigen::ArrayXd(), Eigen::ArrayXd(), Eigen::ArrayXd()); },
                      "beta");
  expect_error_naming([&] { NormalGamma::from_moments(beta, b, (Eigen::ArrayXd(2) << 1.0, -1.0).finished(), dof); },
                      "scale_inv");

  const NormalGamma q(beta, b, c, dof);
  NormalGammaNatural eta = q.natural();
  eta.eta2[1] = 0.1;
  expect_error_naming([&] { NormalGamma::from_natural(eta); }, "eta2");
  eta = q.natural();
  eta.eta4[0] = -0.5;
  expect_error_naming([&] { NormalGamma::from_natural(eta); }, "eta4");

  NormalGammaMean mu = q.mean();
  mu.log_tau[0] = std::log(mu.tau[0]);
  expect_error_naming([&] { NormalGamma::from_mean(mu); }, "log_tau");
  mu = q.mean();
  mu.tau_mu2[1] = 0.0;
  expect_error_naming([&] { NormalGamma::from_mean(mu); }, "tau_mu2");
  mu = q.mean();
  mu.tau[1] = -1.0;
  expect_error_naming([&] { NormalGamma::from_mean(mu); }, "tau");

  expect_error_naming([&] { q.kl(NormalGamma(beta.head(1), b.head(1), c.head(1), dof.head(1))); }, "dimensions");
  expect_error_naming([&] { q.expected_log_normal(Eigen::MatrixXd::Zero(3, 2)); }, "rows");
  expect_error_naming([&] { q.log_predictive(Eigen::MatrixXd::Zero(1, 2)); }, "rows");
}

}  // namespace
}  // namespace natgrad::expfam
