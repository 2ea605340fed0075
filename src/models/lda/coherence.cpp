#include "natgrad/models/lda/coherence.hpp"

#include <algorithm>
#include <cmath>
#include <queue>

#include "natgrad/error.hpp"

namespace natgrad::models {

namespace {

constexpr const char* kMeasuresText = "none, umass, npmi or umass,npmi";

// Entry of pair (i, j), i < j, among a topic's n(n−1)/2 pairs.
std::size_t pair_index(std::int64_t i, std::int64_t j, std::int64_t n) {
  return static_cast<std::size_t>(i * n - i * (i + 1) / 2 + (j - i - 1));
}

}  // namespace

std::vector<Coherence> coherence_measures(const std::string& key, const std::string& text) {
  if (text == "none") return {};
  std::vector<Coherence> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const std::string name = text.substr(at, comma - at);
    const Coherence m = name == "umass"  ? Coherence::kUmass
                        : name == "npmi" ? Coherence::kNpmi
                                         : (config::bad(key, text, kMeasuresText), Coherence::kUmass);
    if (std::find(out.begin(), out.end(), m) != out.end()) config::bad(key, text, kMeasuresText);
    out.push_back(m);
    at = comma + 1;
  }
  return out;
}

config::Rule coherence_rule() {
  config::Rule rule;
  rule.text = kMeasuresText;
  rule.check = [](const config::Value& v) {
    try {
      coherence_measures("", std::get<std::string>(v));
    } catch (const Error&) {
      return std::string(kMeasuresText);
    }
    return std::string();
  };
  return rule;
}

std::string coherence_name(Coherence measure) { return measure == Coherence::kUmass ? "umass" : "npmi"; }

std::vector<std::int32_t> lda_top_words(const GlobalParams& lambda, std::int64_t n) {
  const Eigen::Index k = lambda.block_size();
  const Eigen::Index v = lambda.num_blocks();
  if (n < 1 || n > v) throw Error("top " + std::to_string(n) + " words of topics over " + std::to_string(v) + " words");
  // A heap per topic of its n best (λ_kw, w) so far, the worst on top. Words
  // come in increasing id, so a later word enters only with a larger λ.
  using Entry = std::pair<double, std::int32_t>;
  const auto worse = [](const Entry& a, const Entry& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  std::vector<std::priority_queue<Entry, std::vector<Entry>, decltype(worse)>> best(
      static_cast<std::size_t>(k), std::priority_queue<Entry, std::vector<Entry>, decltype(worse)>(worse));
  for (Eigen::Index w = 0; w < v; ++w) {
    const Eigen::VectorXd column = lambda.block(w);
    for (Eigen::Index t = 0; t < k; ++t) {
      auto& heap = best[static_cast<std::size_t>(t)];
      if (static_cast<std::int64_t>(heap.size()) < n) {
        heap.emplace(column[t], static_cast<std::int32_t>(w));
      } else if (column[t] > heap.top().first) {
        heap.pop();
        heap.emplace(column[t], static_cast<std::int32_t>(w));
      }
    }
  }
  std::vector<std::int32_t> out(static_cast<std::size_t>(k * n));
  for (Eigen::Index t = 0; t < k; ++t) {
    auto& heap = best[static_cast<std::size_t>(t)];
    for (std::int64_t i = n - 1; i >= 0; --i) {  // the worst comes off first
      out[static_cast<std::size_t>(t * n + i)] = heap.top().second;
      heap.pop();
    }
  }
  return out;
}

CoherenceCounts::CoherenceCounts(std::vector<std::int32_t> top_words, std::int64_t topics, std::int64_t n,
                                 std::int64_t vocab_size)
    : top_words_(std::move(top_words)), topics_(topics), n_(n), slot_start_(static_cast<std::size_t>(vocab_size) + 1, 0) {
  if (n < 2) throw Error("coherence needs at least 2 top words a topic, not " + std::to_string(n));
  for (const std::int32_t w : top_words_) ++slot_start_[static_cast<std::size_t>(w) + 1];
  for (std::size_t w = 1; w < slot_start_.size(); ++w) slot_start_[w] += slot_start_[w - 1];
  slots_.resize(top_words_.size());
  std::vector<std::int64_t> fill(slot_start_.begin(), slot_start_.end() - 1);
  for (std::size_t s = 0; s < top_words_.size(); ++s) {
    slots_[static_cast<std::size_t>(fill[static_cast<std::size_t>(top_words_[s])]++)] = static_cast<std::int64_t>(s);
  }
}

std::size_t CoherenceCounts::per_topic() const { return static_cast<std::size_t>(n_ + n_ * (n_ - 1) / 2); }

std::size_t CoherenceCounts::size() const { return 1 + static_cast<std::size_t>(topics_) * per_topic(); }

void CoherenceCounts::add(const io::Corpus& corpus, std::vector<double>& sums) const {
  sums[0] += static_cast<double>(corpus.num_docs());
  std::vector<std::int64_t> present;  // the slots k·n + i of the document's top words, by topic
  for (std::int64_t d = 0; d < corpus.num_docs(); ++d) {
    present.clear();
    for (const std::int32_t w : corpus.doc_words(d)) {
      const auto at = static_cast<std::size_t>(w);
      present.insert(present.end(), slots_.begin() + slot_start_[at], slots_.begin() + slot_start_[at + 1]);
    }
    std::sort(present.begin(), present.end());
    for (std::size_t a = 0; a < present.size();) {
      const std::int64_t k = present[a] / n_;
      std::size_t b = a;
      while (b < present.size() && present[b] / n_ == k) ++b;
      double* topic = sums.data() + 1 + static_cast<std::size_t>(k) * per_topic();
      for (std::size_t x = a; x < b; ++x) {
        const std::int64_t i = present[x] % n_;
        topic[i] += 1;
        for (std::size_t y = x + 1; y < b; ++y) topic[n_ + static_cast<std::int64_t>(pair_index(i, present[y] % n_, n_))] += 1;
      }
      a = b;
    }
  }
}

double CoherenceCounts::topic(Coherence measure, const double* sums, std::int64_t k) const {
  const double docs = sums[0];
  const double* single = sums + 1 + static_cast<std::size_t>(k) * per_topic();
  const double* pair = single + n_;
  double total = 0.0;
  for (std::int64_t i = 0; i < n_; ++i) {
    for (std::int64_t j = i + 1; j < n_; ++j) {
      const double joint = pair[pair_index(i, j, n_)] / docs;
      // In gensim's arithmetic. UMass conditions the later word (w_j here) on the earlier one, w_i.
      if (measure == Coherence::kUmass) {
        if (single[i] > 0) total += std::log((joint + kCoherenceEpsilon) / (single[i] / docs));
      } else if (single[i] > 0 && single[j] > 0) {
        const double pmi = std::log((joint + kCoherenceEpsilon) / ((single[i] / docs) * (single[j] / docs)));
        total += pmi / -std::log(joint + kCoherenceEpsilon);
      }
    }
  }
  return total / static_cast<double>(n_ * (n_ - 1) / 2);
}

double CoherenceCounts::mean(Coherence measure, const double* sums) const {
  double total = 0.0;
  for (std::int64_t k = 0; k < topics_; ++k) total += topic(measure, sums, k);
  return total / static_cast<double>(topics_);
}

}  // namespace natgrad::models
