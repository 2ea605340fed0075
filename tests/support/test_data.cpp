#include "test_data.hpp"

#include <cmath>
#include <filesystem>
#include <random>

#include "natgrad/expfam/special.hpp"

namespace natgrad::testing {

std::string shared_data(const std::string& relative) {
  const std::filesystem::path path = std::filesystem::path(NATGRAD_SHARED_DATA) / relative;
  return std::filesystem::exists(path) ? path.string() : std::string();
}

std::string repo_data(const std::string& relative) { return repo_file("jobs/data/" + relative); }

std::string repo_file(const std::string& relative) { return (std::filesystem::path(NATGRAD_REPO) / relative).string(); }

std::string temp_dir(const std::string& name) {
  const auto path = std::filesystem::temp_directory_path() / ("natgrad_test_" + name);
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path.string();
}

io::Corpus synthetic_corpus(int topics, int vocab_size, int docs, int length, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::gamma_distribution<double> topic_word(0.1, 1.0);
  std::gamma_distribution<double> doc_topic(0.3, 1.0);
  std::vector<std::discrete_distribution<int>> word_of_topic;
  for (int k = 0; k < topics; ++k) {
    std::vector<double> beta(static_cast<std::size_t>(vocab_size));
    for (auto& b : beta) b = topic_word(rng) + 1e-12;
    word_of_topic.emplace_back(beta.begin(), beta.end());
  }
  io::Corpus corpus;
  corpus.vocab_size = vocab_size;
  for (int w = 0; w < vocab_size; ++w) corpus.vocab.emplace_back("w").append(std::to_string(w));
  for (int d = 0; d < docs; ++d) {
    std::vector<double> theta(static_cast<std::size_t>(topics));
    for (auto& t : theta) t = doc_topic(rng) + 1e-12;
    std::discrete_distribution<int> topic_of_token(theta.begin(), theta.end());
    std::vector<std::int32_t> counts(static_cast<std::size_t>(vocab_size), 0);
    for (int n = 0; n < length; ++n) ++counts[static_cast<std::size_t>(word_of_topic[static_cast<std::size_t>(topic_of_token(rng))](rng))];
    std::vector<std::int32_t> ids;
    std::vector<std::int32_t> cnts;
    for (int w = 0; w < vocab_size; ++w) {
      if (counts[static_cast<std::size_t>(w)] > 0) {
        ids.push_back(w);
        cnts.push_back(counts[static_cast<std::size_t>(w)]);
      }
    }
    corpus.add_document(ids, cnts, d);
  }
  corpus.total_docs = corpus.num_docs();
  return corpus;
}

Eigen::VectorXd dirichlet_mle(const Eigen::VectorXd& sum_log, double n) {
  const auto inverse_digamma = [](double y) {
    double x = y >= -2.22 ? std::exp(y) + 0.5 : -1.0 / (y + 0.5772156649015329);  // Minka's start
    for (int i = 0; i < 8; ++i) x -= (expfam::digamma(x) - y) / expfam::trigamma(x);
    return x;
  };
  Eigen::VectorXd alpha = Eigen::VectorXd::Ones(sum_log.size());
  for (int iteration = 0; iteration < 100000; ++iteration) {
    const Eigen::VectorXd before = alpha;
    const double psi_total = expfam::digamma(alpha.sum());
    for (Eigen::Index k = 0; k < alpha.size(); ++k) alpha[k] = inverse_digamma(psi_total + sum_log[k] / n);
    if (((alpha - before).array().abs() <= 1e-14 * alpha.array()).all()) break;
  }
  return alpha;
}

}  // namespace natgrad::testing
