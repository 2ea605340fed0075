#pragma once
// Locations of the corpora the tests read, and small helpers to make corpora.

#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/io/corpus.hpp"
#include "natgrad/models/model.hpp"

namespace natgrad::testing {

/// True in the sanitizer build (AddressSanitizer), where everything runs many
/// times slower: tests that repeat work (Monte Carlo draws, iterations) do
/// less of it there; the release build runs them in full.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

/// Path of a file of ../shared/data (e.g. "cora/docword.cora.txt.gz"), or ""
/// when the shared folder is absent (a user's fresh clone): tests then skip.
std::string shared_data(const std::string& relative);

/// Path of a file of the corpus shipped in the repository (jobs/data/...).
std::string repo_data(const std::string& relative);

/// Path of a file of the repository ("README.md").
std::string repo_file(const std::string& relative);

/// A fresh, empty temporary folder for one test.
std::string temp_dir(const std::string& name);

/// A small corpus drawn from LDA's generative model (K topics, V words, D
/// documents of about `length` tokens), deterministic in `seed`.
io::Corpus synthetic_corpus(int topics, int vocab_size, int docs, int length, unsigned seed);

/// The maximum-likelihood α of a Dirichlet from n samples x_s with Σ_s log x_s = sum_log, by
/// Minka's fixed point (Minka 2000, eq. 9), α_k ← ψ⁻¹(ψ(Σ_j α_j) + sum_log_k / n) from α = 1, ψ⁻¹ by
/// Newton: a solver independent of expfam::DirichletPrior's Newton steps, to check them against.
Eigen::VectorXd dirichlet_mle(const Eigen::VectorXd& sum_log, double n);

/// Every block of the model's λ, in order: add_local_stats with these fills
/// `stats` in λ's own layout (global_size() entries, the tail last).
inline std::vector<std::int64_t> all_blocks(const models::Model& model) {
  std::vector<std::int64_t> blocks(
      static_cast<std::size_t>((model.global_size() - model.global_tail_size()) / model.global_block_size()));
  for (std::size_t b = 0; b < blocks.size(); ++b) blocks[b] = static_cast<std::int64_t>(b);
  return blocks;
}

/// Whether λ's start put together from its parts (Model::initial_global at 2 to 7 parts: each part's
/// rows of every block, part 0's tail; as Communicator::share_rows puts it together) is the start
/// computed whole, bit for bit: what a fit starts from at every rank count.
inline bool parts_make_the_start(const models::Model& model, std::uint64_t seed) {
  const Eigen::VectorXd whole = model.initial_global(seed, 0, 1);
  const Eigen::Index n = model.global_block_size();
  const Eigen::Index tail = model.global_tail_size();
  const Eigen::Index blocks = (whole.size() - tail) / n;
  for (int parts = 2; parts <= 7; ++parts) {
    Eigen::VectorXd joined = Eigen::VectorXd::Constant(whole.size(), std::numeric_limits<double>::quiet_NaN());
    for (int part = 0; part < parts; ++part) {
      const Eigen::VectorXd mine = model.initial_global(seed, part, parts);
      const auto [first, last] = comm::shard_of(n, part, parts);
      for (Eigen::Index b = 0; b < blocks; ++b) {
        joined.segment(b * n + first, last - first) = mine.segment(b * n + first, last - first);
      }
      if (part == 0) joined.tail(tail) = mine.tail(tail);
    }
    for (Eigen::Index i = 0; i < whole.size(); ++i) {
      if (std::bit_cast<std::uint64_t>(joined[i]) != std::bit_cast<std::uint64_t>(whole[i])) return false;
    }
  }
  return true;
}

}  // namespace natgrad::testing
