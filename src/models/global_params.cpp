#include "natgrad/models/global_params.hpp"

#include <string>

#include "natgrad/error.hpp"
#include "natgrad/memory.hpp"

namespace natgrad::models {

GlobalParams::GlobalParams(const Eigen::VectorXd& base, Eigen::VectorXd lambda, Eigen::Index block_size,
                           Eigen::Index tail_size)
    : offset_(std::move(lambda)), block_sum_(Eigen::VectorXd::Zero(block_size)) {
  take_base(base, tail_size);
  // offset = λ − base in place, and its sums over blocks.
  const Eigen::Index blocks = num_blocks();
  for (Eigen::Index b = 0; b < blocks; ++b) {
    auto block = offset_.segment(b * block_size, block_size);
    block -= base_.segment(b * base_stride_, block_size);
    block_sum_ += block;
  }
  offset_.tail(tail_size) -= base_tail_;
}

GlobalParams::GlobalParams(const Eigen::VectorXd& base, Eigen::VectorXd offset, double scale, Eigen::VectorXd block_sum,
                           Eigen::Index tail_size)
    : offset_(std::move(offset)), scale_(scale), block_sum_(std::move(block_sum)) {
  take_base(base, tail_size);
}

void GlobalParams::take_base(const Eigen::VectorXd& base, Eigen::Index tail_size) {
  const Eigen::Index n = block_size();
  const Eigen::Index body = offset_.size() - tail_size;
  const bool compact = base.size() == n + tail_size && base.size() != offset_.size();
  if (n < 1 || tail_size < 0 || body < 0 || body % n != 0 || (base.size() != offset_.size() && !compact)) {
    throw Error("global parameters of " + std::to_string(offset_.size()) + " entries cannot be blocks of " +
                std::to_string(n) + " and a tail of " + std::to_string(tail_size) + " with a base of " +
                std::to_string(base.size()));
  }
  base_tail_ = base.tail(tail_size);
  if (compact) {  // one block, the same in every block
    base_ = base.head(n);
    base_block_sum_ = static_cast<double>(body / n) * base_;
    return;
  }
  const auto blocks = Eigen::Map<const Eigen::MatrixXd>(base.data(), n, body / n);
  base_block_sum_ = blocks.rowwise().sum();
  if (blocks.cols() > 0 && (blocks.colwise() - blocks.col(0)).cwiseAbs().maxCoeff() == 0.0) {
    base_ = blocks.col(0);  // the same in every block: n entries, not n · blocks
  } else {
    base_ = base.head(body);
    base_stride_ = n;
  }
}

void GlobalParams::set_base_block_sum(Eigen::VectorXd sums) {
  if (sums.size() != block_size()) {
    throw Error("Σ over blocks of λ's base has " + std::to_string(sums.size()) + " entries; expected " +
                std::to_string(block_size()));
  }
  base_block_sum_ = std::move(sums);
}

Eigen::VectorXd GlobalParams::dense() const {
  auto out = huge_array<Eigen::VectorXd>(size());
  out = scale_ * offset_;
  add_base(out);
  return out;
}

Eigen::VectorXd GlobalParams::take_dense() && {
  offset_ *= scale_;
  add_base(offset_);
  return std::move(offset_);
}

void GlobalParams::add_base(Eigen::VectorXd& v) const {
  for (Eigen::Index b = 0; b < num_blocks(); ++b) {
    v.segment(b * block_size(), block_size()) += base_.segment(b * base_stride_, block_size());
  }
  v.tail(tail_size()) += base_tail_;
}

void GlobalParams::decay(double factor) {
  const double scale = scale_ * factor;
  if (scale >= kMinScale) {
    scale_ = scale;
    return;
  }
  // The increments of add() grow as 1/scale: fold the scale into offset before
  // it underflows (or is 0, for ρ = 1).
  offset_ *= scale;
  block_sum_ *= scale;
  scale_ = 1.0;
}

void GlobalParams::move_base(const Eigen::VectorXd& target, double weight) {
  const Eigen::Index n = block_size();
  const Eigen::Index blocks = num_blocks();
  // target.head(n) is the one block of a compact target or the first of a full one; a base kept as one
  // block has a target the same in every block.
  base_ += weight * (target.head(base_.size()) - base_);
  base_tail_ += weight * (target.tail(tail_size()) - base_tail_);
  base_block_sum_ = base_stride_ == 0
                        ? Eigen::VectorXd(static_cast<double>(blocks) * base_)
                        : Eigen::VectorXd(Eigen::Map<const Eigen::MatrixXd>(base_.data(), n, blocks).rowwise().sum());
}

Eigen::VectorXd GlobalParams::compact(const Eigen::VectorXd& v) const {
  if (base_stride_ != 0 || v.size() == block_size() + tail_size()) return v;
  Eigen::VectorXd out(block_size() + tail_size());
  out << v.head(block_size()), v.tail(tail_size());
  return out;
}

Eigen::VectorXd GlobalParams::compact_base() const {
  Eigen::VectorXd out(base_.size() + base_tail_.size());
  out << base_, base_tail_;
  return out;
}

bool GlobalParams::add(std::span<const std::int64_t> blocks, const Eigen::Ref<const Eigen::VectorXd>& values,
                       double weight) {
  const Eigen::Index n = block_size();
  const double factor = weight / scale_;
  bool finite = true;
  // Σ_j values_j, then block_sum_ once; each block's offset checked while in cache.
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(n);
  for (std::size_t j = 0; j < blocks.size(); ++j) {
    if (j + 1 < blocks.size()) prefetch_block(blocks[j + 1]);
    const auto v = values.segment(static_cast<Eigen::Index>(j) * n, n);
    auto offset = offset_.segment(blocks[j] * n, n);
    offset += factor * v;
    sum += v;
    finite = finite && all_finite(offset);
  }
  block_sum_ += factor * sum;
  return finite;
}

bool GlobalParams::add_tail(const Eigen::Ref<const Eigen::VectorXd>& values, double weight) {
  auto tail = offset_.tail(tail_size());
  tail += (weight / scale_) * values;
  return all_finite(tail);
}

bool GlobalParams::add_at(Eigen::Index position, const Eigen::Ref<const Eigen::VectorXd>& values, double weight) {
  const double factor = weight / scale_;
  const Eigen::Index n = block_size();
  double sum = 0.0;
  double check = 0.0;  // Σ x·0: NaN if an entry is not finite (as all_finite)
  for (Eigen::Index b = 0; b < num_blocks(); ++b) {
    double& x = offset_[b * n + position];
    x += factor * values[b];
    sum += values[b];
    check += x * 0.0;
  }
  block_sum_[position] += factor * sum;
  return check == 0.0;
}

}  // namespace natgrad::models
