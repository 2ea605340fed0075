// Run at 1, 2 and 4 ranks: the distributed fit (lda, gmm, hpf; each also with its priors learned
// and the adaptive step size) equals a fit in one process (a serial world) to a relative 1e-9, so
// any two rank counts agree.

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "mpi_world.hpp"
#include "natgrad/app/commands.hpp"
#include "natgrad/io/corpus.hpp"
#include "natgrad/io/dense.hpp"
#include "natgrad/io/text_corpus.hpp"
#include "natgrad/models/gmm/synth.hpp"
#include "natgrad/models/hpf/synth.hpp"
#include "natgrad/models/registry.hpp"
#include "test_data.hpp"

namespace natgrad {
namespace {

// Equal on every rank, bit for bit: a checksum of the bytes has one value.
bool same_on_every_rank(const Eigen::VectorXd& v) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (const double x : v) hash = (hash ^ std::bit_cast<std::uint64_t>(x)) * 1099511628211ULL;
  const auto h = static_cast<std::int64_t>(hash >> 2);
  comm::Communicator& world = testing::world();
  return world.allreduce_min(h) == -world.allreduce_min(-h);
}

class RankAgreement : public ::testing::Test {
 protected:
  void SetUp() override {
    comm::Communicator& world = testing::world();
    dir_ = std::filesystem::temp_directory_path() / ("natgrad_mpi_np" + std::to_string(world.size()));
    comm::agree(world, [] {});  // every rank is done with the files of the test before
    comm::agree(world, [&] {
      if (world.rank() != 0) return;
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      io::write_corpus((dir_ / "train.h5").string(), testing::synthetic_corpus(5, 150, 203, 60, 21), "synthetic");
      io::write_corpus((dir_ / "test.h5").string(), testing::synthetic_corpus(5, 150, 37, 60, 22), "synthetic");
      models::GmmSynthOptions synth;
      synth.components = 3;
      synth.dim = 4;
      synth.points = 450;
      synth.separation = 3.0;
      models::GmmTruth truth;
      const auto [train, test] = io::split_every(models::gmm_synthesize(synth, truth), 10);
      io::write_dense((dir_ / "points.h5").string(), train, "synthetic");
      io::write_dense((dir_ / "points_test.h5").string(), test, "synthetic");
      models::HpfSynthOptions counts;
      counts.users = 300;
      counts.items = 80;
      counts.factors = 3;
      models::HpfTruth counts_truth;
      const auto [users, held] = io::split_entries(models::hpf_synthesize(counts, counts_truth), 0.2, 1, 5);
      io::write_corpus((dir_ / "counts.h5").string(), users, "synthetic");
      io::write_corpus((dir_ / "counts_test.h5").string(), held, "synthetic");
    });
  }

  // `variant`: a type, or a type with "+adaptive" (solver.schedule = adaptive, the family's
  // learnable priors learned, and LDA's λ started at model.init_scale = auto: D from every shard).
  config::FitConfig job(const std::string& output, const std::string& variant) const {
    const std::string type = variant.substr(0, variant.find('+'));
    const bool adaptive = variant.ends_with("+adaptive");
    config::FitConfig c;
    c.model.type = type;
    config::Values& m = c.model.values;
    if (type == "gmm") {
      m.set("model.components", std::int64_t{3});
      m.set("model.covariance", std::string("full"));
      m.set("model.weight_concentration", adaptive ? config::Value(std::string("auto")) : config::Value(0.5));
      m.set("model.mean_precision", 1.0);
      c.data.train = (dir_ / "points.h5").string();
      c.data.heldout = (dir_ / "points_test.h5").string();
    } else if (type == "hpf") {
      m.set("model.factors", std::int64_t{3});
      for (const char* key : {"model.a", "model.a_prime", "model.c", "model.c_prime"}) m.set(key, 0.3);
      m.set("model.b_prime", 1.0);
      m.set("model.d_prime", 1.0);
      m.set("model.top_k", std::int64_t{10});
      m.set("model.ranking_users", std::int64_t{0});
      c.data.train = (dir_ / "counts.h5").string();
      c.data.heldout = (dir_ / "counts_test.h5").string();
    } else {
      m.set("model.topics", std::int64_t{5});
      m.set("model.alpha", adaptive ? config::Value(std::string("auto")) : config::Value(0.2));
      m.set("model.eta", adaptive ? config::Value(std::string("auto")) : config::Value(0.05));
      m.set("model.init_scale", adaptive ? config::Value(std::string("auto")) : config::Value(1.0));
      m.set("eval.coherence", std::string("umass,npmi"));  // counted on every rank's shard, summed
      m.set("eval.coherence_top", std::int64_t{6});
      c.data.train = (dir_ / "train.h5").string();
      c.data.heldout = (dir_ / "test.h5").string();
    }
    c.solver.batch_size = 32;  // 7 steps an epoch (lda), batches spread over every shard
    c.solver.max_steps = 10;
    c.solver.seed = 17;
    if (adaptive) c.solver.schedule = config::Schedule::kAdaptive;
    c.eval.every_steps = 5;
    c.output.model = (dir_ / output).string();
    config::validate(c, models::catalog());
    return c;
  }

