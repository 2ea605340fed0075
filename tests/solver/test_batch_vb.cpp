// With the whole corpus as the batch and ρ = 1, SVI is batch variational
// Bayes (coordinate ascent): λ = η + s after each step, and the ELBO never
// decreases, with fixed priors or learned ones (each Newton step of a learned
// prior is one more coordinate step). Checked on a small real corpus. At
// convergence the learned α is the Dirichlet maximum likelihood of the
// documents' E[log θ_d], as an independent solver finds it.

#include <gtest/gtest.h>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/io/text_corpus.hpp"
#include "natgrad/models/lda/lda.hpp"
#include "natgrad/solver/svi.hpp"
#include "test_data.hpp"

namespace natgrad::solver {
namespace {

config::SolverConfig batch_vb(std::int64_t docs) {
  config::SolverConfig solver;
  solver.batch_size = docs;
  solver.schedule = config::Schedule::kConstant;
  solver.rho = 1.0;
  solver.max_steps = 12;
  solver.seed = 4;
  return solver;
}

TEST(BatchVariationalBayes, OneStepSetsLambdaToEtaPlusStatistics) {
  io::Corpus corpus = testing::synthetic_corpus(3, 50, 40, 60, 1);
  models::LdaOptions options{3, Eigen::ArrayXd::Constant(3, 0.3), 0.05, 100, 1e-6};
  models::LdaModel model(std::move(corpus), std::nullopt, options);
  comm::SerialCommunicator comm;
  Svi svi(model, comm, batch_vb(40), 0, nullptr);
  // The statistics the first step will compute: same λ, same seed, same step.
  models::LdaModel twin(testing::synthetic_corpus(3, 50, 40, 60, 1), std::nullopt, options);
  const models::GlobalParams lambda(twin.prior(), twin.initial_global(4, 0, 1), twin.global_block_size());
  twin.set_global(lambda);
  Eigen::VectorXd stats = Eigen::VectorXd::Zero(twin.global_size());
  std::vector<std::int64_t> all(40);
  for (int i = 0; i < 40; ++i) all[static_cast<std::size_t>(i)] = i;
  twin.add_local_stats(all, testing::all_blocks(twin), stats);
  svi.step();
  EXPECT_LT((svi.lambda().dense() - (Eigen::VectorXd::Constant(stats.size(), 0.05) + stats)).norm(), 1e-9 * stats.norm());
}

void expect_elbo_never_decreases_on_cora(bool learn) {
  const std::string docword = testing::shared_data("cora/docword.cora.txt.gz");
  if (docword.empty()) GTEST_SKIP() << "shared corpora not found beside the repository (../shared/data)";
  io::Corpus corpus = io::read_uci(docword, testing::shared_data("cora/vocab.cora.txt"));
  const std::int64_t docs = corpus.num_docs();
  // Tight local convergence: the bound is compared between iterations to a
  // relative 1e-9, so each document's γ must be converged well below that.
  models::LdaOptions options{8, Eigen::ArrayXd::Constant(8, 0.1), 0.05, 2000, 1e-9};
  options.learn_alpha = options.learn_eta = learn;
  models::LdaModel model(std::move(corpus), std::nullopt, options);
  comm::SerialCommunicator comm;
  Svi svi(model, comm, batch_vb(docs), 0, nullptr);
  double previous = svi.elbo();
  for (int iteration = 1; iteration <= (testing::kSanitized ? 4 : 12); ++iteration) {
    svi.step();
    const double elbo = svi.elbo();
    EXPECT_GE(elbo, previous - 1e-9 * std::abs(previous)) << "iteration " << iteration;
    previous = elbo;
  }
  if (learn) {  // the priors did move
    EXPECT_GT((model.learned_value(0).array() - 0.1).abs().maxCoeff(), 0.01);
    EXPECT_GT(std::abs(model.learned_value(1)[0] - 0.05), 0.001);
  }
}

TEST(BatchVariationalBayes, ElboNeverDecreasesOnCora) { expect_elbo_never_decreases_on_cora(false); }
TEST(BatchVariationalBayes, ElboNeverDecreasesOnCoraWithLearnedPriors) { expect_elbo_never_decreases_on_cora(true); }

TEST(BatchVariationalBayes, LearnedAlphaIsTheMaximumLikelihoodOfTheDocuments) {
  io::Corpus corpus = testing::synthetic_corpus(4, 60, 150, 60, 3);
  models::LdaOptions options{4, Eigen::ArrayXd::Constant(4, 0.25), 0.05, 1000, 1e-10};
  options.learn_alpha = true;
  models::LdaModel model(std::move(corpus), std::nullopt, options);
  comm::SerialCommunicator comm;
  config::SolverConfig solver = batch_vb(150);
  solver.max_steps = 200;
  Svi svi(model, comm, solver, 0, nullptr);
  svi.run();
  // Σ_d E[log θ_d] of every document at the final λ and α (the statistics after λ's blocks).
  std::vector<std::int64_t> all(150);
  for (int i = 0; i < 150; ++i) all[static_cast<std::size_t>(i)] = i;
  Eigen::VectorXd stats = Eigen::VectorXd::Zero(model.global_size() + model.learned_stats_size());
  model.add_local_stats(all, testing::all_blocks(model), stats);
  const Eigen::VectorXd mle = testing::dirichlet_mle(stats.tail(4), 150.0);
  const Eigen::VectorXd learned = model.learned_value(0);
  // Within 1e-4 relative, or 1e-5 absolute for a topic that the documents hardly use (its α falls
  // towards 0, where each step closes a smaller part of the gap).
  for (Eigen::Index k = 0; k < 4; ++k) {
    EXPECT_NEAR(learned[k], mle[k], std::max(1e-4 * mle[k], 1e-5))
        << "topic " << k << ": learned " << learned.transpose() << ", maximum likelihood " << mle.transpose();
  }
}

}  // namespace
}  // namespace natgrad::solver
