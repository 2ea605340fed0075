#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <random>

#include "natgrad/expfam/special.hpp"
#include "natgrad/models/lda/lda.hpp"
#include "models/lda/kernels.hpp"
#include "test_data.hpp"

namespace natgrad::models {
namespace {

// Digamma values worked out by hand from ψ(1) = −γ_E, ψ(1/2) = −γ_E − 2 log 2
// and ψ(x + 1) = ψ(x) + 1/x.
constexpr double kEuler = 0.57721566490153286061;
const double kPsi4 = 1.0 + 1.0 / 2 + 1.0 / 3 - kEuler;                 // ψ(4)
const double kPsi25 = -kEuler - 2 * std::numbers::ln2 + 2.0 + 2.0 / 3;  // ψ(2.5)
const double kPsi15 = -kEuler - 2 * std::numbers::ln2 + 2.0;            // ψ(1.5)

// LdaBeta holding a given exp(E[log β]) (K × V), each column scaled to a largest entry of 1.
LdaBeta beta_of(const Eigen::MatrixXd& exp_elog_beta) {
  LdaBeta beta(exp_elog_beta.rows(), exp_elog_beta.cols());
  for (Eigen::Index w = 0; w < exp_elog_beta.cols(); ++w) {
    const double top = exp_elog_beta.col(w).maxCoeff();
    beta.scaled.col(w).head(beta.topics) = (exp_elog_beta.col(w) / top).cast<float>();
    beta.log_scale[w] = std::log(top);
  }
  return beta;
}

// The local step runs in float: agreement with double to a few float ulps
// per operation, compounded over the iterations.
constexpr double kFloatTol = 2e-6;

TEST(LdaLocalStep, OneIterationMatchesHandComputation) {
  // K = 2 topics, a document with word 0 twice and word 1 once, α = 0.5.
  Eigen::MatrixXd exp_elog_beta(2, 2);
  exp_elog_beta << 0.5, 0.2,
                   0.1, 0.4;
  const std::vector<std::int32_t> ids = {0, 1};
  const std::vector<std::int32_t> counts = {2, 1};
  Eigen::ArrayXd gamma = Eigen::ArrayXd::Ones(2);
  Eigen::VectorXd flat = Eigen::VectorXd::Zero(4);
  Eigen::Map<Eigen::MatrixXd> stats(flat.data(), 2, 2);
  LdaWorkspace ws;
  const LdaBeta beta = beta_of(exp_elog_beta);
  lda_local_step(beta, ids, counts, Eigen::ArrayXd::Constant(gamma.size(), 0.5), 1, 1e-12, gamma, &stats, ws);
  const double elbo = lda_elbo_terms(beta, ids, gamma, Eigen::ArrayXd::Constant(gamma.size(), 0.5), ws);

  // γ = (1, 1): E[log θ_k] = ψ(1) − ψ(2) = −1 for both topics, so φ_w ∝ β_kw:
  // φ_0 = (0.5, 0.1)/0.6, φ_1 = (0.2, 0.4)/0.6 and
  // γ = α + 2 φ_0 + φ_1 = (0.5 + 1.2/0.6, 0.5 + 0.6/0.6) = (2.5, 1.5).
  EXPECT_NEAR(gamma[0], 2.5, 2.5 * kFloatTol);
  EXPECT_NEAR(gamma[1], 1.5, 1.5 * kFloatTol);

  // Statistics from the final γ: e_k = exp(ψ(γ_k) − ψ(4)), s_kw = c_w e_k β_kw / Σ_j e_j β_jw.
  const double e0 = std::exp(kPsi25 - kPsi4);
  const double e1 = std::exp(kPsi15 - kPsi4);
  const double norm0 = e0 * 0.5 + e1 * 0.1;
  const double norm1 = e0 * 0.2 + e1 * 0.4;
  EXPECT_NEAR(stats(0, 0), 2 * e0 * 0.5 / norm0, kFloatTol);
  EXPECT_NEAR(stats(1, 0), 2 * e1 * 0.1 / norm0, kFloatTol);
  EXPECT_NEAR(stats(0, 1), 1 * e0 * 0.2 / norm1, kFloatTol);
  EXPECT_NEAR(stats(1, 1), 1 * e1 * 0.4 / norm1, kFloatTol);

  // ELBO terms: Σ_w c_w log norm_w − KL(Dir(γ) ‖ Dir(α)), with
  // KL = log Γ(4) − log Γ(2.5) − log Γ(1.5) − log Γ(1) + 2 log Γ(0.5) + Σ_k (γ_k − α) E[log θ_k].
  const double lgamma25 = std::log(1.5 * 0.5 * std::sqrt(std::numbers::pi));
  const double lgamma15 = std::log(0.5 * std::sqrt(std::numbers::pi));
  const double lgamma05 = std::log(std::sqrt(std::numbers::pi));
  const double kl = std::log(6.0) - lgamma25 - lgamma15 + 2 * lgamma05 + 2.0 * (kPsi25 - kPsi4) +
                    1.0 * (kPsi15 - kPsi4);
  EXPECT_NEAR(elbo, 2 * std::log(norm0) + std::log(norm1) - kl, 10 * kFloatTol);
}

TEST(LdaLocalStep, ConvergesToTheFixedPointAndConservesTokens) {
  const io::Corpus corpus = testing::synthetic_corpus(4, 30, 1, 200, 9);
  Eigen::MatrixXd exp_elog_beta = (Eigen::MatrixXd::Random(4, 30).array() * 0.4 + 0.5).matrix();
  Eigen::ArrayXd gamma = Eigen::ArrayXd::Ones(4);
  Eigen::VectorXd flat = Eigen::VectorXd::Zero(4 * 30);
  Eigen::Map<Eigen::MatrixXd> stats(flat.data(), 4, 30);
  LdaWorkspace ws;
  lda_local_step(beta_of(exp_elog_beta), corpus.indices, corpus.counts, Eigen::ArrayXd::Constant(gamma.size(), 0.1), 1000, 1e-12, gamma, &stats, ws);
  // Each token's φ sums to 1 over topics: the statistics of word w add up to its count.
  for (std::size_t j = 0; j < corpus.indices.size(); ++j) {
    EXPECT_NEAR(stats.col(corpus.indices[j]).sum(), corpus.counts[j], corpus.counts[j] * kFloatTol);
  }
  // At the fixed point γ = α + Σ_w c_w φ_w, i.e. γ − α equals the row sums of s.
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(gamma[k] - 0.1, stats.row(k).sum(), gamma[k] * kFloatTol);
}

TEST(LdaLocalStep, MatchesThePlainIterationForSizesOffTheVectorBlocks) {
  // The fused, blocked pass against the iteration written out with Eigen
  // products, for K and n that are not multiples of the 4-column, 4- and
  // 8-row blocks; also counts the inner iterations it runs. (Eigen's Random draws from std::rand: seeded
  // here, so that the data do not depend on the tests that ran before.)
  std::srand(11);
  for (const int k : {2, 3, 13, 100}) {
    for (const int n : {1, 5, 30}) {
      Eigen::MatrixXd exp_elog_beta = (Eigen::MatrixXd::Random(k, 40).array() * 0.4 + 0.5).matrix();
      std::vector<std::int32_t> ids(static_cast<std::size_t>(n));
      std::vector<std::int32_t> counts(static_cast<std::size_t>(n));
      for (int j = 0; j < n; ++j) {
        ids[static_cast<std::size_t>(j)] = j;
        counts[static_cast<std::size_t>(j)] = 1 + j % 4;
      }
      const int iters = 7;
      Eigen::ArrayXd gamma = Eigen::ArrayXd::LinSpaced(k, 0.5, 2.0);
      Eigen::ArrayXd ref = gamma;
      Eigen::VectorXd flat = Eigen::VectorXd::Zero(k * 40);
      Eigen::Map<Eigen::MatrixXd> stats(flat.data(), k, 40);
      LdaWorkspace ws;
      lda_local_step(beta_of(exp_elog_beta), ids, counts, Eigen::ArrayXd::Constant(gamma.size(), 0.1), iters, 1e-300, gamma, &stats, ws);

      const Eigen::MatrixXd b = exp_elog_beta.leftCols(n);
      Eigen::ArrayXd c(n);
      for (int j = 0; j < n; ++j) c[j] = counts[static_cast<std::size_t>(j)];
      const auto exp_theta = [](const Eigen::ArrayXd& g) {
        Eigen::ArrayXd e(g.size());
        for (Eigen::Index i = 0; i < g.size(); ++i) e[i] = std::exp(expfam::digamma(g[i]) - expfam::digamma(g.sum()));
        return e;
      };
      for (int it = 0; it < iters; ++it) {
        const Eigen::ArrayXd phinorm = (b.transpose() * exp_theta(ref).matrix()).array() + 1e-100;
        ref = 0.1 + exp_theta(ref) * (b * (c / phinorm).matrix()).array();
      }
      const Eigen::ArrayXd e = exp_theta(ref);
      const Eigen::ArrayXd phinorm = (b.transpose() * e.matrix()).array() + 1e-100;
      // Float errors relative to the largest entry: γ's, and each word's count.
      for (int i = 0; i < k; ++i) EXPECT_NEAR(gamma[i], ref[i], 5 * kFloatTol * ref.maxCoeff()) << "K = " << k << ", n = " << n;
      for (int j = 0; j < n; ++j) {
        const Eigen::ArrayXd expected = e * b.col(j).array() * (c[j] / phinorm[j]);
        for (int i = 0; i < k; ++i) EXPECT_NEAR(stats(i, j), expected[i], 5 * kFloatTol * c[j]);
      }
      EXPECT_EQ(ws.iterations, iters);
      EXPECT_EQ(ws.word_iterations, iters * n);
    }
  }
}

TEST(LdaBeta, ScaledColumnsKeepAWordThatIsRareInEveryTopic) {
  // Word 1 has λ = η = 0.01 in every topic, as a word never seen in training:
  // E[log β_k1] ≈ ψ(0.01) − ψ(Σ_w λ_kw) ≈ −102, whose exp (1e-45) is no
  // normal float. Scaled by its column's largest entry it keeps its weight.
  Eigen::MatrixXd lambda(3, 2);
  lambda << 5.0, 0.01,
            1.0, 0.01,
            2.0, 0.01;
  const LdaBeta beta = lda_exp_elog_beta(lambda);
  for (Eigen::Index w = 0; w < 2; ++w) {
    for (Eigen::Index k = 0; k < 3; ++k) {
      const double expected = expfam::digamma(lambda(k, w)) - expfam::digamma(lambda.row(k).sum());
      EXPECT_NEAR(std::log(static_cast<double>(beta.scaled(k, w))) + beta.log_scale[w], expected, 2e-5);
    }
    EXPECT_EQ(beta.scaled.col(w).maxCoeff(), 1.0F);
  }
  EXPECT_LT(beta.log_scale[1], -100.0);
  EXPECT_TRUE((beta.scaled.bottomRows(beta.scaled.rows() - 3).array() == 0.0F).all());  // the padding

  // A document of word 1 alone: its 3 tokens still go to the topics.
  const std::vector<std::int32_t> ids = {1};
  const std::vector<std::int32_t> counts = {3};
  Eigen::ArrayXd gamma = Eigen::ArrayXd::Ones(3);
  Eigen::VectorXd flat = Eigen::VectorXd::Zero(6);
  Eigen::Map<Eigen::MatrixXd> stats(flat.data(), 3, 2);
  LdaWorkspace ws;
  lda_local_step(beta, ids, counts, Eigen::ArrayXd::Constant(gamma.size(), 0.1), 50, 1e-9, gamma, &stats, ws);
  EXPECT_NEAR(stats.col(1).sum(), 3.0, 3 * kFloatTol);
  EXPECT_NEAR(gamma.sum(), 3 * 0.1 + 3.0, 1e-4);
  EXPECT_TRUE(std::isfinite(lda_elbo_terms(beta, ids, gamma, Eigen::ArrayXd::Constant(gamma.size(), 0.1), ws)));
}

// Each version of the kernels that this build has and this CPU runs, against its products and
// functions written out in double (and so the versions against each other, to rounding). A version
// the CPU does not run is skipped with a note.
TEST(LdaKernels, EveryVersionThisCpuRunsMatchesPlainLoops) {
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<float> value(0.0F, 1.0F);
  int ran = 0;
  for (const detail::LdaKernels& kernels : detail::lda_kernel_versions()) {
    if (!detail::lda_kernels_run_here(kernels)) {
      std::cout << "[ skipped  ] the " << kernels.name << " kernels: this CPU does not run them\n";
      continue;
    }
    ++ran;
    const std::string v = kernels.name;
    // The fused pass, for n off the 4-column blocks and padded K off the 2W-row steps.
    for (const Eigen::Index k : {16, 32, 48, 112}) {
      for (const Eigen::Index n : {1, 3, 4, 9}) {
        Eigen::MatrixXf b(k, n);
        Eigen::ArrayXf counts(n), e(k), phinorm(n), t(k);
        for (float& x : b.reshaped()) x = value(rng);
        for (float& x : counts) x = 1.0F + std::floor(5 * value(rng));
        for (float& x : e) x = value(rng);
        kernels.fused_pass(b.data(), k, n, counts.data(), e.data(), phinorm.data(), t.data());
        const Eigen::MatrixXd bd = b.cast<double>();
        const Eigen::ArrayXd p = (bd.transpose() * e.cast<double>().matrix()).array();
        const Eigen::ArrayXd expected_t = (bd * (counts.cast<double>() / p).matrix()).array();
        for (Eigen::Index j = 0; j < n; ++j) EXPECT_NEAR(phinorm[j], p[j], 1e-6 * p[j]) << v << " K " << k;
        for (Eigen::Index i = 0; i < k; ++i) EXPECT_NEAR(t[i], expected_t[i], 1e-5 * expected_t.maxCoeff()) << v;
        Eigen::ArrayXf again(n);  // without t, the same phinorm
        kernels.fused_pass(b.data(), k, n, counts.data(), e.data(), again.data(), nullptr);
        EXPECT_TRUE((again == phinorm).all()) << v;
      }
    }
    // exp(E[log θ]) of γ and a column of exp(E[log β]), K = 37 padded to 48, against double.
    const Eigen::Index k = 37, kp = 48;
    Eigen::ArrayXd gamma(k), column_d(k), rowsum(k);
    for (Eigen::Index i = 0; i < k; ++i) {
      gamma[i] = std::exp(12.0 * value(rng) - 6.0);
      column_d[i] = static_cast<float>(std::exp(14.0 * value(rng) - 7.0));
      rowsum[i] = 2.0 + 5.0 * value(rng);
    }
    const auto psi = [](double x) { return expfam::digamma(x); };
    const Eigen::ArrayXd elog = gamma.unaryExpr(psi);
    Eigen::ArrayXf e(kp), psi_gamma(kp);
    kernels.expected_theta(gamma.data(), k, kp, e.data(), psi_gamma.data());
    for (Eigen::Index i = 0; i < k; ++i) {
      const double want = std::exp(elog[i] - elog.maxCoeff());
      EXPECT_NEAR(e[i], want, 2e-5 * want + 1e-30) << v << " topic " << i;
      EXPECT_NEAR(psi_gamma[i], elog[i], 2e-6 * std::abs(elog[i]) + 2e-6) << v << " topic " << i;
    }
    EXPECT_TRUE((e.tail(kp - k) == 0).all()) << v;
    Eigen::ArrayXf column = Eigen::ArrayXf::Zero(kp), psi_rowsum = Eigen::ArrayXf::Zero(kp);
    column.head(k) = column_d.cast<float>();
    psi_rowsum.head(k) = rowsum.cast<float>();
    const float m = kernels.finish_column(column.data(), k, kp, psi_rowsum.data());
    const Eigen::ArrayXd logs = column_d.unaryExpr(psi) - rowsum.cast<float>().cast<double>();
    EXPECT_NEAR(m, logs.maxCoeff(), 1e-5 * std::abs(logs.maxCoeff()) + 1e-5) << v;
    for (Eigen::Index i = 0; i < k; ++i) {
      const double want = std::exp(logs[i] - logs.maxCoeff());
      EXPECT_NEAR(column[i], want, 5e-5 * want + 1e-30) << v << " topic " << i;
    }
    EXPECT_TRUE((column.tail(kp - k) == 0).all()) << v;
    // A word's statistics, and Σ ψ.
    Eigen::ArrayXd stats = Eigen::ArrayXd::Constant(k, 1.5);
    kernels.add_stats(e.data(), column.data(), 3.0F, k, stats.data());
    for (Eigen::Index i = 0; i < k; ++i) {
      EXPECT_NEAR(stats[i], 1.5 + 3.0 * e[i] * column[i], 1e-6 * (1.5 + 3.0 * e[i] * column[i])) << v;
    }
    EXPECT_NEAR(kernels.sum_digamma(gamma.data(), k), elog.sum(), 1e-5 * elog.abs().sum()) << v;
  }
  EXPECT_GE(ran, 1);
}

TEST(LdaKernels, SinglePrecisionDigammaAgreesToFloatRounding) {
  // The kernels' ψ: within a few ulps of ψ in float (relative, or absolute 1e-6 near the root and for
  // |ψ| < 1), from 1e-30 to 1e30, and at the clamps: finite, about −1/x below 1e-30 and log x above 1e7.
  std::vector<float> values = {1e-30F, 1e-8F, 1e-3F, 0.01F, 0.5F, 1.0F, 1.4616321F, 2.0F, 3.999F, 4.0F,
                               10.0F, 1e4F, 9.99e6F, 1e7F, 1.01e7F, 1e12F, 1e30F, 1e-35F, 0.0F};
  std::mt19937_64 rng(12);
  std::uniform_real_distribution<double> wide(std::log(1e-30), std::log(1e30));
  for (int i = 0; i < 2000; ++i) values.push_back(static_cast<float>(std::exp(wide(rng))));
  for (const float x : values) {
    detail::Lanes<4> lanes = detail::Lanes<4>{} + x;
    const float got = detail::lanes_digamma<4>(lanes)[0];
    ASSERT_TRUE(std::isfinite(got)) << "x = " << x;
    if (x < 1e-30F) continue;
    const double expected = expfam::digamma(static_cast<double>(x));
    EXPECT_NEAR(got, expected, 5e-7 * std::max(1.0, std::abs(expected)) + 1e-6) << "x = " << x;
  }
  // exp and log on their own, over their ranges.
  for (float x = -87.0F; x < 88.0F; x += 0.37F) {
    const float got = detail::lanes_exp<4>(detail::Lanes<4>{} + x)[0];
    EXPECT_NEAR(got, std::exp(static_cast<double>(x)), 3e-7 * std::exp(static_cast<double>(x))) << "x = " << x;
  }
  for (int i = 0; i < 2000; ++i) {
    const auto x = static_cast<float>(std::exp(wide(rng)));
    const float got = detail::lanes_log<4>(detail::Lanes<4>{} + x)[0];
    EXPECT_NEAR(got, std::log(static_cast<double>(x)), 2e-7 * std::abs(std::log(static_cast<double>(x))) + 1e-7)
        << "x = " << x;
  }
}

TEST(LdaCompletionSplit, HoldsOutEveryFifthTokenInWordOrder) {
  // Tokens: w0 w0 w0 | w1 w1 w1 w1 | w2 w2 w2 w2 w2: positions 4 (w1) and 9 (w2) held out.
  std::vector<std::int32_t> observed;
  std::vector<std::int32_t> heldout;
  lda_completion_split(std::vector<std::int32_t>{3, 4, 5}, observed, heldout);
  EXPECT_EQ(heldout, (std::vector<std::int32_t>{0, 1, 1}));
  EXPECT_EQ(observed, (std::vector<std::int32_t>{3, 3, 4}));
  lda_completion_split(std::vector<std::int32_t>{1, 1, 1, 1}, observed, heldout);
  EXPECT_EQ(heldout, (std::vector<std::int32_t>{0, 0, 0, 0}));
  lda_completion_split(std::vector<std::int32_t>{12}, observed, heldout);
  EXPECT_EQ(heldout, (std::vector<std::int32_t>{2}));
}

TEST(LdaModel, StatisticsAddUpToTheTokensOfTheBatch) {
  io::Corpus corpus = testing::synthetic_corpus(3, 40, 20, 50, 3);
  const std::int64_t tokens = corpus.num_tokens();
  LdaOptions options;
  options.topics = 3;
  options.alpha = Eigen::ArrayXd::Constant(options.topics, 0.2);
  options.eta = 0.1;
  LdaModel model(std::move(corpus), std::nullopt, options);
  const GlobalParams lambda(model.prior(), model.initial_global(5, 0, 1), model.global_block_size());
  model.set_global(lambda);
  Eigen::VectorXd stats = Eigen::VectorXd::Zero(model.global_size());
  std::vector<std::int64_t> all(20);
  for (int i = 0; i < 20; ++i) all[static_cast<std::size_t>(i)] = i;
  model.add_local_stats(all, testing::all_blocks(model), stats);
  EXPECT_NEAR(stats.sum(), static_cast<double>(tokens), kFloatTol * static_cast<double>(tokens));
  EXPECT_TRUE(std::isnan(model.heldout_metric(model.heldout_partial())));
}

TEST(LdaModel, InitialLambdaHasTheMeanOfInitScale) {
  // λ's start is Gamma(100, 1/100) draws times model.init_scale: the same
  // draws (bit for bit at scale 1, as before the key), their mean the scale.
  LdaOptions options;
  options.topics = 4;
  options.alpha = Eigen::ArrayXd::Constant(options.topics, 0.25);
  options.eta = 0.25;
  const LdaModel plain(testing::synthetic_corpus(4, 3000, 10, 20, 6), std::nullopt, options);
  options.init_scale = 7.5;
  const LdaModel scaled(testing::synthetic_corpus(4, 3000, 10, 20, 6), std::nullopt, options);
  const Eigen::VectorXd one = plain.initial_global(3, 0, 1);
  const Eigen::VectorXd seven = scaled.initial_global(3, 0, 1);
  EXPECT_NEAR(one.mean(), 1.0, 0.002);  // 12,000 draws of standard deviation 0.1
  EXPECT_LT((seven - 7.5 * one).cwiseAbs().maxCoeff(), 1e-14 * 7.5);
  // Drawn in parts (a part of the topics on each rank), the same start.
  EXPECT_TRUE(testing::parts_make_the_start(scaled, 3));
  // auto: D / (20 |B|) with |B| capped at D.
  EXPECT_DOUBLE_EQ(lda_auto_init_scale(55338, 256), 55338.0 / 5120.0);
  EXPECT_DOUBLE_EQ(lda_auto_init_scale(100, 256), 0.05);
}

TEST(LdaModel, PerplexityOfUniformTopicsIsTheVocabularySize) {
  // With every λ_k uniform, β̄_kw = 1/V whatever γ is: perplexity = V exactly.
  io::Corpus heldout = testing::synthetic_corpus(2, 25, 10, 40, 4);
  io::Corpus train = testing::synthetic_corpus(2, 25, 4, 40, 5);
  LdaOptions options;
  options.topics = 2;
  options.alpha = Eigen::ArrayXd::Constant(options.topics, 0.5);
  options.eta = 0.5;
  LdaModel model(std::move(train), std::move(heldout), options);
  const GlobalParams lambda(model.prior(), Eigen::VectorXd::Constant(model.global_size(), 3.0),
                            model.global_block_size());
  model.set_global(lambda);
  EXPECT_NEAR(model.heldout_metric(model.heldout_partial()), 25.0, 1e-9);
}

TEST(LdaModel, ThreadsChangeNothing) {
  // λ's start, the statistics, held-out score, ELBO, inferred γ and the work
  // counted are the same, bit for bit, on 1, 2, 3 and 4 threads: topics and
  // documents are spread over threads, but each topic has its own random stream
  // and the documents' results are added in document order.
  struct Result {
    Eigen::VectorXd start;
    Eigen::VectorXd stats;
    ScoreSum heldout;
    double elbo = 0.0;
    std::vector<double> gammas;
    std::int64_t iterations = 0;
  };
  const auto run = [](int threads) {
    LdaOptions options;
    options.topics = 7;
    options.alpha = Eigen::ArrayXd::Constant(options.topics, 0.1);
    options.eta = 0.05;
    options.threads = threads;
    LdaModel model(testing::synthetic_corpus(7, 300, 90, 80, 31), testing::synthetic_corpus(7, 300, 30, 80, 32),
                   options);
    Result r;
    r.start = model.initial_global(3, 0, 1);
    GlobalParams lambda(model.prior(), r.start, model.global_block_size());
    r.stats = Eigen::VectorXd::Zero(model.global_size());
    std::vector<std::int64_t> batch;
    for (std::int64_t id = 0; id < 90; id += 2) batch.push_back(id);
    for (std::int64_t step = 1; step <= 3; ++step) {
      model.set_global(lambda);
      r.stats.setZero();
      model.add_local_stats(batch, testing::all_blocks(model), r.stats);
      std::vector<std::int64_t> blocks;
      model.touched_blocks(batch, blocks);
      std::sort(blocks.begin(), blocks.end());
      blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
      Eigen::VectorXd values(static_cast<Eigen::Index>(blocks.size()) * 7);
      for (std::size_t j = 0; j < blocks.size(); ++j) {
        values.segment(static_cast<Eigen::Index>(j) * 7, 7) = r.stats.segment(blocks[j] * 7, 7);
      }
      lambda.decay(0.5);
      lambda.add(blocks, values, 0.5);
    }
    model.set_global(lambda);
    r.heldout = model.heldout_partial();
    r.elbo = model.elbo_local_partial();
    LdaWorkspaces ws(static_cast<std::size_t>(threads));
    const io::Corpus docs = testing::synthetic_corpus(7, 300, 30, 80, 33);
    const Eigen::MatrixXd lambda_dense = lda_topics(lambda.dense(), 7);
    r.gammas = lda_infer_corpus(lda_exp_elog_beta(lambda_dense), docs, options, ws);
    r.iterations = model.local_iterations();
    return r;
  };
  const Result one = run(1);
  EXPECT_GT(one.stats.sum(), 0.0);
  EXPECT_GT(one.heldout.count, 0.0);
  EXPECT_EQ(one.gammas.size(), 30u * 7);
  // Thread counts that only grow up to 4: libomp 14 leaks a team it grows past 4
  // threads after a smaller one (LeakSanitizer), which a job, at one count, never does.
  for (const int threads : {2, 3, 4}) {
    const Result many = run(threads);
    EXPECT_TRUE(many.start == one.start) << threads << " threads";
    EXPECT_TRUE(many.stats == one.stats) << threads << " threads";
    EXPECT_EQ(many.heldout.log_score, one.heldout.log_score) << threads << " threads";
    EXPECT_EQ(many.heldout.count, one.heldout.count) << threads << " threads";
    EXPECT_EQ(many.elbo, one.elbo) << threads << " threads";
    EXPECT_TRUE(many.gammas == one.gammas) << threads << " threads";
    EXPECT_EQ(many.iterations, one.iterations) << threads << " threads";
  }
}

}  // namespace
}  // namespace natgrad::models
