// The adaptive step size (Ranganath et al. 2013) is kept lazily, in the
// blocks a step touches: its ρ_t must equal that of the averages ḡ, h̄ and τ
// written out densely over all of λ, every entry every step. Checked on
// random increments over a λ with a tail, a hierarchical prior's shifts and a
// moving prior (base), through renormalisations of both scales; and in the
// solver on LDA, whose first step cuts its minibatch into parts, against the
// dense loop written out here, and for a restart from its state.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/models/lda/lda.hpp"
#include "natgrad/solver/adaptive.hpp"
#include "natgrad/solver/svi.hpp"
#include "test_data.hpp"

namespace natgrad::solver {
namespace {

using models::GlobalParams;

// The averages written out over all of λ.
struct DenseAverages {
  Eigen::VectorXd gbar;
  double hbar = 0.0;
  double tau = 0.0;

  // ρ of the first step from its parts' gradients x_i (their mean is the step's).
  double first(const std::vector<Eigen::VectorXd>& x) {
    const auto p = static_cast<double>(x.size());
    gbar = Eigen::VectorXd::Zero(x[0].size());
    for (const auto& xi : x) gbar += xi / p;
    double spread = 0.0;
    for (const auto& xi : x) spread += (xi - gbar).squaredNorm();
    hbar = gbar.squaredNorm() + (x.size() > 1 ? spread / (p * (p - 1)) : 0.0);
    const double rho = gbar.squaredNorm() / hbar;
    tau = p * (1 - rho) + 1;
    return rho;
  }
  double next(const Eigen::VectorXd& g) {
    const double w = 1.0 / tau;
    gbar = (1 - w) * gbar + w * g;
    hbar = (1 - w) * hbar + w * g.squaredNorm();
    const double rho = gbar.squaredNorm() / hbar;
    tau = tau * (1 - rho) + 1;
    return rho;
  }
};

// Random steps on a λ of `blocks` blocks of 6 and a tail of 3: each touches a few blocks, has a tail,
// shifts at positions 1 and 4 of every block, and moves the base towards a prior that changes.
void expect_lazy_equals_dense(bool uniform_base, double start_scale, int parts) {
  constexpr Eigen::Index kBlock = 6, kTail = 3, kBlocks = 40;
  const Eigen::Index n = kBlocks * kBlock + kTail;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0.1, 1.0);
  const auto random_vector = [&](Eigen::Index size) {
    Eigen::VectorXd v(size);
    for (auto& x : v) x = unit(rng);
    return v;
  };
  // The prior: the same in every block (and so kept as one), or not.
  const auto prior_of = [&](const Eigen::VectorXd& block, const Eigen::VectorXd& tail) {
    Eigen::VectorXd out(n);
    for (Eigen::Index b = 0; b < kBlocks; ++b) out.segment(b * kBlock, kBlock) = block * (uniform_base ? 1.0 : 1.0 + 0.01 * b);
    out.tail(kTail) = tail;
    return out;
  };
  Eigen::VectorXd prior = prior_of(random_vector(kBlock), random_vector(kTail));
  const Eigen::VectorXd offset = random_vector(n) * 10;
  const Eigen::VectorXd block_sum = Eigen::Map<const Eigen::MatrixXd>(offset.data(), kBlock, kBlocks).rowwise().sum();
  GlobalParams lambda(prior, offset, start_scale, block_sum, kTail);
  AdaptiveStep lazy(lambda);
  DenseAverages dense;
  const std::vector<Eigen::Index> positions = {1, 4};
  for (int t = 1; t <= 60; ++t) {
    // This step's blocks (increasing), statistics, weight and shifts; the prior moves every 7th step.
    std::vector<std::int64_t> touched;
    for (Eigen::Index b = 0; b < kBlocks; ++b) {
      if (unit(rng) < 0.3) touched.push_back(b);
    }
    const auto m = static_cast<Eigen::Index>(touched.size()) * kBlock + kTail;
    const double weight = 5.0;
    std::vector<Eigen::VectorXd> shifts = {random_vector(kBlocks) - Eigen::VectorXd::Constant(kBlocks, 0.5),
                                           random_vector(kBlocks) * 0.1};
    std::vector<Eigen::VectorXd> part_stats;
    for (int i = 0; i < (t == 1 ? parts : 1); ++i) part_stats.push_back(random_vector(m));
    Eigen::VectorXd stats = Eigen::VectorXd::Zero(m);
    for (const auto& p : part_stats) stats += p;
    if (t % 7 == 0) prior = prior_of(random_vector(kBlock), random_vector(kTail));
    const Eigen::VectorXd toward = lambda.compact(prior) - lambda.compact_base();
    // The dense gradient(s): ĝ = η_t + weight · s (+ shifts) − λ_t over all of λ.
    const auto increments_of = [&](const Eigen::VectorXd& s, double w) {
      Eigen::VectorXd e = Eigen::VectorXd::Zero(n);
      for (std::size_t j = 0; j < touched.size(); ++j) {
        e.segment(touched[j] * kBlock, kBlock) = w * s.segment(static_cast<Eigen::Index>(j) * kBlock, kBlock);
      }
      e.tail(kTail) = w * s.tail(kTail);
      for (std::size_t k = 0; k < positions.size(); ++k) {
        for (Eigen::Index b = 0; b < kBlocks; ++b) e[b * kBlock + positions[k]] += shifts[k][b];
      }
      return e;
    };
    const Eigen::VectorXd lambda_now = lambda.dense();
    double rho_dense = 0.0, rho = 0.0;
    const Increments step{touched, stats, weight, positions, shifts};
    if (t == 1) {
      std::vector<Eigen::VectorXd> x;
      std::vector<Increments> each;
      for (const auto& p : part_stats) {
        x.push_back(prior + increments_of(p, weight * static_cast<double>(parts)) - lambda_now);
        each.push_back({touched, p, weight, positions, shifts});
      }
      rho_dense = dense.first(x);
      rho = lazy.first_rate(lambda, each, toward);
    } else {
      rho_dense = dense.next(prior + increments_of(stats, weight) - lambda_now);
      rho = lazy.rate(lambda, step, toward);
    }
    ASSERT_NEAR(rho, rho_dense, 1e-9 * rho_dense) << "step " << t;
    EXPECT_NEAR(lazy.tau(), dense.tau, 1e-9 * dense.tau) << "step " << t;
    lazy.before_decay(lambda, rho);
    lambda.decay(1.0 - rho);
    lambda.move_base(prior, rho);
    lambda.add(touched, stats.head(m - kTail), rho * weight);
    lambda.add_tail(stats.tail(kTail), rho * weight);
    for (std::size_t k = 0; k < positions.size(); ++k) lambda.add_at(positions[k], shifts[k], rho);
    lazy.after_update(lambda, step, rho);
  }
}

TEST(AdaptiveStep, LazyAveragesEqualDenseOnes) { expect_lazy_equals_dense(true, 1.0, AdaptiveStep::kParts); }

TEST(AdaptiveStep, LazyAveragesEqualDenseOnesWithABaseOfEveryEntry) {
  expect_lazy_equals_dense(false, 1.0, AdaptiveStep::kParts);
}

TEST(AdaptiveStep, LazyAveragesEqualDenseOnesAcrossARenormalisationOfLambda) {
  // λ's scale starts just above the floor: the first step's decay folds it into M.
  expect_lazy_equals_dense(true, 2 * GlobalParams::kMinScale, 1);
}

// LDA on V = 400 words, batches of 8 documents, the adaptive schedule.
io::Corpus corpus() { return testing::synthetic_corpus(4, 400, 120, 30, 9); }
const models::LdaOptions options{4, Eigen::ArrayXd::Constant(4, 0.25), 0.05, 1000, 1e-4};
config::SolverConfig adaptive(std::uint64_t seed) {
  config::SolverConfig solver;
  solver.batch_size = 8;
  solver.seed = seed;
  solver.schedule = config::Schedule::kAdaptive;
  return solver;
}

TEST(AdaptiveStep, TheSolverEqualsTheDenseLoop) {
  // The solver's ρ_t and λ against the dense loop.
  const config::SolverConfig solver = adaptive(3);
  models::LdaModel model(corpus(), std::nullopt, options);
  comm::SerialCommunicator comm;
  Svi svi(model, comm, solver, 0, nullptr);
  std::vector<double> rhos;
  for (int t = 1; t <= 40; ++t) {
    svi.step();
    svi.evaluate();
    rhos.push_back(svi.history().back().rho);
  }

  models::LdaModel reference(corpus(), std::nullopt, options);
  const Eigen::VectorXd eta = Eigen::VectorXd::Constant(reference.global_size(), options.eta);
  Eigen::VectorXd lambda = reference.initial_global(solver.seed, 0, 1);
  MinibatchSequence batches(solver.seed, reference.num_train(), solver.batch_size);
  DenseAverages dense;
  const double scale = static_cast<double>(reference.num_train()) / static_cast<double>(solver.batch_size);
  for (int t = 1; t <= 40; ++t) {
    const GlobalParams view(Eigen::VectorXd::Zero(lambda.size()), lambda, reference.global_block_size());
    reference.set_global(view);
    const std::vector<std::int64_t> batch = batches.batch(t);
    Eigen::VectorXd s = Eigen::VectorXd::Zero(lambda.size());
    double rho = 0.0;
    if (t == 1) {
      // Its minibatch in parts by position: [i·|B|/P, (i + 1)·|B|/P).
      const int parts = AdaptiveStep::kParts;
      std::vector<Eigen::VectorXd> x;
      for (int i = 0; i < parts; ++i) {
        const std::vector<std::int64_t> part(batch.begin() + i * 8 / parts, batch.begin() + (i + 1) * 8 / parts);
        Eigen::VectorXd si = Eigen::VectorXd::Zero(lambda.size());
        reference.add_local_stats(part, testing::all_blocks(reference), si);
        x.push_back(eta + parts * scale * si - lambda);
        s += si;
      }
      rho = dense.first(x);
    } else {
      reference.add_local_stats(batch, testing::all_blocks(reference), s);
      rho = dense.next(eta + scale * s - lambda);
    }
    EXPECT_NEAR(rhos[static_cast<std::size_t>(t - 1)], rho, 1e-9 * rho) << "step " << t;
    lambda += rho * (eta + scale * s - lambda);
  }
  const Eigen::VectorXd got = svi.lambda().dense();
  EXPECT_LT(((got - lambda).array().abs() / lambda.array().abs()).maxCoeff(), 1e-9);
  EXPECT_GT(rhos.front(), rhos.back());  // it settles
}

TEST(AdaptiveStep, ARestartFromItsStateContinuesBitForBit) {
  const config::SolverConfig solver = adaptive(5);
  comm::SerialCommunicator comm;
  models::LdaModel straight_model(corpus(), std::nullopt, options);
  Svi straight(straight_model, comm, solver, 0, nullptr);
  for (int t = 0; t < 30; ++t) straight.step();

  models::LdaModel first_model(corpus(), std::nullopt, options);
  Svi first(first_model, comm, solver, 0, nullptr);
  for (int t = 0; t < 12; ++t) first.step();
  models::LdaModel second_model(corpus(), std::nullopt, options);
  Svi second(second_model, comm, solver, 0, nullptr);
  const GlobalParams& kept = first.lambda();
  second.restore({GlobalParams(second_model.prior(), kept.offset(), kept.scale(), kept.block_sum()), 12, 96, 0.0, {}, 0,
                  first.solver_state()});
  for (int t = 12; t < 30; ++t) second.step();
  EXPECT_TRUE(second.lambda().dense() == straight.lambda().dense());
  // The same state given to the constructor (a job's restart: no start of λ drawn first).
  models::LdaModel third_model(corpus(), std::nullopt, options);
  Svi third(third_model, comm, solver, 0, nullptr,
            SviState{GlobalParams(third_model.prior(), kept.offset(), kept.scale(), kept.block_sum()), 12, 96, 0.0, {},
                     0, first.solver_state()});
  EXPECT_EQ(third.steps_done(), 12);
  for (int t = 12; t < 30; ++t) third.step();
  EXPECT_TRUE(third.lambda().dense() == straight.lambda().dense());
}

}  // namespace
}  // namespace natgrad::solver
