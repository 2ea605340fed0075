// The Bayesian Gaussian mixture: its local step against a hand computation,
// batch VB (ELBO never decreases on the digits data), recovery of the true
// means of well-separated synthetic data, and the model file round trip.

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <numeric>
#include <sstream>

#include "natgrad/app/commands.hpp"
#include "natgrad/comm/communicator.hpp"
#include "natgrad/expfam/special.hpp"
#include "natgrad/io/dense.hpp"
#include "natgrad/io/model_file.hpp"
#include "natgrad/models/gmm/gmm.hpp"
#include "natgrad/models/gmm/synth.hpp"
#include "natgrad/models/registry.hpp"
#include "natgrad/solver/svi.hpp"
#include "test_data.hpp"

namespace natgrad::models {
namespace {

constexpr double kPi = 3.14159265358979323846;

// A model of all of `data` with the default prior (data mean, data covariance + 1e-6 I, ν₀ = D).
GmmModel make_model(io::DenseData data, Eigen::Index k, bool diagonal, std::uint64_t seed, bool learn = false) {
  const Eigen::Map<const Eigen::MatrixXd> x(data.values.data(), data.cols, data.num_rows());
  const Eigen::VectorXd mean = x.rowwise().mean();
  const Eigen::MatrixXd centred = x.colwise() - mean;
  GmmOptions options;
  options.components = k;
  options.diagonal = diagonal;
  options.learn_weight_concentration = learn;
  options.prior.weight_concentration = 1.0 / static_cast<double>(k);
  options.prior.mean_precision = 1.0;
  options.prior.mean = mean;
  options.prior.degrees_of_freedom = static_cast<double>(data.cols);
  options.prior.scale = centred * centred.transpose() / static_cast<double>(data.num_rows() - 1) +
                        1e-6 * Eigen::MatrixXd::Identity(data.cols, data.cols);
  if (diagonal) options.prior.scale = Eigen::MatrixXd(options.prior.scale.diagonal().asDiagonal());
  std::vector<std::int64_t> rows = gmm_start_rows(data.num_rows(), k, seed);
  Eigen::MatrixXd sample(data.cols, static_cast<Eigen::Index>(rows.size()));
  for (std::size_t j = 0; j < rows.size(); ++j) sample.col(static_cast<Eigen::Index>(j)) = x.col(rows[j]);
  return GmmModel(std::move(data), std::nullopt, options, gmm_start(sample, k, seed));
}

config::SolverConfig batch_vb(std::int64_t points, std::int64_t steps) {
  config::SolverConfig solver;
  solver.batch_size = points;
  solver.schedule = config::Schedule::kConstant;
  solver.rho = 1.0;
  solver.max_steps = steps;
  solver.seed = 3;
  return solver;
}

std::vector<std::int64_t> all_ids(std::int64_t n) {
  std::vector<std::int64_t> ids(static_cast<std::size_t>(n));
  std::iota(ids.begin(), ids.end(), 0);
  return ids;
}

io::DenseData one_dimensional(const std::vector<double>& values) {
  io::DenseData data;
  data.cols = 1;
  data.total_rows = static_cast<std::int64_t>(values.size());
  data.values = values;
  data.row_ids = all_ids(data.total_rows);
  return data;
}

TEST(Gmm, LocalStepMatchesAHandComputation) {
  // D = 1, K = 2. Component k: α_k, β_k, ν_k, m_k, W_k (a scalar Wishart scale).
  const double alpha[2] = {2.0, 3.0};
  const double beta[2] = {4.0, 5.0};
  const double nu[2] = {3.0, 6.0};
  const double m[2] = {-1.0, 2.0};
  const double w[2] = {0.5, 0.25};
  const std::vector<double> xs = {-1.5, 0.3, 2.2};
  GmmModel model = make_model(one_dimensional(xs), 2, false, 1);
  Eigen::VectorXd lambda(model.global_size());
  for (int k = 0; k < 2; ++k) {
    // Block: α, β, ν, β m, W⁻¹ + β m².
    lambda.segment(k * 5, 5) << alpha[k], beta[k], nu[k], beta[k] * m[k], 1.0 / w[k] + beta[k] * m[k] * m[k];
  }
  model.set_lambda(lambda);
  Eigen::VectorXd stats = Eigen::VectorXd::Zero(lambda.size());
  model.add_local_stats(all_ids(3), testing::all_blocks(model), stats);

  // By hand (Bishop 2006, eqs. 10.64–10.66 with D = 1):
  //   log ρ_nk = ψ(α_k) − ψ(Σα) + ½(ψ(ν_k/2) + log 2 + log W_k) − ½ log 2π − ½(1/β_k + ν_k W_k (x_n − m_k)²)
  double n_k[2] = {0, 0}, sx[2] = {0, 0}, sxx[2] = {0, 0};
  for (const double x : xs) {
    double log_rho[2];
    for (int k = 0; k < 2; ++k) {
      log_rho[k] = expfam::digamma(alpha[k]) - expfam::digamma(alpha[0] + alpha[1]) +
                   0.5 * (expfam::digamma(nu[k] / 2) + std::log(2.0) + std::log(w[k])) - 0.5 * std::log(2 * kPi) -
                   0.5 * (1 / beta[k] + nu[k] * w[k] * (x - m[k]) * (x - m[k]));
    }
    const double r0 = 1 / (1 + std::exp(log_rho[1] - log_rho[0]));
    const double r[2] = {r0, 1 - r0};
    for (int k = 0; k < 2; ++k) {
      n_k[k] += r[k];
      sx[k] += r[k] * x;
      sxx[k] += r[k] * x * x;
    }
  }
  for (int k = 0; k < 2; ++k) {
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(stats[k * 5 + j], n_k[k], 1e-12) << "component " << k;
    EXPECT_NEAR(stats[k * 5 + 3], sx[k], 1e-12) << "component " << k;
    EXPECT_NEAR(stats[k * 5 + 4], sxx[k], 1e-12) << "component " << k;
  }
}

TEST(Gmm, ARankWithoutPointsInTheMinibatchAddsNothing) {
  // A rank's part of a small minibatch can be empty (mpirun -np 4 with solver.batch_size 2; the first
  // step of the adaptive schedule, in parts): nothing is added, and nothing crashes (Eigen's rank
  // update of an empty matrix divides by zero), for full and diagonal covariances.
  for (const bool diagonal : {false, true}) {
    GmmSynthOptions synth;
    synth.components = 2;
    synth.dim = 3;
    synth.points = 50;
    GmmTruth truth;
    GmmModel model = make_model(gmm_synthesize(synth, truth), 2, diagonal, 1);
    model.set_lambda(model.initial_global(1, 0, 1));
    Eigen::VectorXd stats = Eigen::VectorXd::Zero(model.global_size());
    model.add_local_stats({}, testing::all_blocks(model), stats);
    EXPECT_TRUE(stats.isZero());
  }
}

TEST(Gmm, OneBatchStepSetsLambdaToEtaPlusStatistics) {
  GmmSynthOptions synth;
  synth.components = 3;
  synth.dim = 2;
  synth.points = 300;
  GmmTruth truth;
  const io::DenseData data = gmm_synthesize(synth, truth);
  GmmModel model = make_model(data, 3, false, 5);
  GmmModel twin = make_model(data, 3, false, 5);
  comm::SerialCommunicator comm;
  solver::Svi svi(model, comm, batch_vb(300, 1), 0, nullptr);
  EXPECT_TRUE(testing::parts_make_the_start(twin, 3));  // the start every rank count has
  twin.set_lambda(twin.initial_global(3, 0, 1));
  Eigen::VectorXd stats = Eigen::VectorXd::Zero(twin.global_size());
  twin.add_local_stats(all_ids(300), testing::all_blocks(twin), stats);
  svi.step();
  const Eigen::VectorXd expected = twin.prior() + stats;
  EXPECT_LT((svi.lambda().dense() - expected).cwiseAbs().maxCoeff(), 1e-12 * expected.cwiseAbs().maxCoeff());
}

// Batch VB is coordinate ascent on the ELBO: it never decreases (with the weight concentration learned:
// each of its Newton steps is one more coordinate step).
void expect_elbo_never_decreases(bool diagonal, bool learn = false) {
  const std::string path = testing::shared_data("digits/digits.csv.gz");
  if (path.empty()) GTEST_SKIP() << "../shared/data is not here";
  io::DenseData digits = io::read_csv(path, "last");
  const std::int64_t n = digits.num_rows();
  GmmModel model = make_model(std::move(digits), 10, diagonal, 7, learn);
  comm::SerialCommunicator comm;
  solver::Svi svi(model, comm, batch_vb(n, 25), 0, nullptr);
  double last = svi.elbo();
  for (int step = 1; step <= 25; ++step) {
    svi.step();
    const double elbo = svi.elbo();
    // Rounding only: the ELBO is a sum of ~10^5 terms of size up to ~10^3.
    EXPECT_GE(elbo, last - 1e-9 * std::abs(last)) << "step " << step;
    last = elbo;
  }
}

TEST(Gmm, BatchElboNeverDecreasesOnDigitsFull) { expect_elbo_never_decreases(false); }
TEST(Gmm, BatchElboNeverDecreasesOnDigitsDiag) { expect_elbo_never_decreases(true); }
TEST(Gmm, BatchElboNeverDecreasesWithALearnedWeightConcentration) { expect_elbo_never_decreases(true, true); }

TEST(Gmm, RecoversTheMeansOfWellSeparatedData) {
  for (const bool diagonal : {false, true}) {
    GmmSynthOptions synth;
    synth.components = 4;
    synth.dim = 3;
    synth.points = 20000;
    synth.separation = 8.0;
    synth.diagonal = diagonal;
    synth.seed = 11;
    GmmTruth truth;
    GmmModel model = make_model(gmm_synthesize(synth, truth), 4, diagonal, 2);
    comm::SerialCommunicator comm;
    config::SolverConfig solver;
    solver.batch_size = 500;
    solver.epochs = 3;
    solver.seed = 2;
    solver::Svi svi(model, comm, solver, 0, nullptr);
    svi.run();
    const Eigen::MatrixXd fitted = model.means(svi.lambda().dense());
    // Every true mean has one fitted mean within the tolerance. The standard
    // error of a component's mean is at most σ_max / sqrt(N π_min) with
    // σ_max ≤ sqrt(2) (covariance eigenvalues in [0.5, 2]) and N π_min ≳ 2000:
    // about 0.03. SVI's last steps (ρ ≈ 0.02) add noise of the same order, so
    // 0.15 is several standard errors, yet far below the separation of 8 σ.
    std::vector<bool> used(4, false);
    for (Eigen::Index k = 0; k < 4; ++k) {
      Eigen::Index best = -1;
      double distance = 1e300;
      for (Eigen::Index j = 0; j < 4; ++j) {
        const Eigen::VectorXd m = fitted.row(j).transpose();
        const double dist = (m - truth.means.row(k).transpose()).norm();
        if (dist < distance) {
          distance = dist;
          best = j;
        }
      }
      EXPECT_LT(distance, 0.15) << "true component " << k << (diagonal ? " (diag)" : " (full)");
      EXPECT_FALSE(used[static_cast<std::size_t>(best)]) << "two true components share fitted component " << best;
      used[static_cast<std::size_t>(best)] = true;
    }
  }
}

TEST(Gmm, ModelFileKeepsLambdaBitForBit) {
  for (const bool diagonal : {false, true}) {
    GmmSynthOptions synth;
    synth.components = 3;
    synth.dim = 4;
    synth.points = 500;
    synth.diagonal = diagonal;
    GmmTruth truth;
    GmmModel model = make_model(gmm_synthesize(synth, truth), 3, diagonal, 4);
    comm::SerialCommunicator comm;
    config::SolverConfig solver;
    solver.batch_size = 100;
    solver.max_steps = 7;
    solver::Svi svi(model, comm, solver, 0, nullptr);
    svi.run();
    io::ModelFile contents;
    contents.type = "gmm";
    const Eigen::VectorXd fitted = svi.lambda().dense();
    contents.model = model.file_contents(fitted);
    contents.set_lambda(model.layout(), fitted);
    contents.history = svi.history();
    contents.heldout_name = model.heldout_name();
    const std::string path = testing::temp_dir("gmm_model_file") + "/model.h5";
    io::write_model_file(path, contents);
    const io::ModelFile back = io::read_model_file(path);
    EXPECT_EQ(back.type, "gmm");
    EXPECT_EQ(back.model.attr_string("/model", "covariance"), diagonal ? "diag" : "full");
    const Eigen::VectorXd lambda = back.lambda(model.layout());
    EXPECT_TRUE(lambda == svi.lambda().dense()) << (diagonal ? "diag" : "full");
    const std::vector<std::uint64_t> scale = diagonal ? std::vector<std::uint64_t>{4} : std::vector<std::uint64_t>{4, 4};
    EXPECT_TRUE(back.model.numbers("/model/prior/mean", {4}) == contents.model.numbers("/model/prior/mean", {4}));
    EXPECT_TRUE(back.model.numbers("/model/prior/scale", scale) == contents.model.numbers("/model/prior/scale", scale));
  }
}

// The held-out log-likelihood (per point, data units) of a fit of `train`/`test` (K = 3, `covariance`).
double fitted_loglik(const io::DenseData& train, const io::DenseData& test, const std::string& covariance,
                     const std::string& name) {
  const std::string dir = testing::temp_dir("gmm_scales_" + name);
  io::write_dense(dir + "/train.h5", train, "test");
  io::write_dense(dir + "/test.h5", test, "test");
  config::FitConfig c;
  c.model.type = "gmm";
  c.model.values.set("model.components", std::int64_t{3});
  c.model.values.set("model.covariance", covariance);
  c.model.values.set("model.weight_concentration", 1.0 / 3);
  c.model.values.set("model.mean_precision", 1.0);
  c.data.train = dir + "/train.h5";
  c.data.heldout = dir + "/test.h5";
  c.solver.batch_size = 200;
  c.solver.epochs = 4;
  c.solver.seed = 3;
  c.eval.every_steps = 0;
  c.output.model = dir + "/model.h5";
  comm::SerialCommunicator alone;
  std::ostringstream quiet;
  return app::run_fit(c, alone, quiet).history.back().heldout;
}

// Every value of column j multiplied by `factor[j]` and `offset` added.
io::DenseData transformed(io::DenseData data, double offset, const std::vector<double>& factor) {
  for (std::size_t i = 0; i < data.values.size(); ++i) {
    data.values[i] = data.values[i] * factor[i % static_cast<std::size_t>(data.cols)] + offset;
  }
  return data;
}

TEST(GmmScales, OffsetsAndUnitsFitAsWellAsTheStandardisedData) {
  // The same mixture with its columns offset by 0, 10⁶ and 10⁹, and with a column in 10⁻⁶ units (whose
  // density is then 10⁶ times larger: + log 10⁶ a point). The fits are made in centred and scaled
  // coordinates, so they agree but for the precision the offsets leave in the data themselves (a value
  // near 10⁹ keeps about 7 of its digits after the point): 1e-5 nats a point.
  GmmSynthOptions synth;
  synth.components = 3;
  synth.dim = 3;
  synth.points = 2000;
  synth.separation = 5.0;
  GmmTruth truth;
  const auto [train, test] = io::split_every(gmm_synthesize(synth, truth), 5);
  const std::vector<double> same = {1.0, 1.0, 1.0};
  const std::vector<double> micro = {1.0, 1e-6, 1.0};
  for (const std::string covariance : {"full", "diag"}) {
    const double base = fitted_loglik(train, test, covariance, covariance + "_0");
    for (const double offset : {1e6, 1e9}) {
      const double shifted = fitted_loglik(transformed(train, offset, same), transformed(test, offset, same), covariance,
                                           covariance + "_offset");
      EXPECT_NEAR(shifted, base, 1e-5) << covariance << ", offset " << offset;
    }
    const double scaled = fitted_loglik(transformed(train, 0, micro), transformed(test, 0, micro), covariance,
                                        covariance + "_micro");
    EXPECT_NEAR(scaled - std::log(1e6), base, 1e-5) << covariance << ", a column in 1e-6 units";
  }
}

}  // namespace
}  // namespace natgrad::models
