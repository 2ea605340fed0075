// A NaN or infinity in the statistics or in λ stops the run with a message
// naming the step and the entry, before any checkpoint of the bad state.

#include <gtest/gtest.h>

#include <limits>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/solver/svi.hpp"

namespace natgrad::solver {
namespace {

// A model of 6 global parameters whose statistics are 1, except that entry 4
// becomes `poison` at step `bad_step`.
class PoisonedModel final : public models::Model {
 public:
  PoisonedModel(std::int64_t bad_step, double poison) : bad_step_(bad_step), poison_(poison) {}
  std::string type() const override { return "poisoned"; }
  std::string item_name() const override { return "items"; }
  std::string item_plural() const override { return "items"; }
  std::string description() const override { return "poisoned"; }
  std::int64_t num_train() const override { return 10; }
  models::Range train_shard() const override { return {0, 10}; }
  Eigen::Index global_size() const override { return 6; }
  io::Layout layout() const override { return {{{"entries", {6}, 0, {1}}}, 6}; }
  io::Group file_contents(const Eigen::VectorXd&) const override { return io::Group(); }
  std::string describe_index(Eigen::Index index) const override { return "entry " + std::to_string(index); }
  Eigen::VectorXd prior() const override { return Eigen::VectorXd::Constant(6, 0.5); }
  Eigen::VectorXd initial_global(std::uint64_t, int, int) const override { return Eigen::VectorXd::Ones(6); }
  Eigen::Index global_block_size() const override { return 1; }
  void touched_blocks(std::span<const std::int64_t>, std::vector<std::int64_t>& blocks) const override {
    for (std::int64_t b = 5; b >= 0; --b) blocks.push_back(b);
  }
  void set_global(const models::GlobalParams&) override {}
  void add_local_stats(std::span<const std::int64_t> ids, std::span<const std::int64_t>,
                       Eigen::Ref<Eigen::VectorXd> stats) override {
    stats.setConstant(static_cast<double>(ids.size()));
    if (++calls_ == bad_step_) stats[4] = poison_;  // one call a step
  }
  models::ScoreSum heldout_partial() override { return {}; }
  double heldout_metric(const models::ScoreSum&) const override { return 0.0; }
  std::string heldout_name() const override { return "none"; }
  double elbo_local_partial() override { return 0.0; }
  double elbo_global() const override { return 0.0; }

 private:
  std::int64_t bad_step_;
  std::int64_t calls_ = 0;  // of add_local_stats: the step, counted from 1
  double poison_;
};

TEST(SviFaults, NanInStatisticsStopsTheRunNamingStepAndEntry) {
  for (const double poison : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    PoisonedModel model(3, poison);
    comm::SerialCommunicator comm;
    config::SolverConfig solver;
    solver.batch_size = 5;
    solver.max_steps = 6;
    Svi svi(model, comm, solver, 0, nullptr);
    std::vector<std::int64_t> checkpointed;
    RunControl control;
    control.checkpoint_every_steps = 1;
    control.checkpoint = [&] { checkpointed.push_back(svi.steps_done()); };
    try {
      svi.run(control);
      FAIL() << "the run went on past a non-finite statistic";
    } catch (const comm::AgreedError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("step 3"), std::string::npos) << message;
      EXPECT_NE(message.find("entry 4"), std::string::npos) << message;
      EXPECT_NE(message.find(std::isnan(poison) ? "NaN" : "infinity"), std::string::npos) << message;
    }
    // Checkpoints of steps 1 and 2 only: the bad step is never saved over them.
    EXPECT_EQ(checkpointed, (std::vector<std::int64_t>{1, 2}));
    EXPECT_TRUE(svi.lambda().dense().allFinite());
  }
}

TEST(SviFaults, OverflowInLambdaIsCaught) {
  // Finite statistics, but λ_4 = (1 − ρ)λ_4 + ρη + ρ N/|B| · s_4 ≈ 0.18 · 10 · 1.7e308 overflows.
  PoisonedModel model(2, 1.7e308);
  comm::SerialCommunicator comm;
  config::SolverConfig solver;
  solver.batch_size = 1;
  solver.max_steps = 4;
  Svi svi(model, comm, solver, 0, nullptr);
  svi.step();
  try {
    svi.step();
    FAIL() << "an infinite λ was accepted";
  } catch (const comm::AgreedError& e) {
    EXPECT_NE(std::string(e.what()).find("step 2: the global parameters λ hold an infinity at entry 4"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace natgrad::solver
