#pragma once
/// @file The layout of a model's global parameters λ: named tensors with
/// shapes and their place in the flat vector the solver updates. A family
/// declares it once; the model file's writer and reader work from it (each
/// tensor is the dataset /model/<name>), and a family reaches its parameters
/// through it by name (named views), never by offsets spelled out in code.

#include <Eigen/Core>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace natgrad::io {

/// One tensor of λ: entry (i₀, ..., i_{r−1}) (row-major indices in `shape`) is
/// entry offset + Σ_j i_j · strides_j of the flat λ.
struct Tensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::int64_t offset = 0;
  std::vector<std::int64_t> strides;

  /// Number of entries: the product of the shape.
  std::int64_t size() const;
  /// The flat index of an entry; one index per dimension, each in range (not checked).
  std::int64_t at(std::initializer_list<std::int64_t> index) const;
  /// The shape as HDF5 writes it.
  std::vector<std::uint64_t> dims() const { return {shape.begin(), shape.end()}; }
  bool operator==(const Tensor&) const = default;
};

/// λ as named tensors that cover its `size` entries exactly once.
struct Layout {
  std::vector<Tensor> tensors;
  std::int64_t size = 0;

  /// The tensor `name`. @throws natgrad::Error if there is none.
  const Tensor& operator[](const std::string& name) const;
  /// Checks that the tensors cover [0, size) exactly once.
  /// @throws natgrad::Error naming `what` (a file) and the first tensor at fault.
  void check(const std::string& what) const;
  bool operator==(const Layout&) const = default;
};

/// The entries of tensor t of the flat λ, row-major.
std::vector<double> gather(const Tensor& t, const Eigen::Ref<const Eigen::VectorXd>& flat);
/// The entries of rows [first, first + count) of t's first dimension (of a tensor of rank 0: its entry),
/// row-major, into `out`, which holds as many.
void gather_rows(const Tensor& t, const Eigen::Ref<const Eigen::VectorXd>& flat, std::int64_t first,
                 std::int64_t count, std::span<double> out);
/// Writes row-major `values` (t.size() of them) into tensor t of the flat λ.
void scatter(const Tensor& t, const std::vector<double>& values, Eigen::Ref<Eigen::VectorXd> flat);

}  // namespace natgrad::io
