// The solver updates only the columns of λ that a minibatch touches and
// decays the rest lazily (λ = η + a · M). It must give the λ of the plain
// dense update λ ← λ + ρ (η + N/|B| · s − λ) of every entry, to rounding:
// checked against that loop, written out here, over many steps, with a
// schedule that decays slowly and one that makes the scale renormalise. A run
// that continues another model (fit --init-model) takes its minibatches from
// the start and its step sizes and random streams from the step it goes on from.

#include <gtest/gtest.h>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/models/lda/lda.hpp"
#include "natgrad/solver/schedule.hpp"
#include "natgrad/solver/svi.hpp"
#include "test_data.hpp"

namespace natgrad::solver {
namespace {

// V = 400 words and batches of 8 documents of ~30 tokens: most columns of λ
// are untouched at each step.
io::Corpus corpus() { return testing::synthetic_corpus(4, 400, 120, 30, 9); }

// λ after `steps` steps of the plain dense update, every entry every step,
// from `start` (default: the initial λ) at step `first` (steps first + 1, ...
// taking minibatches 1, 2, ...).
Eigen::VectorXd dense_reference(const config::SolverConfig& solver, const models::LdaOptions& options,
                                std::int64_t steps, std::int64_t first = 0, Eigen::VectorXd start = {}) {
  models::LdaModel model(corpus(), std::nullopt, options);
  const Eigen::VectorXd eta = Eigen::VectorXd::Constant(model.global_size(), options.eta);
  Eigen::VectorXd lambda = start.size() > 0 ? start : model.initial_global(solver.seed, 0, 1);
  MinibatchSequence batches(solver.seed, model.num_train(), solver.batch_size);
  for (std::int64_t t = first + 1; t <= first + steps; ++t) {
    // Base 0: the model sees λ exactly.
    const models::GlobalParams view(Eigen::VectorXd::Zero(lambda.size()), lambda, model.global_block_size());
    model.set_global(view);
    const std::vector<std::int64_t> batch = batches.batch(t - first);
    Eigen::VectorXd s = Eigen::VectorXd::Zero(lambda.size());
    model.add_local_stats(batch, testing::all_blocks(model), s);
    const double scale = static_cast<double>(model.num_train()) / static_cast<double>(batch.size());
    lambda += step_size(solver, t) * (eta + scale * s - lambda);
  }
  return lambda;
}

// Checks the solver's λ after `steps` steps against dense_reference; returns its final scale a.
double expect_sparse_equals_dense(const config::SolverConfig& solver, std::int64_t steps) {
  // Enough local iterations for every document to converge: a document that
  // stops at the cap passes rounding differences on magnified a hundredfold.
  const models::LdaOptions options{4, Eigen::ArrayXd::Constant(4, 0.25), 0.05, 1000, 1e-4};
  models::LdaModel model(corpus(), std::nullopt, options);
  comm::SerialCommunicator comm;
  Svi svi(model, comm, solver, 0, nullptr);
  for (std::int64_t t = 1; t <= steps; ++t) svi.step();

  const Eigen::VectorXd expected = dense_reference(solver, options, steps);
  const Eigen::VectorXd lambda = svi.lambda().dense();
  const double worst = ((lambda - expected).array().abs() / expected.array().abs()).maxCoeff();
  EXPECT_LT(worst, 1e-12) << "largest relative difference over " << steps << " steps";
  // The row sums kept as columns change agree with a fresh sum.
  const Eigen::VectorXd rows = models::lda_topics(expected, 4).rowwise().sum();
  EXPECT_LT(((svi.lambda().block_total() - rows).array().abs() / rows.array()).maxCoeff(), 1e-12);
  return svi.lambda().scale();
}

TEST(SparseUpdate, EqualsTheDenseUpdateUnderRobbinsMonro) {
  config::SolverConfig solver;
  solver.batch_size = 8;
  solver.seed = 3;
  expect_sparse_equals_dense(solver, 60);
}

TEST(SparseUpdate, EqualsTheDenseUpdateAcrossRenormalisations) {
  // ρ = 0.99: the scale falls by 100 a step and renormalises every 50 steps.
  config::SolverConfig solver;
  solver.batch_size = 8;
  solver.seed = 3;
  solver.schedule = config::Schedule::kConstant;
  solver.rho = 0.99;
  // Never renormalised, the scale would be 0.01^120 = 1e-240.
  EXPECT_GE(expect_sparse_equals_dense(solver, 120), models::GlobalParams::kMinScale);
}

TEST(SparseUpdate, AContinuedRunGoesOnFromItsFirstStep) {
  config::SolverConfig solver;
  solver.batch_size = 8;
  solver.seed = 3;
  const models::LdaOptions options{4, Eigen::ArrayXd::Constant(4, 0.25), 0.05, 1000, 1e-4};
  models::LdaModel model(corpus(), std::nullopt, options);
  comm::SerialCommunicator comm;
  Svi svi(model, comm, solver, 0, nullptr);
  const Eigen::VectorXd start = model.initial_global(11, 0, 1);  // another model's λ
  svi.restore({models::GlobalParams(model.prior(), start, 4), 25, 1000, 2.0, {}, 25, io::Group()});
  EXPECT_EQ(svi.first_step(), 25);
  EXPECT_EQ(svi.total_steps(), 25 + 15);  // one epoch of 120 documents in batches of 8
  for (int t = 0; t < 10; ++t) svi.step();
  EXPECT_EQ(svi.steps_done(), 35);
  EXPECT_DOUBLE_EQ(svi.epochs_done(), 10.0 / 15.0);
  EXPECT_EQ(svi.docs_seen(), 1000 + 80);
  const Eigen::VectorXd expected = dense_reference(solver, options, 10, 25, start);
  const Eigen::VectorXd lambda = svi.lambda().dense();
  EXPECT_LT(((lambda - expected).array().abs() / expected.array().abs()).maxCoeff(), 1e-12);
  svi.evaluate();
  EXPECT_EQ(svi.history().back().step, 35);
}

}  // namespace
}  // namespace natgrad::solver
