#include "natgrad/io/layout.hpp"

#include <algorithm>
#include <functional>
#include <numeric>

#include "natgrad/error.hpp"
#include "natgrad/memory.hpp"

namespace natgrad::io {

namespace {

// Calls visit(k, flat index) for every entry of t, k its row-major position. In tiles of the last
// dimension: for each tile, every row's entries in it. A layout that is the transpose of the
// row-major order (LDA's λ, K × V kept word by word) is so read and written a cache line at a
// time, where entry by entry it would miss the cache at every read.
template <class Visit>
void for_each_entry(const Tensor& t, Visit visit) {
  if (t.size() == 0) return;
  const std::size_t rank = t.shape.size();
  if (rank == 0) {
    visit(0, t.offset);
    return;
  }
  constexpr std::int64_t kTile = 64;
  const std::int64_t last = t.shape[rank - 1];
  const std::int64_t stride = t.strides[rank - 1];
  const std::int64_t rows = t.size() / last;
  std::vector<std::int64_t> index(rank - 1);
  for (std::int64_t begin = 0; begin < last; begin += kTile) {
    const std::int64_t end = std::min(last, begin + kTile);
    std::fill(index.begin(), index.end(), 0);
    std::int64_t row_flat = t.offset;  // the flat index of the row's first entry
    for (std::int64_t row = 0; row < rows; ++row) {
      for (std::int64_t j = begin; j < end; ++j) visit(row * last + j, row_flat + j * stride);
      // Advance the row's row-major index; its flat index moves by the strides.
      for (std::size_t d = rank - 1; d-- > 0;) {
        if (++index[d] < t.shape[d]) {
          row_flat += t.strides[d];
          break;
        }
        row_flat -= (t.shape[d] - 1) * t.strides[d];
        index[d] = 0;
      }
    }
  }
}

}  // namespace

std::int64_t Tensor::size() const {
  return std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>());
}

std::int64_t Tensor::at(std::initializer_list<std::int64_t> index) const {
  std::int64_t flat = offset;
  std::size_t j = 0;
  for (const std::int64_t i : index) flat += i * strides[j++];
  return flat;
}

const Tensor& Layout::operator[](const std::string& name) const {
  for (const Tensor& t : tensors) {
    if (t.name == name) return t;
  }
  throw Error("the layout of λ has no tensor '" + name + "'");
}

void Layout::check(const std::string& what) const {
  const auto fail = [&](const Tensor& t, const std::string& why) {
    throw Error(what + ": tensor '" + t.name + "' of the layout of λ " + why);
  };
  std::int64_t total = 0;
  for (const Tensor& t : tensors) {
    if (t.strides.size() != t.shape.size()) {
      fail(t, "has " + std::to_string(t.strides.size()) + " strides for " + std::to_string(t.shape.size()) +
                  " dimensions");
    }
    std::int64_t entries = 1;
    for (std::size_t j = 0; j < t.shape.size(); ++j) {
      if (t.shape[j] < 0 || t.strides[j] < 0) fail(t, "has a negative size or stride");
      if (__builtin_mul_overflow(entries, t.shape[j], &entries) || entries > size) fail(t, "has more entries than λ");
    }
    if (entries == 0) continue;
    if (t.offset < 0 || t.offset >= size) fail(t, "starts outside the " + std::to_string(size) + " entries of λ");
    std::int64_t last = t.offset;  // the largest flat index, kept below size without overflowing
    for (std::size_t j = 0; j < t.shape.size(); ++j) {
      if (t.shape[j] > 1 && t.strides[j] > 0 && t.shape[j] - 1 > (size - 1 - last) / t.strides[j]) {
        fail(t, "reaches beyond the " + std::to_string(size) + " entries of λ");
      }
      last += (t.shape[j] - 1) * t.strides[j];
    }
    total += entries;
    if (total > size) fail(t, "has more entries than λ");
  }
  if (total != size) {
    throw Error(what + ": the tensors of the layout of λ have " + std::to_string(total) + " entries, λ " +
                std::to_string(size));
  }
  std::vector<bool> seen(static_cast<std::size_t>(size), false);
  for (const Tensor& t : tensors) {
    for_each_entry(t, [&](std::int64_t, std::int64_t flat) {
      auto slot = seen[static_cast<std::size_t>(flat)];
      if (slot) fail(t, "overlaps another at entry " + std::to_string(flat) + " of λ");
      slot = true;
    });
  }
}

std::vector<double> gather(const Tensor& t, const Eigen::Ref<const Eigen::VectorXd>& flat) {
  std::vector<double> out = huge_vector<double>(static_cast<std::size_t>(t.size()));
  gather_rows(t, flat, 0, t.shape.empty() ? 1 : t.shape[0], out);
  return out;
}

void gather_rows(const Tensor& t, const Eigen::Ref<const Eigen::VectorXd>& flat, std::int64_t first,
                 std::int64_t count, std::span<double> out) {
  Tensor rows = t;  // the rows alone: a tensor of `count` rows, from the first one's place in λ
  if (!rows.shape.empty()) {
    rows.shape[0] = count;
    rows.offset += first * t.strides[0];
  }
  for_each_entry(rows, [&](std::int64_t k, std::int64_t i) { out[static_cast<std::size_t>(k)] = flat[i]; });
}

void scatter(const Tensor& t, const std::vector<double>& values, Eigen::Ref<Eigen::VectorXd> flat) {
  for_each_entry(t, [&](std::int64_t k, std::int64_t i) { flat[i] = values[static_cast<std::size_t>(k)]; });
}

}  // namespace natgrad::io
