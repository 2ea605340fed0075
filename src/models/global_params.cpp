#include "natgrad/models/global_params.hpp"

namespace natgrad::models {

namespace {

// Σ over blocks of `flat` cut into blocks of `block_size` entries.
Eigen::VectorXd sum_of_blocks(const Eigen::VectorXd& flat, Eigen::Index block_size) {
  return Eigen::Map<const Eigen::MatrixXd>(flat.data(), block_size, flat.size() / block_size).rowwise().sum();
}

}  // namespace

GlobalParams::GlobalParams(Eigen::VectorXd base, const Eigen::VectorXd& lambda, Eigen::Index block_size)
    : GlobalParams(base, lambda - base, 1.0, sum_of_blocks(lambda - base, block_size)) {}

GlobalParams::GlobalParams(Eigen::VectorXd base, Eigen::VectorXd offset, double scale, Eigen::VectorXd block_sum)
    : base_(std::move(base)),
      offset_(std::move(offset)),
      scale_(scale),
      block_sum_(std::move(block_sum)),
      base_block_sum_(sum_of_blocks(base_, block_sum_.size())) {}

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

bool GlobalParams::add(std::span<const std::int64_t> blocks, const Eigen::Ref<const Eigen::VectorXd>& values,
                       double weight) {
  const Eigen::Index n = block_size();
  const double factor = weight / scale_;
  bool finite = true;
  for (std::size_t j = 0; j < blocks.size(); ++j) {
    const auto increment = factor * values.segment(static_cast<Eigen::Index>(j) * n, n);
    auto offset = offset_.segment(blocks[j] * n, n);
    offset += increment;
    block_sum_ += increment;
    finite = finite && offset.allFinite();  // the block is still in cache
  }
  return finite;
}

}  // namespace natgrad::models