  std::filesystem::path dir_;
};

class RankAgreementOf : public RankAgreement, public ::testing::WithParamInterface<std::string> {};

TEST_P(RankAgreementOf, DistributedFitEqualsSerialFit) {
  comm::Communicator& world = testing::world();
  std::ostringstream quiet;
  const std::string type = GetParam();
  const app::FitResult distributed = app::run_fit(job(type + "_distributed.h5", type), world, quiet);
  EXPECT_TRUE(same_on_every_rank(distributed.lambda));

  comm::SerialCommunicator alone;
  const app::FitResult serial =
      app::run_fit(job(type + "_serial_rank" + std::to_string(world.rank()) + ".h5", type), alone, quiet);
  const double scale = serial.lambda.cwiseAbs().maxCoeff();
  EXPECT_LT((distributed.lambda - serial.lambda).cwiseAbs().maxCoeff(), 1e-9 * scale)
      << "at " << world.size() << " ranks";
  ASSERT_EQ(distributed.history.size(), serial.history.size());
  for (std::size_t i = 0; i < serial.history.size(); ++i) {
    EXPECT_EQ(distributed.history[i].step, serial.history[i].step);
    EXPECT_NEAR(distributed.history[i].heldout, serial.history[i].heldout,
                1e-9 * std::abs(serial.history[i].heldout));
    ASSERT_EQ(distributed.history[i].extra.size(), serial.history[i].extra.size());
    for (std::size_t j = 0; j < serial.history[i].extra.size(); ++j) {
      EXPECT_NEAR(distributed.history[i].extra[j], serial.history[i].extra[j], 1e-9 * std::abs(serial.history[i].extra[j]))
          << "column " << j << " of row " << i;
    }
  }
  if (type == "lda") {
    EXPECT_EQ(serial.history.back().extra.size(), 2u);  // umass and npmi
  }
  if (type == "lda+adaptive") {  // umass, npmi; alpha_mean, _min, _max, _shortened; eta, eta_shortened
    EXPECT_EQ(serial.history.back().extra.size(), 8u);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, RankAgreementOf,
                         ::testing::Values("lda", "gmm", "hpf", "lda+adaptive", "gmm+adaptive", "hpf+adaptive"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           std::replace(name.begin(), name.end(), '+', '_');
                           return name;
                         });

TEST_F(RankAgreement, ThreadsPerRankChangeNothing) {
  // solver.threads = 3 on every rank gives the fit of one thread, bit for bit.
  comm::Communicator& world = testing::world();
  std::ostringstream quiet;
  const app::FitResult one = app::run_fit(job("lda_threads1.h5", "lda"), world, quiet);
  config::FitConfig threaded = job("lda_threads3.h5", "lda");
  threaded.solver.threads = 3;
  const app::FitResult three = app::run_fit(threaded, world, quiet);
  EXPECT_TRUE(three.lambda == one.lambda) << "at " << world.size() << " ranks";
  ASSERT_EQ(three.history.size(), one.history.size());
  for (std::size_t i = 0; i < one.history.size(); ++i) EXPECT_EQ(three.history[i].heldout, one.history[i].heldout);
}

TEST(ShareRows, EveryRankEndsWithEachRanksRowsAndRankZerosTail) {
  // Entry i of the whole is i + 0.5; each rank holds its rows and (rank 0) the tail, the rest
  // -rank - 1. Blocks of 5 and of 3 (fewer rows than 4 ranks: a rank without rows), tails of 0 and 4.
  comm::Communicator& world = testing::world();
  for (const std::int64_t block : {5, 3}) {
    for (const std::int64_t tail : {0, 4}) {
      const std::int64_t blocks = 7;
      std::vector<double> data(static_cast<std::size_t>(blocks * block + tail), -world.rank() - 1.0);
      const auto [first, last] = comm::shard_of(block, world.rank(), world.size());
      for (std::int64_t b = 0; b < blocks; ++b) {
        for (std::int64_t p = first; p < last; ++p) data[static_cast<std::size_t>(b * block + p)] = b * block + p + 0.5;
      }
      if (world.rank() == 0) {
        for (std::int64_t i = blocks * block; i < blocks * block + tail; ++i) {
          data[static_cast<std::size_t>(i)] = i + 0.5;
        }
      }
      world.share_rows(data, block, tail);
      for (std::size_t i = 0; i < data.size(); ++i) {
        EXPECT_EQ(data[i], static_cast<double>(i) + 0.5) << "entry " << i << ", blocks of " << block << ", tail "
                                                         << tail << ", rank " << world.rank() << " of " << world.size();
      }
    }
  }
}

TEST(Agree, AnErrorOnOneRankReachesEveryRank) {
  comm::Communicator& world = testing::world();
  const int culprit = world.size() - 1;
  try {
    comm::agree(world, [&] {
      if (world.rank() == culprit) throw Error("shard.h5: cannot be read");
    });
    FAIL() << "agree() did not throw";
  } catch (const comm::AgreedError& e) {
    EXPECT_NE(std::string(e.what()).find("shard.h5: cannot be read"), std::string::npos);
  }
  EXPECT_NO_THROW(comm::agree(world, [] {}));
}

}  // namespace
}  // namespace natgrad
