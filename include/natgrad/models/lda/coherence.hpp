#pragma once
/// @file Topic coherence of LDA's topics over document co-occurrence in a
/// reference corpus (Mimno et al. 2011; Aletras & Stevenson 2013).
///
/// For topic k with top words w_1 .. w_N (in decreasing λ_kw), over a corpus
/// of D documents, D(w) documents holding w and D(w, w') holding both:
///     UMass_k = mean over 1 ≤ j < i ≤ N of log((D(w_i, w_j)/D + ε) / (D(w_j)/D))
///     NPMI_k  = mean over 1 ≤ i < j ≤ N of log((P_ij + ε) / (P_i P_j)) / −log(P_ij + ε)
/// with P_i = D(w_i)/D, P_ij = D(w_i, w_j)/D and ε = 10⁻¹²; a pair with a word
/// that no document holds counts 0 (as gensim's u_mass does). UMass is
/// gensim's CoherenceModel(coherence='u_mass') on the same corpus and words;
/// NPMI here is over documents, not gensim's sliding windows (c_npmi) over raw
/// text, which a bag of words does not keep. Only the pairs of the K·N top
/// words are counted: memory K·N², each rank its shard, summed across ranks.

#include <cstdint>
#include <string>
#include <vector>

#include "natgrad/config/options.hpp"
#include "natgrad/io/corpus.hpp"
#include "natgrad/models/global_params.hpp"

namespace natgrad::models {

/// The coherence measures.
enum class Coherence { kUmass, kNpmi };

/// ε of both measures (gensim's EPSILON).
inline constexpr double kCoherenceEpsilon = 1e-12;

/// The measures of an option's text: "none" (none), "umass", "npmi", "umass,npmi".
/// @throws natgrad::Error naming `key` and the text if it is none of those.
std::vector<Coherence> coherence_measures(const std::string& key, const std::string& text);
/// The rule of such an option.
config::Rule coherence_rule();
/// "umass", "npmi".
std::string coherence_name(Coherence measure);

/// The top n words of each topic of λ (K × V in blocks of K), K × n ids row by
/// row: row k in decreasing λ_kw, ties broken by the lower id (as a stable
/// sort of −E[β_k] orders them). n ≤ V.
std::vector<std::int32_t> lda_top_words(const GlobalParams& lambda, std::int64_t n);

/// The document counts that coherence is made of, for given top words.
class CoherenceCounts {
 public:
  /// @param top_words K × n ids (lda_top_words), each below vocab_size; n ≥ 2
  CoherenceCounts(std::vector<std::int32_t> top_words, std::int64_t topics, std::int64_t n, std::int64_t vocab_size);
  /// Entries of the sums: D, then for each topic its n counts D(w_i) and its
  /// n(n−1)/2 counts D(w_i, w_j), i < j, i major.
  std::size_t size() const;
  /// Adds the documents of `corpus` (a shard) to `sums` (size() entries).
  void add(const io::Corpus& corpus, std::vector<double>& sums) const;
  /// The coherence of topic k from the sums over the whole reference corpus.
  double topic(Coherence measure, const double* sums, std::int64_t k) const;
  /// The mean over topics.
  double mean(Coherence measure, const double* sums) const;
  std::int64_t topics() const { return topics_; }
  std::int64_t top() const { return n_; }
  const std::vector<std::int32_t>& top_words() const { return top_words_; }

 private:
  std::size_t per_topic() const;
  std::vector<std::int32_t> top_words_;
  std::int64_t topics_, n_;
  std::vector<std::int64_t> slot_start_;  ///< V + 1: word w's slots are slots_[slot_start_[w] .. slot_start_[w+1])
  std::vector<std::int64_t> slots_;       ///< k·n + i for word w_i of topic k
};

}  // namespace natgrad::models
