#pragma once
/// @file The sequence of minibatches: a function of (seed, N, |B|, step) only.

#include <cstdint>
#include <vector>

namespace natgrad::solver {

/// Epoch e visits the N data in the order of a random permutation keyed by
/// (seed, e), in S = ⌈N / |B|⌉ steps; step i of the epoch takes the slice
/// [i·N/S, (i+1)·N/S) of the permutation, so no batch is larger than |B| and
/// batch sizes differ by at most one (no runt batch whose N/|B| scaling would
/// make a noisy step). The number of ranks plays no part.
class MinibatchSequence {
 public:
  /// @param batch_size |B| ≥ 1, capped at n
  MinibatchSequence(std::uint64_t seed, std::int64_t n, std::int64_t batch_size);

  std::int64_t steps_per_epoch() const { return (n_ + batch_size_ - 1) / batch_size_; }
  /// Data visited after `steps` steps, in epochs (fractional).
  double epochs_after(std::int64_t steps) const;
  /// Global ids of step `step` (1-based), in increasing order.
  std::vector<std::int64_t> batch(std::int64_t step);

 private:
  std::int64_t slice_begin(std::int64_t i) const;

  std::uint64_t seed_;
  std::int64_t n_;
  std::int64_t batch_size_;
  std::int64_t epoch_ = -1;  ///< epoch whose permutation is cached
  std::vector<std::int64_t> order_;
};

/// Sorts block ids in [0, n) and drops repeats, call after call. Each block met is marked (O(n)), then
/// the distinct blocks are sorted, or read off the marks in order where they are many of the n.
class DistinctBlocks {
 public:
  explicit DistinctBlocks(std::int64_t num_blocks);
  void sort_unique(std::vector<std::int64_t>& blocks);

 private:
  std::vector<std::uint64_t> seen_;  ///< per block: the mark_ of the last call that met it
  std::uint64_t mark_ = 0;
};

/// `ids` is increasing lists one after the other (each rank's blocks of a step, allgathered): merges
/// them into one increasing list without repeats, in O(n log lists) rather than a sort's O(n log n).
void merge_increasing_lists(std::vector<std::int64_t>& ids);

}  // namespace natgrad::solver
