#pragma once
/// @file The global parameters λ in the form the solver keeps them, so that an
/// SVI step costs time in the part of λ its minibatch touches, not in all of λ.
///
/// λ (n entries) is kept as
///     λ = base + scale · offset
/// with base = η in the solver. The step λ ← (1 − ρ)λ + ρη + ρ·(N/|B|)·s then
/// decays every entry by changing the one number `scale` (decay), and adds to
/// the entries where s is non-zero only (add). λ is cut into blocks of
/// block_size() consecutive entries (a topic model: the K topics of one word), the unit
/// in which statistics are added; Σ over blocks of λ_b is kept as it changes,
/// so that a model needing it (a topic model: Σ_w λ_kw) reads it in O(block_size()).
/// A base that is the same in every block (a topic model's η) is kept as one block.
/// λ may end in a tail of entries after the blocks (a model's shared parameters,
/// which every step updates in full: add_tail), and a step may add to one
/// position of every block (add_at: a prior that depends on other global parameters).

#include <Eigen/Core>
#include <cstdint>
#include <span>

namespace natgrad::models {

/// Whether every entry is finite: x·0 is 0 for a finite x and NaN for an
/// infinity or NaN, and the sum vectorises (Eigen's allFinite does not).
inline bool all_finite(const Eigen::Ref<const Eigen::VectorXd>& x) { return (x.array() * 0.0).sum() == 0.0; }

/// Asks the CPU to bring `count` values from p into cache ahead of use: for
/// loops over blocks at scattered places (the touched columns of λ), where
/// the hardware prefetcher cannot guess the next address.
template <class T>
void prefetch(const T* p, Eigen::Index count) {
  constexpr Eigen::Index kLine = 64 / sizeof(T);
  for (Eigen::Index i = 0; i < count; i += kLine) __builtin_prefetch(p + i);
}

class GlobalParams {
 public:
  /// Below this, decay() renormalises (offset ← scale · offset, scale ← 1)
  /// rather than let the scale underflow; it then costs O(n), once in about
  /// 230 / (−log(1 − ρ)) steps.
  static constexpr double kMinScale = 1e-100;

  /// λ given in full: offset = λ − base (computed in λ's place), scale = 1.
  /// @param lambda n entries: blocks of block_size ≥ 1, then tail_size ≥ 0 entries
  ///               (n − tail_size a multiple of block_size)
  /// @param base   n entries, or, when it is the same in every block, that block and the tail
  ///               (block_size + tail_size entries: compact_base()'s form; a model's prior())
  GlobalParams(const Eigen::VectorXd& base, Eigen::VectorXd lambda, Eigen::Index block_size,
               Eigen::Index tail_size = 0);
  /// λ from its parts, as block_sum() and the others gave them (a checkpoint).
  /// @param base      as above
  /// @param offset    n entries, n − tail_size a multiple of block_sum.size() ≥ 1
  /// @param scale     > 0
  /// @param block_sum Σ over blocks b of offset_b, as it was kept
  GlobalParams(const Eigen::VectorXd& base, Eigen::VectorXd offset, double scale, Eigen::VectorXd block_sum,
               Eigen::Index tail_size = 0);

  Eigen::Index size() const { return offset_.size(); }
  Eigen::Index block_size() const { return block_sum_.size(); }
  Eigen::Index tail_size() const { return base_tail_.size(); }
  Eigen::Index num_blocks() const { return (size() - tail_size()) / block_size(); }
  const Eigen::VectorXd& offset() const { return offset_; }
  double scale() const { return scale_; }
  /// Σ over blocks b of offset_b (block_size() entries), kept as offset changes.
  const Eigen::VectorXd& block_sum() const { return block_sum_; }

