// With the whole corpus as the batch and ρ = 1, SVI is batch variational
// Bayes (coordinate ascent): λ = η + s after each step, and the ELBO never
// decreases. Checked on a small real corpus.

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
  models::LdaOptions options{3, 0.3, 0.05, 100, 1e-6};
  models::LdaModel model(std::move(corpus), std::nullopt, options);
  comm::SerialCommunicator comm;
  Svi svi(model, comm, batch_vb(40), 0, nullptr);
  // The statistics the first step will compute: same λ, same seed, same step.
  models::LdaModel twin(testing::synthetic_corpus(3, 50, 40, 60, 1), std::nullopt, options);
  const models::GlobalParams lambda(twin.prior(), twin.initial_global(4), twin.global_block_size());
  twin.set_global(lambda);
  Eigen::VectorXd stats = Eigen::VectorXd::Zero(twin.global_size());
  std::vector<std::int64_t> all(40);
  for (int i = 0; i < 40; ++i) all[static_cast<std::size_t>(i)] = i;
  twin.add_local_stats(all, 4, 1, testing::all_blocks(twin), stats);
  svi.step();
  EXPECT_LT((svi.lambda().dense() - (Eigen::VectorXd::Constant(stats.size(), 0.05) + stats)).norm(), 1e-9 * stats.norm());
}

TEST(BatchVariationalBayes, ElboNeverDecreasesOnCora) {
  const std::string docword = testing::shared_data("cora/docword.cora.txt.gz");
  if (docword.empty()) GTEST_SKIP() << "shared corpora not found beside the repository (../shared/data)";
  io::Corpus corpus = io::read_uci(docword, testing::shared_data("cora/vocab.cora.txt"));
  const std::int64_t docs = corpus.num_docs();
  // Tight local convergence: the bound is compared between iterations to a
  // relative 1e-9, so each document's γ must be converged well below that.
  models::LdaOptions options{8, 0.1, 0.05, 2000, 1e-9};
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
}

}  // namespace
}  // namespace natgrad::solver
