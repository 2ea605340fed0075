// Hierarchical Poisson factorization: the sums over the items and the local
// step against a hand computation on a 3 × 4 matrix, the statistics, the held-out
// scores, thread counts, batch variational Bayes with a never-decreasing ELBO,
// the step's hierarchical prior, and recovery of the factors of synthetic data.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/expfam/special.hpp"
#include "natgrad/io/text_corpus.hpp"
#include "natgrad/models/hpf/hpf.hpp"
#include "natgrad/models/hpf/synth.hpp"
#include "natgrad/solver/minibatch.hpp"
#include "natgrad/solver/schedule.hpp"
#include "natgrad/solver/svi.hpp"
#include "test_data.hpp"

namespace natgrad::models {
namespace {

constexpr double kEuler = 0.57721566490153286061;

// The 3 users × 4 items of the hand computation: u0 = {i0: 2, i2: 1},
// u1 = {i1: 1, i3: 3}, u2 = {i0: 1, i1: 1, i2: 1}.
io::Corpus small_counts() {
  io::Corpus c;
  c.vocab_size = 4;
  c.vocab = {"i0", "i1", "i2", "i3"};
  c.add_document({0, 2}, {2, 1}, 0);
  c.add_document({1, 3}, {1, 3}, 1);
  c.add_document({0, 1, 2}, {1, 1, 1}, 2);
  c.total_docs = 3;
  return c;
}

// λ of K = 2 factors for those items: shapes in {1, 2} (ψ(1) = −γ_E, ψ(2) = 1 − γ_E),
// item parts of the rates h = (1, 0.5, 2, 1), shared parts g = (1, 0.5).
Eigen::VectorXd small_lambda() {
  Eigen::VectorXd l(4 * 3 + 2);
  l << 1, 2, 1,  //
      2, 1, 0.5,  //
      1, 1, 2,    //
      2, 2, 1,    //
      1, 0.5;
  return l;
}

GlobalParams params_of(const Eigen::VectorXd& lambda, Eigen::Index k) {
  return {Eigen::VectorXd::Zero(lambda.size()), lambda, k + 1, k};
}

HpfOptions small_options() {
  HpfOptions o;
  o.factors = 2;
  o.local_max_iters = 1;
  o.local_tol = 1e-300;
  return o;
}

HpfItems items_of(const GlobalParams& lambda, const HpfPrior& prior) {
  HpfItems out;
  hpf_items(lambda, prior, 1, out);
  out.exp_elog.resize(out.factors, out.items);
  std::vector<std::int32_t> all(static_cast<std::size_t>(out.items));
  std::iota(all.begin(), all.end(), 0);
  hpf_set_columns(lambda, all, out);
  return out;
}

TEST(HpfItems, SumsOverTheItemsMatchAHandComputation) {
  const GlobalParams lambda = params_of(small_lambda(), 2);
  const HpfOptions o = small_options();
  const HpfItems items = items_of(lambda, o.prior);
  // Rates h_i + g_k: i0 (2, 1.5), i1 (1.5, 1), i2 (3, 2.5), i3 (2, 1.5); E[β] = shape / rate.
  EXPECT_NEAR(items.beta_sum[0], 0.5 + 4.0 / 3 + 1.0 / 3 + 1.0, 1e-15);
  EXPECT_NEAR(items.beta_sum[1], 4.0 / 3 + 1.0 + 0.4 + 4.0 / 3, 1e-15);
  const double totals[] = {0.5 + 4.0 / 3, 4.0 / 3 + 1.0, 1.0 / 3 + 0.4, 1.0 + 4.0 / 3};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(items.beta_total[i], totals[i], 1e-15);
    // E[η_i] = (c′ + K c) / (c′/d′ + Σ_k E[β_ik]) = 0.9 / (0.3 + A_i).
    EXPECT_NEAR(items.popularity[i], 0.9 / (0.3 + totals[i]), 1e-15);
  }
  // exp(E[log β]) = exp(ψ(shape)) / rate.
  EXPECT_NEAR(items.exp_elog(0, 0), std::exp(-kEuler) / 2.0, 1e-14);
  EXPECT_NEAR(items.exp_elog(1, 0), std::exp(1.0 - kEuler) / 1.5, 1e-14);
  EXPECT_NEAR(items.exp_elog(1, 3), std::exp(1.0 - kEuler) / 1.5, 1e-14);
  const Eigen::MatrixXd expected = hpf_expected_beta(lambda);
  EXPECT_NEAR(expected(1, 0), 4.0 / 3, 1e-15);
  EXPECT_NEAR(expected(0, 2), 1.0 / 3, 1e-15);
}

TEST(HpfLocalStep, OneSweepMatchesHandComputation) {
  const GlobalParams lambda = params_of(small_lambda(), 2);
  const HpfOptions o = small_options();  // one sweep
  const HpfItems items = items_of(lambda, o.prior);
  HpfWorkspace ws;
  const io::Corpus c = small_counts();
  hpf_local_step(items, c.doc_words(0), c.doc_counts(0), o, ws);
  // From E[log θ] = 0 (e = 1): φ_ui ∝ exp(E[log β_i]) and γˢ_k = a + Σ_i y_ui φ_uik.
  const double g = std::exp(-kEuler);
  const double b00 = g / 2.0, b01 = std::exp(1.0) * g / 1.5;  // item 0
  const double b20 = g / 3.0, b21 = g / 2.5;                   // item 2
  const double shape0 = 0.3 + 2 * b00 / (b00 + b01) + 1 * b20 / (b20 + b21);
  const double shape1 = 0.3 + 2 * b01 / (b00 + b01) + 1 * b21 / (b20 + b21);
  EXPECT_NEAR(ws.shape[0], shape0, 1e-14);
  EXPECT_NEAR(ws.shape[1], shape1, 1e-14);
  // γʳ_k = E[ξ_u] + B_k with E[ξ_u] = b′ = 1 at the start; κ_u = a′/b′ + Σ_k E[θ_uk].
  const double rate0 = 1.0 + 19.0 / 6, rate1 = 1.0 + 61.0 / 15;
  EXPECT_NEAR(ws.rate[0], rate0, 1e-14);
  EXPECT_NEAR(ws.rate[1], rate1, 1e-14);
  EXPECT_NEAR(ws.activity_rate, 0.3 + shape0 / rate0 + shape1 / rate1, 1e-14);
  // φ of the new θ: e_k ∝ exp(ψ(γˢ_k)) / γʳ_k.
  const double e0 = std::exp(expfam::digamma(shape0)) / rate0, e1 = std::exp(expfam::digamma(shape1)) / rate1;
  const double top = std::max(e0, e1);
  EXPECT_NEAR(ws.exp_theta[0], e0 / top, 1e-13);
  EXPECT_NEAR(ws.exp_theta[1], e1 / top, 1e-13);
  EXPECT_NEAR(ws.phinorm[0], (e0 * b00 + e1 * b01) / top, 1e-13);
  EXPECT_NEAR(ws.log_scale, std::log(top), 1e-13);
}

// The local step written out plainly: scalar functions, φ normalised explicitly.
struct Plain {
  std::vector<double> shape, rate;
  double activity_rate = 0;
  std::vector<std::vector<double>> phi;  // [item of the user][k]
};

Plain plain_local_step(const HpfItems& items, std::span<const std::int32_t> ids, std::span<const std::int32_t> y,
                       const HpfPrior& p, int sweeps) {
  const auto k = static_cast<std::size_t>(items.factors);
  Plain out;
  out.shape.assign(k, p.a);
  out.rate.assign(k, 1.0);
  out.phi.assign(ids.size(), std::vector<double>(k));
  std::vector<double> elog_theta(k, 0.0);
  double expected_xi = p.b_prime;
  for (int s = 0; s < sweeps; ++s) {
    for (std::size_t j = 0; j < ids.size(); ++j) {
      double norm = 0;
      for (std::size_t f = 0; f < k; ++f) {
        out.phi[j][f] = std::exp(elog_theta[f]) * items.exp_elog(static_cast<Eigen::Index>(f), ids[j]);
        norm += out.phi[j][f];
      }
      for (double& v : out.phi[j]) v /= norm;
    }
    double theta_sum = 0;
    for (std::size_t f = 0; f < k; ++f) {
      out.shape[f] = p.a;
      for (std::size_t j = 0; j < ids.size(); ++j) out.shape[f] += y[j] * out.phi[j][f];
      out.rate[f] = expected_xi + items.beta_sum[static_cast<Eigen::Index>(f)];
      theta_sum += out.shape[f] / out.rate[f];
      elog_theta[f] = expfam::digamma(out.shape[f]) - std::log(out.rate[f]);
    }
    out.activity_rate = p.a_prime / p.b_prime + theta_sum;
    expected_xi = (p.a_prime + static_cast<double>(k) * p.a) / out.activity_rate;
  }
  // φ of the final θ, as the statistics use it.
  for (std::size_t j = 0; j < ids.size(); ++j) {
    double norm = 0;
    for (std::size_t f = 0; f < k; ++f) {
      out.phi[j][f] = std::exp(elog_theta[f]) * items.exp_elog(static_cast<Eigen::Index>(f), ids[j]);
      norm += out.phi[j][f];
    }
    for (double& v : out.phi[j]) v /= norm;
  }
  return out;
}

TEST(HpfLocalStep, ManySweepsMatchThePlainIterationAndItsStatistics) {
  const GlobalParams lambda = params_of(small_lambda(), 2);
  HpfOptions o = small_options();
  o.local_max_iters = 40;
  const io::Corpus c = small_counts();
  HpfModel model(small_counts(), std::nullopt, o);
  model.set_global(lambda);
  const HpfItems items = items_of(lambda, o.prior);
  // The statistics of all three users: y_ui φ_uik in item i's block, Σ_u E[θ_uk] in the tail.
  Eigen::VectorXd stats = Eigen::VectorXd::Zero(model.global_size());
  const std::vector<std::int64_t> users = {0, 1, 2};
  model.add_local_stats(users, testing::all_blocks(model), stats);
  Eigen::VectorXd expected = Eigen::VectorXd::Zero(model.global_size());
  for (std::int64_t u = 0; u < 3; ++u) {
    HpfWorkspace ws;
    hpf_local_step(items, c.doc_words(u), c.doc_counts(u), o, ws);
    const Plain plain = plain_local_step(items, c.doc_words(u), c.doc_counts(u), o.prior, 40);
    for (int f = 0; f < 2; ++f) {
      EXPECT_NEAR(ws.shape[f], plain.shape[static_cast<std::size_t>(f)], 1e-12) << "user " << u;
      EXPECT_NEAR(ws.rate[f], plain.rate[static_cast<std::size_t>(f)], 1e-12) << "user " << u;
      expected[12 + f] += plain.shape[static_cast<std::size_t>(f)] / plain.rate[static_cast<std::size_t>(f)];
    }
    EXPECT_NEAR(ws.activity_rate, plain.activity_rate, 1e-12);
    const auto ids = c.doc_words(u);
    const auto y = c.doc_counts(u);
    for (std::size_t j = 0; j < ids.size(); ++j) {
      for (int f = 0; f < 2; ++f) expected[ids[j] * 3 + f] += y[j] * plain.phi[j][static_cast<std::size_t>(f)];
    }
  }
  for (Eigen::Index i = 0; i < stats.size(); ++i) EXPECT_NEAR(stats[i], expected[i], 1e-12) << "entry " << i;
  // Every count is in the shape statistics once: Σ_k y_ui φ_uik = y_ui.
  double shape_total = 0;
  for (int i = 0; i < 4; ++i) shape_total += stats.segment(3 * i, 2).sum();
  EXPECT_NEAR(shape_total, 2 + 1 + 1 + 3 + 1 + 1 + 1, 1e-12);
}

TEST(HpfLocalStep, ConvergesToAFixedPointOfTheSweep) {
  const GlobalParams lambda = params_of(small_lambda(), 2);
  HpfOptions o = small_options();
  o.local_max_iters = 1000;
  o.local_tol = 1e-12;
  const HpfItems items = items_of(lambda, o.prior);
  const io::Corpus c = small_counts();
  HpfWorkspace ws;
  hpf_local_step(items, c.doc_words(2), c.doc_counts(2), o, ws);
  EXPECT_LT(ws.iterations, 1000);
  const Eigen::ArrayXd shape = ws.shape;
  // One more sweep from the fixed point changes nothing: γˢ = a + e ∘ t.
  EXPECT_LT(((0.3 + ws.exp_theta * ws.t) - shape).abs().maxCoeff(), 1e-11);
}

// A users × items corpus drawn from the model and split by entries.
struct Split {
  io::Corpus train, test;
  HpfTruth truth;
};

Split synthetic_split(std::int64_t users, std::int64_t items, std::int64_t k, std::uint64_t seed) {
  HpfSynthOptions o;
  o.users = users;
  o.items = items;
  o.factors = k;
  o.counts_per_user = 30;
  o.seed = seed;
  Split s;
  const io::Corpus all = hpf_synthesize(o, s.truth);
  std::tie(s.train, s.test) = io::split_entries(all, 0.2, seed, 5);
  return s;
}

TEST(HpfModel, StatisticsHeldOutScoresAndElboAreTheSameAtAnyThreadCount) {
  Split s = synthetic_split(150, 80, 4, 3);
  std::vector<Eigen::VectorXd> stats;
  std::vector<std::vector<double>> scores;
  std::vector<double> elbos;
  for (const int threads : {1, 2, 3}) {
    HpfOptions o;
    o.factors = 4;
    o.threads = threads;
    o.top_k = 5;
    HpfModel model(s.train, s.test, o, s.train.num_tokens());
    const GlobalParams lambda(model.prior(), model.initial_global(7, 0, 1), model.global_block_size(),
                              model.global_tail_size());
    model.set_global(lambda);
    Eigen::VectorXd st = Eigen::VectorXd::Zero(model.global_size());
    std::vector<std::int64_t> users(150);
    std::iota(users.begin(), users.end(), 0);
    model.add_local_stats(users, testing::all_blocks(model), st);
    stats.push_back(st);
    const ScoreSum held = model.heldout_partial();
    std::vector<double> all = {held.log_score, held.count};
    for (const double v : model.extra_partial()) all.push_back(v);
    scores.push_back(all);
    elbos.push_back(model.elbo_local_partial() + model.elbo_global());
  }
  for (std::size_t t = 1; t < stats.size(); ++t) {
    EXPECT_TRUE(stats[t] == stats[0]) << "threads " << t + 1;
    EXPECT_EQ(scores[t], scores[0]);
    EXPECT_EQ(elbos[t], elbos[0]);
  }
  EXPECT_GT(scores[0][1], 0);  // held-out non-zeros scored
  EXPECT_GT(scores[0][5], 0);  // users ranked
}

TEST(HpfHeldOut, RankingMetricsMatchAHandComputation) {
  // λ (rates 1) whose E[β_i0] orders the items, E[β_i1] a tie-breaking 1e-9:
  // with θ ∝ (1, 1), the ranking is by the first factor. User 0 has item 1 in
  // training (excluded) and items 0, 4 held out; the top 2 of the others are 4, 3.
  const double first[] = {0.1, 0.9, 0.2, 0.5, 0.8};
  Eigen::VectorXd flat(5 * 3 + 2);
  for (int i = 0; i < 5; ++i) flat.segment(3 * i, 3) << first[i], 1e-9, 1.0;
  flat[15] = flat[16] = 0.0;  // the shared rates (not tail(2).setZero(): a false -Wstringop-overflow of GCC 12)
  const GlobalParams lambda = params_of(flat, 2);
  HpfItems items;
  items.factors = 2;
  items.items = 5;
  items.beta_sum = Eigen::VectorXd::Zero(2);
  items.exp_elog = Eigen::MatrixXd::Constant(2, 5, 1.0);  // θ's two factors equal
  io::Corpus train, test;
  train.vocab_size = test.vocab_size = 5;
  train.add_document({1}, {3}, 0);
  test.add_document({0, 4}, {1, 2}, 0);
  train.total_docs = test.total_docs = 1;
  HpfOptions o;
  o.factors = 2;
  o.top_k = 2;
  o.local_max_iters = 50;
  std::vector<HpfWorkspace> ws(1);
  const HpfScores s =
      hpf_heldout_sums(items, lambda, hpf_expected_beta(lambda).cast<float>(), train, test, o, ws);
  // Hits: item 4 at rank 0 (item 3 at rank 1 is not held out). precision = 1 / min(2, 2),
  // recall = 1 / 2, NDCG = (1 / log2 2) / (1 / log2 2 + 1 / log2 3).
  EXPECT_DOUBLE_EQ(s[2], 0.5);
  EXPECT_DOUBLE_EQ(s[3], 0.5);
  EXPECT_NEAR(s[4], 1.0 / (1.0 + 1.0 / std::log2(3.0)), 1e-15);
  EXPECT_EQ(s[5], 1.0);
  EXPECT_EQ(s[1], 2.0);
  // log Poisson(y | E[θ]·E[β_i]) of the two held-out entries, with this user's θ.
  HpfWorkspace w;
  hpf_local_step(items, train.doc_words(0), train.doc_counts(0), o, w);
  const Eigen::ArrayXd theta = w.shape / w.rate;
  double ll = 0;
  for (const auto& [i, y] : {std::pair{0, 1.0}, std::pair{4, 2.0}}) {
    const double mu = theta[0] * first[i] + theta[1] * 1e-9;
    ll += y * std::log(mu) - mu - std::lgamma(y + 1);
  }
  EXPECT_NEAR(s[0], ll, 1e-12 * std::abs(ll));
  // The ranking itself, with ties broken by item id, and fewer items than asked for.
  std::vector<std::vector<std::int32_t>> top;
  Eigen::MatrixXf same = Eigen::MatrixXf::Ones(2, 2);
  const Eigen::MatrixXf flat_beta = Eigen::MatrixXf::Constant(2, 5, 0.5);
  const std::vector<std::int32_t> none, three = {0, 2, 4};
  hpf_rank(flat_beta, same, {none, three}, 4, 1, top);
  EXPECT_EQ(top[0], (std::vector<std::int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(top[1], (std::vector<std::int32_t>{1, 3}));
}

config::SolverConfig batch_vb(std::int64_t users, std::int64_t steps) {
  config::SolverConfig solver;
  solver.batch_size = users;
  solver.schedule = config::Schedule::kConstant;
  solver.rho = 1.0;
  solver.max_steps = steps;
  solver.seed = 4;
  solver.local_max_iters = 3000;
  solver.local_tol = 1e-10;
  return solver;
}

void expect_elbo_never_decreases(io::Corpus train, std::int64_t k, int iterations) {
  HpfOptions o;
  o.factors = k;
  o.local_max_iters = 3000;
  o.local_tol = 1e-10;
  const std::int64_t users = train.num_docs();
  HpfModel model(std::move(train), std::nullopt, o);
  comm::SerialCommunicator comm;
  solver::Svi svi(model, comm, batch_vb(users, iterations), 0, nullptr);
  double previous = svi.elbo();
  for (int it = 1; it <= iterations; ++it) {
    svi.step();
    const double elbo = svi.elbo();
    EXPECT_GE(elbo, previous - 1e-9 * std::abs(previous)) << "iteration " << it;
    previous = elbo;
  }
}

TEST(HpfBatchVariationalBayes, OneStepSetsLambdaToTheCoordinateOptimum) {
  // ρ = 1 over all users: λˢ = c + Σ_u y φ, h_i = E[η_i] at the start's λ, g = Σ_u E[θ_u].
  Split s = synthetic_split(60, 30, 3, 5);
  HpfOptions o;
  o.factors = 3;
  HpfModel model(s.train, std::nullopt, o);
  comm::SerialCommunicator comm;
  solver::Svi svi(model, comm, batch_vb(60, 1), 0, nullptr);
  HpfModel twin(s.train, std::nullopt, o);
  const GlobalParams start(twin.prior(), twin.initial_global(4, 0, 1), twin.global_block_size(),
                           twin.global_tail_size());
  twin.set_global(start);
  Eigen::VectorXd stats = Eigen::VectorXd::Zero(twin.global_size());
  std::vector<std::int64_t> all(60);
  std::iota(all.begin(), all.end(), 0);
  twin.add_local_stats(all, testing::all_blocks(twin), stats);
  Eigen::VectorXd expected = twin.prior() + stats;
  for (Eigen::Index i = 0; i < 30; ++i) expected[i * 4 + 3] += twin.item_sums().popularity[i];
  svi.step();
  EXPECT_LT((svi.lambda().dense() - expected).norm(), 1e-12 * expected.norm());
}

TEST(HpfModel, StartDrawnInPartsIsTheStartDrawnWhole) {
  // Put together from parts, as the ranks do, the start is the start drawn whole, bit for bit.
  Split s = synthetic_split(60, 30, 3, 5);
  HpfOptions o;
  o.factors = 3;
  const HpfModel model(s.train, std::nullopt, o);
  EXPECT_TRUE(testing::parts_make_the_start(model, 4));
}

TEST(HpfBatchVariationalBayes, ElboNeverDecreasesOnSyntheticCounts) {
  expect_elbo_never_decreases(synthetic_split(200, 120, 4, 11).train, 4, testing::kSanitized ? 4 : 15);
}

TEST(HpfBatchVariationalBayes, ElboNeverDecreasesOnDebianDependencies) {
  const std::string triples = testing::shared_data("debdeps/triples.debdeps.tsv.gz");
  if (triples.empty()) GTEST_SKIP() << "shared data not found beside the repository (../shared/data)";
  // The packages that name the 3000 most named packages and at least 5 of them: a real, sparse matrix.
  io::Corpus all = io::read_triples(triples, {});
  io::Corpus part;
  part.vocab_size = all.vocab_size;
  for (std::int64_t d = 0; d < all.num_docs() && part.num_docs() < (testing::kSanitized ? 500 : 3000); ++d) {
    if (all.doc_words(d).size() < 5) continue;
    const auto w = all.doc_words(d);
    const auto c = all.doc_counts(d);
    part.add_document({w.begin(), w.end()}, {c.begin(), c.end()}, d);
  }
  part.total_docs = part.num_docs();
  expect_elbo_never_decreases(std::move(part), 5, testing::kSanitized ? 3 : 8);
}

// λ after `steps` steps of the plain update of every entry, λ ← λ + ρ (η(λ) + N/|B| s − λ),
// with η(λ) the prior of prior() but E[η_i] at each item's rate part.
Eigen::VectorXd dense_reference(const io::Corpus& train, const HpfOptions& o, const config::SolverConfig& solver,
                                std::int64_t steps) {
  HpfModel model(train, std::nullopt, o);
  Eigen::VectorXd lambda = model.initial_global(solver.seed, 0, 1);
  solver::MinibatchSequence batches(solver.seed, model.num_train(), solver.batch_size);
  const Eigen::Index block = o.factors + 1;
  for (std::int64_t t = 1; t <= steps; ++t) {
    const GlobalParams view = params_of(lambda, o.factors);
    model.set_global(view);
    Eigen::VectorXd eta = model.prior();
    for (Eigen::Index i = 0; i < model.items(); ++i) eta[i * block + o.factors] = model.item_sums().popularity[i];
    const std::vector<std::int64_t> batch = batches.batch(t);
    Eigen::VectorXd s = Eigen::VectorXd::Zero(lambda.size());
    model.add_local_stats(batch, testing::all_blocks(model), s);
    const double scale = static_cast<double>(model.num_train()) / static_cast<double>(batch.size());
    lambda += solver::step_size(solver, t) * (eta + scale * s - lambda);
  }
  return lambda;
}

void expect_sparse_equals_dense(const config::SolverConfig& solver, std::int64_t steps) {
  Split s = synthetic_split(120, 400, 3, 8);  // 8 users of ~24 items a step: most items untouched
  HpfOptions o;
  o.factors = 3;
  o.local_max_iters = 1000;
  o.local_tol = 1e-9;
  HpfModel model(s.train, std::nullopt, o);
  comm::SerialCommunicator comm;
  solver::Svi svi(model, comm, solver, 0, nullptr);
  for (std::int64_t t = 1; t <= steps; ++t) svi.step();
  const Eigen::VectorXd expected = dense_reference(s.train, o, solver, steps);
  const Eigen::VectorXd lambda = svi.lambda().dense();
  EXPECT_LT(((lambda - expected).array().abs() / expected.array().abs().max(1e-300)).maxCoeff(), 1e-11);
}

TEST(HpfSparseUpdate, TailAndHierarchicalPriorEqualTheDenseUpdate) {
  // The lazy step (decay by the scale, the touched items' blocks, the tail, and
  // E[η_i] at every item's rate part) against the dense loop: Robbins–Monro,
  // and ρ = 0.99, where the scale renormalises every 50 steps.
  config::SolverConfig solver;
  solver.batch_size = 8;
  solver.seed = 3;
  expect_sparse_equals_dense(solver, 40);
  solver.schedule = config::Schedule::kConstant;
  solver.rho = 0.99;
  expect_sparse_equals_dense(solver, 110);
}

// Hellinger distance between two non-negative columns, each normalised to sum 1.
double hellinger(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
  return std::sqrt(0.5 * ((a / a.sum()).cwiseSqrt() - (b / b.sum()).cwiseSqrt()).squaredNorm());
}

TEST(HpfRecovery, SviFindsTheTrueFactorsOfSyntheticCounts) {
  // 3000 users × 300 items, K = 4, drawn from the model; 20 epochs of SVI.
  // Matched one to one (every permutation of 4), the fitted E[β_·k] over the
  // items lie within a mean Hellinger distance of 0.15 of the true β_·k
  // (independent factors drawn the same way are some 0.5 apart).
  const std::int64_t k = 4;
  Split s = synthetic_split(3000, 300, k, 21);
  HpfOptions o;
  o.factors = k;
  HpfModel model(s.train, std::nullopt, o);
  comm::SerialCommunicator comm;
  config::SolverConfig solver;
  solver.batch_size = 500;
  solver.epochs = testing::kSanitized ? 4 : 20;
  solver.seed = 2;
  solver::Svi svi(model, comm, solver, 0, nullptr);
  svi.run();
  const Eigen::MatrixXd fitted = hpf_expected_beta(svi.lambda());  // K × I
  std::vector<int> perm(static_cast<std::size_t>(k));
  std::iota(perm.begin(), perm.end(), 0);
  double best = INFINITY;
  do {
    double sum = 0;
    for (int f = 0; f < k; ++f) sum += hellinger(fitted.row(f).transpose(), s.truth.beta.col(perm[static_cast<std::size_t>(f)]));
    best = std::min(best, sum / static_cast<double>(k));
  } while (std::next_permutation(perm.begin(), perm.end()));
  EXPECT_LT(best, testing::kSanitized ? 0.3 : 0.15);
  double apart = 0;
  for (int f = 1; f < k; ++f) apart += hellinger(s.truth.beta.col(0), s.truth.beta.col(f));
  EXPECT_GT(apart / static_cast<double>(k - 1), 2 * best);
}

TEST(HpfSynth, IsAFunctionOfTheOptionsWithTheExpectedCounts) {
  HpfSynthOptions o;
  o.users = 4000;
  o.items = 200;
  o.factors = 5;
  o.counts_per_user = 25;
  HpfTruth t1, t2;
  const io::Corpus a = hpf_synthesize(o, t1);
  const io::Corpus b = hpf_synthesize(o, t2);
  EXPECT_EQ(a.indices, b.indices);
  EXPECT_EQ(a.counts, b.counts);
  EXPECT_TRUE(t1.beta == t2.beta);
  EXPECT_EQ(a.num_docs(), 4000);
  EXPECT_EQ(a.doc_names[7], "u7");
  // The mean count per user is the expected 25, to its sampling error (the counts are overdispersed).
  EXPECT_NEAR(static_cast<double>(a.num_tokens()) / 4000.0, 25.0, 3.0);
  o.seed = 2;
  EXPECT_NE(hpf_synthesize(o, t2).indices, a.indices);
}

}  // namespace
}  // namespace natgrad::models
