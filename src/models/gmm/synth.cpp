#include "natgrad/models/gmm/synth.hpp"

#include <Eigen/Cholesky>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "natgrad/error.hpp"
#include "natgrad/expfam/random.hpp"

namespace natgrad::models {

namespace {

// The second key word b of the kSynthGlobal streams, so that the weights, the
// covariance and the mean of a component never share random numbers.
constexpr std::uint64_t kWeightsStream = 1;
constexpr std::uint64_t kCovarianceStream = 2;
constexpr std::uint64_t kMeanStream = 3;

constexpr double kLowestVariance = 0.5;
constexpr double kHighestVariance = 2.0;
constexpr double kWeightConcentration = 5.0;

// Rejection of the means: after this many tries in a row fail, the box grows by
// kBoxGrowth, so that any K, D and separation finish.
constexpr int kTriesPerBox = 64;
constexpr double kBoxGrowth = 1.25;

// A random SPD matrix with eigenvalues (diagonal values, if `diagonal`) drawn
// uniformly from [0.5, 2]: Q diag(λ) Qᵀ with Q the orthogonal factor of a
// matrix of standard normals. Returns the largest eigenvalue in `largest`.
Eigen::MatrixXd random_covariance(expfam::CounterRng& rng, Eigen::Index dim, bool diagonal, double& largest) {
  Eigen::VectorXd eigenvalues(dim);
  for (auto& v : eigenvalues) v = kLowestVariance + (kHighestVariance - kLowestVariance) * rng.uniform();
  largest = eigenvalues.maxCoeff();
  if (diagonal) return eigenvalues.asDiagonal();
  Eigen::MatrixXd g(dim, dim);
  for (auto& v : g.reshaped()) v = rng.normal();
  const Eigen::MatrixXd q = Eigen::HouseholderQR<Eigen::MatrixXd>(g).householderQ();
  const Eigen::MatrixXd sigma = q * eigenvalues.asDiagonal() * q.transpose();
  return 0.5 * (sigma + sigma.transpose());  // exactly symmetric
}

}  // namespace

io::DenseData gmm_synthesize(const GmmSynthOptions& o, GmmTruth& truth) {
  const Eigen::Index k_count = o.components;
  const Eigen::Index dim = o.dim;

  expfam::CounterRng weight_rng(o.seed, expfam::Purpose::kSynthGlobal, 0, kWeightsStream);
  truth.weights.resize(k_count);
  for (auto& w : truth.weights) w = weight_rng.gamma(kWeightConcentration);
  truth.weights /= truth.weights.sum();

  truth.covariances.clear();
  double largest_variance = 0.0;
  for (Eigen::Index k = 0; k < k_count; ++k) {
    expfam::CounterRng rng(o.seed, expfam::Purpose::kSynthGlobal, static_cast<std::uint64_t>(k), kCovarianceStream);
    double largest = 0.0;
    truth.covariances.push_back(random_covariance(rng, dim, o.diagonal, largest));
    largest_variance = std::max(largest_variance, largest);
  }

  // Means uniform in a cube whose volume holds about K balls of the required
  // spacing, so that most tries succeed and the mixture is not spread out more
  // than it needs to be.
  const double spacing = o.separation * std::sqrt(largest_variance);
  double side = 1.5 * spacing * std::max(1.0, std::pow(static_cast<double>(k_count), 1.0 / static_cast<double>(dim)));
  truth.means.resize(k_count, dim);
  for (Eigen::Index k = 0; k < k_count; ++k) {
    expfam::CounterRng rng(o.seed, expfam::Purpose::kSynthGlobal, static_cast<std::uint64_t>(k), kMeanStream);
    for (int tries = 1;; ++tries) {
      if (!std::isfinite(side)) {
        char text[32];
        std::snprintf(text, sizeof text, "%g", o.separation);
        throw Error(std::string("synth gmm: --separation ") + text + " is too large to place the means");
      }
      for (Eigen::Index d = 0; d < dim; ++d) truth.means(k, d) = side * (rng.uniform() - 0.5);
      bool apart = true;
      for (Eigen::Index j = 0; j < k && apart; ++j) {
        apart = (truth.means.row(j) - truth.means.row(k)).norm() >= spacing;
      }
      if (apart) break;
      if (tries % kTriesPerBox == 0) side *= kBoxGrowth;
    }
  }

  // Lower Cholesky factors, row-major, for x = μ + L ε.
  std::vector<std::vector<double>> factors;
  for (const Eigen::MatrixXd& sigma : truth.covariances) {
    const Eigen::MatrixXd l = sigma.llt().matrixL();
    std::vector<double> f(static_cast<std::size_t>(dim * dim));
    for (Eigen::Index r = 0; r < dim; ++r) {
      for (Eigen::Index c = 0; c < dim; ++c) f[static_cast<std::size_t>(r * dim + c)] = l(r, c);
    }
    factors.push_back(std::move(f));
  }
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> means = truth.means;
  const expfam::AliasTable component_of(std::vector<double>(truth.weights.begin(), truth.weights.end()));

  io::DenseData data;
  data.total_rows = o.points;
  data.cols = o.dim;
  const auto n = static_cast<std::size_t>(o.points);
  const auto d_size = static_cast<std::size_t>(dim);
  data.values.resize(n * d_size);
  data.labels.resize(n);
  data.row_ids.resize(n);
  std::vector<double> eps(d_size);
  for (std::size_t i = 0; i < n; ++i) {
    expfam::CounterRng rng(o.seed, expfam::Purpose::kSynthDatum, i);
    const std::int32_t z = component_of.sample(rng);
    for (auto& e : eps) e = rng.normal();
    const double* l = factors[static_cast<std::size_t>(z)].data();
    const double* mu = means.data() + static_cast<std::size_t>(z) * d_size;
    double* x = data.values.data() + i * d_size;
    for (std::size_t r = 0; r < d_size; ++r) {
      double s = mu[r];
      for (std::size_t c = 0; c <= r; ++c) s += l[r * d_size + c] * eps[c];
      x[r] = s;
    }
    data.labels[i] = z;
    data.row_ids[i] = static_cast<std::int64_t>(i);
  }
  return data;
}

}  // namespace natgrad::models
