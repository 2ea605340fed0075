#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "natgrad/config/config.hpp"
#include "natgrad/expfam/random.hpp"
#include "natgrad/solver/minibatch.hpp"
#include "natgrad/solver/schedule.hpp"

namespace natgrad::solver {
namespace {

TEST(MinibatchSequence, EachEpochVisitsEveryDatumOnceInBalancedBatches) {
  MinibatchSequence seq(3, 1000, 256);
  ASSERT_EQ(seq.steps_per_epoch(), 4);
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<std::int64_t> seen;
    for (int i = 1; i <= 4; ++i) {
      const auto batch = seq.batch(epoch * 4 + i);
      EXPECT_TRUE(std::is_sorted(batch.begin(), batch.end()));
      EXPECT_LE(batch.size(), 256u);
      EXPECT_GE(batch.size(), 249u);  // 1000 / 4 = 250: sizes differ by at most one
      seen.insert(seen.end(), batch.begin(), batch.end());
    }
    std::sort(seen.begin(), seen.end());
    ASSERT_EQ(seen.size(), 1000u);
    for (std::int64_t i = 0; i < 1000; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
  }
  EXPECT_DOUBLE_EQ(seq.epochs_after(4), 1.0);
  EXPECT_DOUBLE_EQ(seq.epochs_after(6), 1.5);
}

TEST(MinibatchSequence, DependsOnSeedAndStepOnly) {
  MinibatchSequence a(11, 500, 64);
  MinibatchSequence b(11, 500, 64);
  MinibatchSequence c(12, 500, 64);
  // b is asked out of order first: the answer must not depend on the history of calls.
  const auto late = b.batch(20);
  for (int step = 1; step <= 20; ++step) EXPECT_EQ(a.batch(step), b.batch(step));
  EXPECT_EQ(late, a.batch(20));
  EXPECT_NE(a.batch(1), c.batch(1));
  EXPECT_NE(a.batch(1), a.batch(9));  // epoch 2 has another order
}

TEST(MinibatchSequence, BatchLargerThanDataIsTheWholeData) {
  MinibatchSequence seq(1, 10, 256);
  EXPECT_EQ(seq.steps_per_epoch(), 1);
  EXPECT_EQ(seq.batch(1).size(), 10u);
}

TEST(DistinctBlocks, SortsAndDropsRepeatsCallAfterCall) {
  // Lists of 0 to 400 random ids in [0, 100), some with few distinct ids (sorted) and some with many
  // (read off the marks), one call after the other on the same object: std::sort and std::unique each time.
  expfam::CounterRng rng(6, expfam::Purpose::kPermutation, 98);
  solver::DistinctBlocks distinct(100);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::int64_t> ids;
    const auto n = rng.below(401);
    const auto range = 1 + rng.below(100);
    for (std::uint64_t i = 0; i < n; ++i) ids.push_back(static_cast<std::int64_t>(rng.below(range)));
    std::vector<std::int64_t> expected = ids;
    std::sort(expected.begin(), expected.end());
    expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
    distinct.sort_unique(ids);
    EXPECT_EQ(ids, expected) << "trial " << trial;
  }
}

TEST(MergeIncreasingLists, IsTheSortedUnionWhateverTheNumberOfLists) {
  // 0 to 9 lists of random increasing ids (some empty, some overlapping): the result is std::sort and
  // std::unique of them all.
  expfam::CounterRng rng(5, expfam::Purpose::kPermutation, 99);
  for (int lists = 0; lists <= 9; ++lists) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<std::int64_t> all;
      for (int l = 0; l < lists; ++l) {
        std::vector<std::int64_t> list;
        const auto n = rng.below(12);
        for (std::uint64_t i = 0; i < n; ++i) list.push_back(static_cast<std::int64_t>(rng.below(30)));
        std::sort(list.begin(), list.end());
        list.erase(std::unique(list.begin(), list.end()), list.end());
        all.insert(all.end(), list.begin(), list.end());
      }
      std::vector<std::int64_t> expected = all;
      std::sort(expected.begin(), expected.end());
      expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
      solver::merge_increasing_lists(all);
      EXPECT_EQ(all, expected) << lists << " lists, trial " << trial;
    }
  }
}

TEST(StepSize, RobbinsMonroAndConstant) {
  config::SolverConfig solver;
  solver.tau0 = 10;
  solver.kappa = 0.7;
  EXPECT_DOUBLE_EQ(step_size(solver, 1), std::pow(11.0, -0.7));
  EXPECT_DOUBLE_EQ(step_size(solver, 90), std::pow(100.0, -0.7));
  solver.tau0 = 0;
  solver.kappa = 1.0;
  EXPECT_DOUBLE_EQ(step_size(solver, 1), 1.0);
  solver.schedule = config::Schedule::kConstant;
  solver.rho = 0.25;
  EXPECT_DOUBLE_EQ(step_size(solver, 7), 0.25);
}

}  // namespace
}  // namespace natgrad::solver