  /// Prefetches what block(b) reads.
  void prefetch_block(Eigen::Index b) const { prefetch(offset_.data() + b * block_size(), block_size()); }
  /// λ_b, the block_size() entries of block b.
  auto block(Eigen::Index b) const {
    return base_.segment(b * base_stride_, block_size()) + scale_ * offset_.segment(b * block_size(), block_size());
  }
  /// Σ over blocks b of λ_b (block_size() entries): Σ_b base_b + scale · block_sum().
  Eigen::VectorXd block_total() const { return base_block_sum_ + scale_ * block_sum_; }
  /// The tail of λ, its tail_size() entries after the blocks.
  auto tail() const { return base_tail_ + scale_ * offset_.tail(tail_size()); }
  /// All of λ (n entries); O(n).
  Eigen::VectorXd dense() const;
  /// All of λ, made in the offset's memory (the same values as dense(), without a copy of λ's size):
  /// for the end of a run, which needs λ kept as it is no longer.
  Eigen::VectorXd take_dense() &&;

  /// λ ← base + factor · (λ − base), factor ≥ 0 (0 sets λ to base).
  void decay(double factor);
  /// λ_b ← λ_b + weight · values_j for the j-th block b of `blocks` (each
  /// block once), values holding blocks.size() blocks one after the other.
  /// @return whether the blocks' offsets are all finite afterwards (then so
  ///         are their λ_b = base_b + scale · offset_b, base finite, scale ≤ 1)
  bool add(std::span<const std::int64_t> blocks, const Eigen::Ref<const Eigen::VectorXd>& values, double weight);
  /// tail ← tail + weight · values (tail_size() entries). @return whether the tail's offsets are all finite
  bool add_tail(const Eigen::Ref<const Eigen::VectorXd>& values, double weight);
  /// λ_bp ← λ_bp + weight · values_b for every block b at position p of the block (0 ≤ p < block_size()).
  /// @param values num_blocks() entries @return whether the offsets changed are all finite
  bool add_at(Eigen::Index position, const Eigen::Ref<const Eigen::VectorXd>& values, double weight);
  /// base ← base + weight · (target − base), and so λ by the same (a prior that changes: the step
  /// λ ← (1 − ρ)λ + ρη_t + ... moves the base towards η_t). O(block_size()) when the base is the
  /// same in every block (then `target` must be too), else O(n).
  /// @param target the model's prior, in either form of the constructor's base
  void move_base(const Eigen::VectorXd& target, double weight);

  /// Σ over blocks b of base_b as kept (block_size() entries): a checkpoint of a run whose base
  /// moved stores it, and set_base_block_sum restores it, so that the run continues bit for bit.
  const Eigen::VectorXd& base_block_sum() const { return base_block_sum_; }
  void set_base_block_sum(Eigen::VectorXd sums);
  /// A vector in the form the base is kept (compact_base): its first block and its tail when the base
  /// is the same in every block (the vector must be too), else all n entries; `v` in either form.
  Eigen::VectorXd compact(const Eigen::VectorXd& v) const;
  /// The base in the form kept: block_size() + tail_size() entries (one block, then the tail) when
  /// it is the same in every block, else all n (a checkpoint stores it so).
  Eigen::VectorXd compact_base() const;

 private:
  /// v ← v + base, v of n entries.
  void add_base(Eigen::VectorXd& v) const;
  /// Keeps `base` (either form) as base_, base_tail_ and base_block_sum_; offset_ and block_sum_ set.
  void take_base(const Eigen::VectorXd& base, Eigen::Index tail_size);
  Eigen::VectorXd base_;            ///< the blocks' entries, or one block when every block's base is the same
  Eigen::Index base_stride_ = 0;    ///< where block b's base starts: b · base_stride_ (block_size() or 0)
  Eigen::VectorXd base_tail_;       ///< the tail's base (tail_size() entries)
  Eigen::VectorXd offset_;
  double scale_ = 1.0;
  Eigen::VectorXd block_sum_;       ///< Σ_b offset_b
  Eigen::VectorXd base_block_sum_;  ///< Σ_b base_b
};

}  // namespace natgrad::models
