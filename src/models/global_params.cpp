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
    : offset_(std::move(offset)), scale_(scale), block_sum_(std::move(block_sum)) {
  const Eigen::Index n = block_size();
  const auto blocks = Eigen::Map<const Eigen::MatrixXd>(base.data(), n, base.size() / n);
  base_block_sum_ = blocks.rowwise().sum();
  if ((blocks.colwise() - blocks.col(0)).cwiseAbs().maxCoeff() == 0.0) {
    base_ = blocks.col(0);  // the same in every block: n entries, not n · blocks
  } else {
    base_ = std::move(base);
    base_stride_ = n;
  }
}

Eigen::VectorXd GlobalParams::dense() const {
  Eigen::VectorXd out = scale_ * offset_;
  for (Eigen::Index b = 0; b < num_blocks(); ++b) out.segment(b * block_size(), block_size()) += base_.segment(b * base_stride_, block_size());
  return out;
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

}  // namespace natgrad::models
