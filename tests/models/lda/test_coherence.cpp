// Topic coherence against hand computations on a corpus of four documents
// (UMass and NPMI, a word that no document holds, shards that add up to the
// whole), each topic's top words with their ties, the measures' option, the
// model's coherence columns, and continuing a model on a new vocabulary: known
// words keep their columns of λ, new ones the fresh model's.

#include <gtest/gtest.h>

#include <cmath>

#include "natgrad/error.hpp"
#include "natgrad/io/data_source.hpp"
#include "natgrad/models/lda/coherence.hpp"
#include "natgrad/models/lda/family.hpp"
#include "natgrad/models/lda/lda.hpp"
#include "test_data.hpp"
#include "test_files.hpp"

namespace natgrad::models {
namespace {

using Ids = std::vector<std::int32_t>;
constexpr double kEps = kCoherenceEpsilon;

// λ (K × V) as the solver's form of it, base 0.
GlobalParams params(const Eigen::MatrixXd& lambda) {
  const Eigen::Map<const Eigen::VectorXd> flat(lambda.data(), lambda.size());
  return {Eigen::VectorXd::Zero(flat.size()), flat, lambda.rows()};
}

// Documents {0, 1}, {0, 1, 2}, {0}, {3} over V = 5 words; word 4 is in none.
io::Corpus four_documents() {
  io::Corpus c;
  c.vocab_size = 5;
  c.add_document({0, 1}, {1, 2}, 0);
  c.add_document({0, 1, 2}, {3, 1, 1}, 1);
  c.add_document({0}, {1}, 2);
  c.add_document({3}, {4}, 3);
  c.total_docs = 4;
  return c;
}

// Topic 0's top words are 0, 1, 2; topic 1's are 4, 3, 0.
Eigen::MatrixXd two_topics() {
  Eigen::MatrixXd lambda(2, 5);
  lambda << 5, 4, 3, 1, 0.5,
            1, 0.5, 0.2, 3, 4;
  return lambda;
}

TEST(Coherence, TopWordsInDecreasingLambdaTiesToTheLowerId) {
  EXPECT_EQ(lda_top_words(params(two_topics()), 3), (Ids{0, 1, 2, 4, 3, 0}));
  Eigen::MatrixXd ties(1, 5);
  ties << 1, 2, 2, 1, 2;
  EXPECT_EQ(lda_top_words(params(ties), 4), (Ids{1, 2, 4, 0}));
  EXPECT_EQ(lda_top_words(params(ties), 5), (Ids{1, 2, 4, 0, 3}));
}

TEST(Coherence, MatchesAHandComputation) {
  CoherenceCounts c(lda_top_words(params(two_topics()), 3), 2, 3, 5);
  std::vector<double> sums(c.size(), 0.0);
  EXPECT_EQ(c.size(), 1u + 2 * (3 + 3));
  c.add(four_documents(), sums);
  // D = 4; D(0) = 3, D(1) = 2, D(2) = 1, D(3) = 1, D(4) = 0; D(0,1) = 2, D(0,2) = D(1,2) = 1, D(0,3) = 0.
  EXPECT_EQ(sums, (std::vector<double>{4, 3, 2, 1, 2, 1, 1, 0, 1, 3, 0, 0, 0}));
  const double umass0 = (std::log((2.0 / 4 + kEps) / (3.0 / 4)) + std::log((1.0 / 4 + kEps) / (3.0 / 4)) +
                         std::log((1.0 / 4 + kEps) / (2.0 / 4))) / 3;
  const auto npmi = [](double pij, double pi, double pj) { return std::log((pij + kEps) / (pi * pj)) / -std::log(pij + kEps); };
  const double npmi0 = (npmi(0.5, 0.75, 0.5) + npmi(0.25, 0.75, 0.25) + npmi(0.25, 0.5, 0.25)) / 3;
  // Topic 1 (4, 3, 0): pairs with word 4 count 0; UMass of 0 given 3: log(ε / (1/4)).
  const double umass1 = std::log(kEps / 0.25) / 3;
  const double npmi1 = npmi(0, 0.25, 0.75) / 3;
  EXPECT_DOUBLE_EQ(c.topic(Coherence::kUmass, sums.data(), 0), umass0);
  EXPECT_DOUBLE_EQ(c.topic(Coherence::kNpmi, sums.data(), 0), npmi0);
  EXPECT_DOUBLE_EQ(c.topic(Coherence::kUmass, sums.data(), 1), umass1);
  EXPECT_DOUBLE_EQ(c.topic(Coherence::kNpmi, sums.data(), 1), npmi1);
  EXPECT_DOUBLE_EQ(c.mean(Coherence::kUmass, sums.data()), (umass0 + umass1) / 2);
  EXPECT_NEAR(npmi1, -1.0 / 3, 0.05);  // words never together: NPMI near −1
}

TEST(Coherence, ShardsAddUpToTheWholeCorpus) {
  const io::Corpus all = testing::synthetic_corpus(5, 60, 50, 20, 3);
  const Eigen::MatrixXd lambda = Eigen::MatrixXd::Random(5, 60).array() + 2;
  CoherenceCounts c(lda_top_words(params(lambda), 6), 5, 6, 60);
  std::vector<double> whole(c.size(), 0.0), parts(c.size(), 0.0);
  c.add(all, whole);
  io::Corpus first, second;
  for (io::Corpus* part : {&first, &second}) part->vocab_size = 60;
  for (std::int64_t d = 0; d < all.num_docs(); ++d) {
    const auto w = all.doc_words(d);
    const auto n = all.doc_counts(d);
    (d < 17 ? first : second).add_document({w.begin(), w.end()}, {n.begin(), n.end()}, d);
  }
  c.add(first, parts);
  c.add(second, parts);
  EXPECT_EQ(parts, whole);
}

TEST(Coherence, MeasuresOfAnOption) {
  EXPECT_TRUE(coherence_measures("k", "none").empty());
  EXPECT_EQ(coherence_measures("k", "npmi,umass"), (std::vector<Coherence>{Coherence::kNpmi, Coherence::kUmass}));
  for (const std::string bad : {"", "umass,", "cv", "umass,umass", "UMass"}) {
    EXPECT_TRUE(testing::contains(testing::error_of([&] { coherence_measures("eval.coherence", bad); }),
                                  "eval.coherence = " + (bad.empty() ? "''" : bad) +
                                      ": expected none, umass, npmi or umass,npmi"))
        << bad;
    EXPECT_FALSE(coherence_rule().check(config::Value(bad)).empty());
  }
  EXPECT_TRUE(coherence_rule().check(config::Value(std::string("umass"))).empty());
}

TEST(Coherence, TheModelMeasuresItsTrainingDocumentsAtEachEvaluation) {
  LdaOptions options{2, Eigen::ArrayXd::Constant(2, 0.5), 0.1, 50, 1e-3};
  options.coherence = {Coherence::kUmass, Coherence::kNpmi};
  options.coherence_top = 3;
  LdaModel model(four_documents(), std::nullopt, options);
  EXPECT_EQ(model.extra_names(), (std::vector<std::string>{"umass", "npmi"}));
  const GlobalParams lambda = params(two_topics());
  model.set_global(lambda);
  const std::vector<double> sums = model.extra_partial();
  CoherenceCounts c(lda_top_words(lambda, 3), 2, 3, 5);
  EXPECT_EQ(model.extra_values(sums),
            (std::vector<double>{c.mean(Coherence::kUmass, sums.data()), c.mean(Coherence::kNpmi, sums.data())}));
  options.coherence_top = 6;
  EXPECT_TRUE(testing::contains(testing::error_of([&] { LdaModel(four_documents(), std::nullopt, options); }),
                                "eval.coherence_top = 6: expected 2 to the V = 5 words"));
  options.coherence.clear();
  EXPECT_TRUE(LdaModel(four_documents(), std::nullopt, options).extra_partial().empty());
}

// A model file of `lambda` (K × V) over `vocab`, as the fit writes one.
io::ModelFile model_file(const Eigen::MatrixXd& lambda, const std::vector<std::string>& vocab) {
  LdaOptions options{lambda.rows(), Eigen::ArrayXd::Constant(lambda.rows(), 0.5), 0.1};
  io::Corpus corpus;
  corpus.vocab_size = static_cast<std::int32_t>(lambda.cols());
  corpus.add_document({0}, {1}, 0);
  corpus.total_docs = 1;
  const LdaModel model(corpus, std::nullopt, options);
  const Eigen::Map<const Eigen::VectorXd> flat(lambda.data(), lambda.size());
  io::ModelFile file;
  file.type = "lda";
  file.model = model.file_contents(flat);
  file.set_lambda(model.layout(), flat);
  file.vocab = vocab;
  lda_family().check_file(file);
  return file;
}

TEST(ContinueModel, KnownWordsKeepTheirColumnsAndNewOnesTheFreshModels) {
  Eigen::MatrixXd old(2, 3);
  old << 1, 2, 3,
         4, 5, 6;
  const io::ModelFile file = model_file(old, {"apple", "banana", "cherry"});
  // New data: cherry, date, apple; banana kept after them.
  const io::ColumnMatch match = io::match_columns(file.vocab, 3, {"cherry", "date", "apple"}, 3, false);
  EXPECT_EQ(match.old_of_new, (std::vector<std::int64_t>{2, -1, 0, 1}));
  EXPECT_EQ(match.added, (std::vector<std::string>{"banana"}));
  Eigen::MatrixXd fresh = Eigen::MatrixXd::Constant(2, 4, 0.25);
  fresh(1, 1) = 0.5;
  const Eigen::VectorXd flat = Eigen::Map<const Eigen::VectorXd>(fresh.data(), fresh.size());
  const Eigen::VectorXd out = lda_family().continue_lambda(file, match.old_of_new, flat);
  Eigen::MatrixXd expected(2, 4);
  expected << 3, 0.25, 1, 2,
              6, 0.5, 4, 5;
  EXPECT_EQ(Eigen::Map<const Eigen::MatrixXd>(out.data(), 2, 4), expected);
  // With --drop-unseen, banana goes.
  EXPECT_EQ(io::match_columns(file.vocab, 3, {"cherry", "date", "apple"}, 3, true).old_of_new,
            (std::vector<std::int64_t>{2, -1, 0}));
  // Another K is refused, naming both.
  const Eigen::VectorXd three_topics = Eigen::VectorXd::Ones(3 * 4);
  EXPECT_TRUE(testing::contains(
      testing::error_of([&] { lda_family().continue_lambda(file, match.old_of_new, three_topics); }),
      "--init-model has K = 2 topics; the job has model.topics = 3"));
}

TEST(ContinueModel, ColumnsWithoutNamesMatchByPosition) {
  EXPECT_EQ(io::match_columns({}, 3, {"a", "b", "c"}, 3, false).old_of_new, (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_TRUE(testing::contains(testing::error_of([] { io::match_columns({"a", "b"}, 2, {}, 3, false); }),
                                "the model has 2 columns and the data 3, without names to match them by"));
}

}  // namespace
}  // namespace natgrad::models
