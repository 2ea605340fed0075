#include "natgrad/solver/minibatch.hpp"

#include <algorithm>
#include <numeric>

#include "natgrad/expfam/random.hpp"

namespace natgrad::solver {

MinibatchSequence::MinibatchSequence(std::uint64_t seed, std::int64_t n, std::int64_t batch_size)
    : seed_(seed), n_(n), batch_size_(std::min(batch_size, n)) {}

double MinibatchSequence::epochs_after(std::int64_t steps) const {
  const std::int64_t per_epoch = steps_per_epoch();
  const std::int64_t full = steps / per_epoch;
  const std::int64_t rest = steps % per_epoch;
  return static_cast<double>(full) + static_cast<double>(slice_begin(rest)) / static_cast<double>(n_);
}

std::int64_t MinibatchSequence::slice_begin(std::int64_t i) const { return i * n_ / steps_per_epoch(); }

std::vector<std::int64_t> MinibatchSequence::batch(std::int64_t step) {
  const std::int64_t index = step - 1;
  const std::int64_t epoch = index / steps_per_epoch();
  if (epoch != epoch_) {
    order_.resize(static_cast<std::size_t>(n_));
    std::iota(order_.begin(), order_.end(), std::int64_t{0});
    expfam::CounterRng rng(seed_, expfam::Purpose::kPermutation, static_cast<std::uint64_t>(epoch));
    // Fisher–Yates with exact uniform draws: the same permutation on every rank.
    for (std::int64_t i = n_ - 1; i > 0; --i) {
      const auto j = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(i + 1)));
      std::swap(order_[static_cast<std::size_t>(i)], order_[static_cast<std::size_t>(j)]);
    }
    epoch_ = epoch;
  }
  const std::int64_t begin = slice_begin(index % steps_per_epoch());
  const std::int64_t end = slice_begin(index % steps_per_epoch() + 1);
  std::vector<std::int64_t> ids(order_.begin() + begin, order_.begin() + end);
  std::sort(ids.begin(), ids.end());
  return ids;
}

DistinctBlocks::DistinctBlocks(std::int64_t num_blocks) : seen_(static_cast<std::size_t>(num_blocks), 0) {}

void DistinctBlocks::sort_unique(std::vector<std::int64_t>& blocks) {
  // Repeats dropped first, by marking: a minibatch names each of its words many times.
  ++mark_;
  auto out = blocks.begin();
  for (const std::int64_t b : blocks) {
    auto& seen = seen_[static_cast<std::size_t>(b)];
    if (seen == mark_) continue;
    seen = mark_;
    *out++ = b;
  }
  blocks.erase(out, blocks.end());
  // Where the distinct blocks are many of all (a minibatch of 1024 Debian descriptions names 5,679 of
  // 13,184 words), reading the marks in order is cheaper than sorting them.
  if (blocks.size() * 8 < seen_.size()) {
    std::sort(blocks.begin(), blocks.end());
    return;
  }
  out = blocks.begin();
  for (std::size_t b = 0; b < seen_.size(); ++b) {
    if (seen_[b] == mark_) *out++ = static_cast<std::int64_t>(b);
  }
}

void merge_increasing_lists(std::vector<std::int64_t>& ids) {
  // Where a list ends, the next id is not larger (lists that happen to continue each other count as one).
  std::vector<std::size_t> ends = {0};
  for (std::size_t i = 1; i < ids.size(); ++i) {
    if (ids[i] <= ids[i - 1]) ends.push_back(i);
  }
  ends.push_back(ids.size());
  // Neighbouring lists merged two by two until one is left; an odd one out waits for the next round.
  while (ends.size() > 2) {
    std::vector<std::size_t> merged = {0};
    for (std::size_t r = 0; r + 2 < ends.size(); r += 2) {
      const auto at = [&](std::size_t k) { return ids.begin() + static_cast<std::ptrdiff_t>(ends[k]); };
      std::inplace_merge(at(r), at(r + 1), at(r + 2));
      merged.push_back(ends[r + 2]);
    }
    if (merged.back() != ids.size()) merged.push_back(ids.size());
    ends = std::move(merged);
  }
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

}  // namespace natgrad::solver
