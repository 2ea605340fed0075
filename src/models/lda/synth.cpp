#include "natgrad/models/lda/synth.hpp"

#include <algorithm>
#include <vector>

#include "natgrad/expfam/random.hpp"

namespace natgrad::models {

namespace {

// A Dirichlet draw of length n (concentrations: one, the same for each entry, or n), from normalised Gamma draws.
std::vector<double> dirichlet_draw(expfam::CounterRng& rng, std::int64_t n, const std::vector<double>& concentration) {
  std::vector<double> x(static_cast<std::size_t>(n));
  double total = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) total += (x[i] = rng.gamma(concentration[concentration.size() == 1 ? 0 : i]));
  // A tiny concentration can underflow every draw to 0: fall back to one-hot.
  if (total <= 0.0) {
    x[static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(n)))] = total = 1.0;
  }
  for (auto& v : x) v /= total;
  return x;
}

}  // namespace

io::Corpus lda_synthesize(const LdaSynthOptions& o, Eigen::MatrixXd& topics) {
  topics.resize(o.topics, o.vocab_size);
  std::vector<expfam::AliasTable> words;
  for (std::int64_t k = 0; k < o.topics; ++k) {
    expfam::CounterRng rng(o.seed, expfam::Purpose::kSynthGlobal, static_cast<std::uint64_t>(k));
    const std::vector<double> beta = dirichlet_draw(rng, o.vocab_size, {o.eta});
    for (std::int64_t w = 0; w < o.vocab_size; ++w) topics(k, w) = beta[static_cast<std::size_t>(w)];
    words.emplace_back(beta);
  }
  io::Corpus corpus;
  corpus.vocab_size = static_cast<std::int32_t>(o.vocab_size);
  // (Appending, not "w" + std::to_string(w): GCC 12 warns falsely on that, PR 105329.)
  for (std::int64_t w = 0; w < o.vocab_size; ++w) corpus.vocab.emplace_back("w").append(std::to_string(w));
  std::vector<std::int32_t> tokens;
  std::vector<std::int32_t> ids;
  std::vector<std::int32_t> counts;
  for (std::int64_t d = 0; d < o.docs; ++d) {
    expfam::CounterRng rng(o.seed, expfam::Purpose::kSynthDatum, static_cast<std::uint64_t>(d));
    const expfam::AliasTable topic_of(dirichlet_draw(rng, o.topics, o.alpha));
    tokens.resize(static_cast<std::size_t>(rng.poisson(o.doc_length)));
    for (auto& t : tokens) t = words[static_cast<std::size_t>(topic_of.sample(rng))].sample(rng);
    std::sort(tokens.begin(), tokens.end());
    ids.clear();
    counts.clear();
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (i == 0 || tokens[i] != tokens[i - 1]) {
        ids.push_back(tokens[i]);
        counts.push_back(0);
      }
      ++counts.back();
    }
    corpus.add_document(ids, counts, d);
  }
  corpus.total_docs = corpus.num_docs();
  return corpus;
}

}  // namespace natgrad::models
