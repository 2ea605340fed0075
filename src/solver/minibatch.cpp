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

}  // namespace natgrad::solver
