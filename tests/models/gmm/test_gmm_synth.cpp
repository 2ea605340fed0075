// Data drawn from a Gaussian mixture (natgrad synth gmm): reproducible from the
// seed alone, a valid truth (weights on the simplex, SPD covariances with
// eigenvalues in [0.5, 2], means the required distance apart), and points whose
// empirical weights, means and covariances match the truth.

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <vector>

#include "natgrad/models/gmm/synth.hpp"

namespace natgrad::models {
namespace {

io::DenseData draw(const GmmSynthOptions& options, GmmTruth& truth) { return gmm_synthesize(options, truth); }

io::DenseData draw(const GmmSynthOptions& options) {
  GmmTruth truth;
  return gmm_synthesize(options, truth);
}

GmmSynthOptions options_of(std::int64_t k, std::int64_t d, std::int64_t n, bool diagonal, std::uint64_t seed) {
  GmmSynthOptions o;
  o.components = k;
  o.dim = d;
  o.points = n;
  o.diagonal = diagonal;
  o.seed = seed;
  return o;
}

double largest_variance(const GmmTruth& truth) {
  double largest = 0;
  for (const auto& sigma : truth.covariances) {
    largest = std::max(largest, Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(sigma).eigenvalues().maxCoeff());
  }
  return largest;
}

TEST(GmmSynth, SameSeedGivesIdenticalData) {
  const auto o = options_of(4, 3, 2000, false, 11);
  GmmTruth a_truth;
  GmmTruth b_truth;
  const io::DenseData a = draw(o, a_truth);
  const io::DenseData b = draw(o, b_truth);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.row_ids, b.row_ids);
  EXPECT_EQ(a_truth.weights, b_truth.weights);
  EXPECT_EQ(a_truth.means, b_truth.means);
  ASSERT_EQ(a_truth.covariances.size(), b_truth.covariances.size());
  for (std::size_t k = 0; k < a_truth.covariances.size(); ++k) {
    EXPECT_EQ(a_truth.covariances[k], b_truth.covariances[k]);
  }
}

TEST(GmmSynth, DifferentSeedDiffers) {
  GmmTruth a_truth;
  GmmTruth b_truth;
  const io::DenseData a = draw(options_of(4, 3, 2000, false, 11), a_truth);
  const io::DenseData b = draw(options_of(4, 3, 2000, false, 12), b_truth);
  EXPECT_NE(a.values, b.values);
  EXPECT_NE(a_truth.weights, b_truth.weights);
  EXPECT_NE(a_truth.means, b_truth.means);
}

TEST(GmmSynth, PointIDependsOnlyOnTheSeedAndI) {
  const io::DenseData few = draw(options_of(3, 2, 100, false, 5));
  const io::DenseData many = draw(options_of(3, 2, 1000, false, 5));
  EXPECT_EQ(few.values, std::vector<double>(many.values.begin(), many.values.begin() + 200));
  EXPECT_EQ(few.labels, std::vector<double>(many.labels.begin(), many.labels.begin() + 100));
}

TEST(GmmSynth, ShapesLabelsAndRowIds) {
  GmmTruth truth;
  const io::DenseData data = draw(options_of(6, 4, 500, false, 2), truth);
  EXPECT_EQ(data.first_row, 0);
  EXPECT_EQ(data.total_rows, 500);
  EXPECT_EQ(data.num_rows(), 500);
  EXPECT_EQ(data.cols, 4);
  EXPECT_EQ(data.values.size(), 2000u);
  EXPECT_TRUE(data.column_names.empty());
  ASSERT_EQ(data.labels.size(), 500u);
  for (std::int64_t i = 0; i < 500; ++i) {
    const double z = data.labels[static_cast<std::size_t>(i)];
    EXPECT_EQ(z, std::floor(z));
    EXPECT_GE(z, 0);
    EXPECT_LT(z, 6);
    EXPECT_EQ(data.row_ids[static_cast<std::size_t>(i)], i);
  }
  EXPECT_EQ(truth.weights.size(), 6);
  EXPECT_EQ(truth.means.rows(), 6);
  EXPECT_EQ(truth.means.cols(), 4);
  EXPECT_EQ(truth.covariances.size(), 6u);
}

TEST(GmmSynth, TruthIsAValidMixture) {
  for (const bool diagonal : {false, true}) {
    GmmTruth truth;
    draw(options_of(8, 5, 10, diagonal, 3), truth);
    EXPECT_NEAR(truth.weights.sum(), 1.0, 1e-12);
    EXPECT_GT(truth.weights.minCoeff(), 0.0);
    for (const auto& sigma : truth.covariances) {
      ASSERT_EQ(sigma.rows(), 5);
      ASSERT_EQ(sigma.cols(), 5);
      EXPECT_EQ(sigma, sigma.transpose());
      const Eigen::VectorXd eig = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(sigma).eigenvalues();
      EXPECT_GE(eig.minCoeff(), 0.5 - 1e-12);
      EXPECT_LE(eig.maxCoeff(), 2.0 + 1e-12);
      if (diagonal) {
        EXPECT_EQ(sigma, Eigen::MatrixXd(sigma.diagonal().asDiagonal()));
      } else {
        EXPECT_GT(sigma.cwiseAbs().sum() - sigma.diagonal().cwiseAbs().sum(), 1e-3);  // not diagonal
      }
    }
  }
}

TEST(GmmSynth, MeansRespectTheSeparation) {
  struct Case {
    std::int64_t k, d;
    double separation;
  };
  // Crowded cases too (40 means on a line, 30 in the plane), where the
  // rejection has to widen its box.
  for (const Case c : {Case{5, 2, 6.0}, Case{40, 1, 6.0}, Case{30, 2, 10.0}, Case{12, 10, 3.0}, Case{2, 3, 0.5}}) {
    auto o = options_of(c.k, c.d, 1, false, 7);
    o.separation = c.separation;
    GmmTruth truth;
    draw(o, truth);
    const double required = c.separation * std::sqrt(largest_variance(truth));
    double closest = INFINITY;
    for (Eigen::Index i = 0; i < c.k; ++i) {
      for (Eigen::Index j = 0; j < i; ++j) closest = std::min(closest, (truth.means.row(i) - truth.means.row(j)).norm());
    }
    EXPECT_GE(closest, required) << "K = " << c.k << ", D = " << c.d;
    // Not spread needlessly far: within a few spacings per component of the origin.
    EXPECT_LT(truth.means.cwiseAbs().maxCoeff(), static_cast<double>(c.k) * required * 4) << "K = " << c.k;
  }
}

// Empirical moments of 200000 points against the truth. Tolerances are five
// standard errors: weight π_k, sqrt(π_k (1 − π_k) / N); mean coordinate d,
// sqrt(Σ_dd / n_k); covariance entry (d, e), sqrt((Σ_dd Σ_ee + Σ_de²) / n_k)
// (the variance of a Gaussian sample covariance), with n_k the points drawn from k.
void expect_moments_match(bool diagonal) {
  constexpr std::int64_t kN = 200000;
  constexpr std::int64_t kK = 3;
  constexpr std::int64_t kD = 3;
  GmmTruth truth;
  const io::DenseData data = draw(options_of(kK, kD, kN, diagonal, 21), truth);
  std::vector<Eigen::VectorXd> sum(kK, Eigen::VectorXd::Zero(kD));
  std::vector<Eigen::MatrixXd> outer(kK, Eigen::MatrixXd::Zero(kD, kD));
  std::vector<double> count(kK, 0.0);
  for (std::int64_t i = 0; i < kN; ++i) {
    const auto z = static_cast<std::size_t>(data.labels[static_cast<std::size_t>(i)]);
    const Eigen::Map<const Eigen::VectorXd> x(data.values.data() + i * kD, kD);
    sum[z] += x;
    outer[z] += x * x.transpose();
    count[z] += 1;
  }
  for (std::int64_t k = 0; k < kK; ++k) {
    const auto kz = static_cast<std::size_t>(k);
    const double pi = truth.weights(k);
    const double n = count[kz];
    EXPECT_NEAR(n / kN, pi, 5 * std::sqrt(pi * (1 - pi) / kN)) << "weight " << k;
    ASSERT_GT(n, 1000) << "component " << k;
    const Eigen::VectorXd mean = sum[kz] / n;
    const Eigen::MatrixXd cov = outer[kz] / n - mean * mean.transpose();
    const Eigen::MatrixXd& sigma = truth.covariances[kz];
    for (std::int64_t d = 0; d < kD; ++d) {
      EXPECT_NEAR(mean(d), truth.means(k, d), 5 * std::sqrt(sigma(d, d) / n)) << "mean " << k << ", " << d;
      for (std::int64_t e = 0; e < kD; ++e) {
        const double se = std::sqrt((sigma(d, d) * sigma(e, e) + sigma(d, e) * sigma(d, e)) / n);
        EXPECT_NEAR(cov(d, e), sigma(d, e), 5 * se) << "covariance " << k << ", (" << d << ", " << e << ")";
      }
    }
  }
}

TEST(GmmSynth, EmpiricalMomentsMatchTheTruthFull) { expect_moments_match(false); }

TEST(GmmSynth, EmpiricalMomentsMatchTheTruthDiagonal) { expect_moments_match(true); }

}  // namespace
}  // namespace natgrad::models
