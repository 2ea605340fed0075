#pragma once
/// @file Large arrays backed by huge pages where the kernel allows it.
///
/// A first touch of fresh memory costs a page fault per 4 KB page: on this
/// project's VM 12 µs, 160 ms for the 55 MB of a λ of K = 100 and V = 68,623.
/// Asked before its first touch, the kernel backs an array with 2 MB pages
/// instead (where transparent huge pages are in "madvise" mode, as on that VM,
/// or "always"): 512 times fewer faults, and fewer TLB misses for the scattered
/// columns that a step reads.

#include <Eigen/Core>
#include <cstddef>
#include <vector>

namespace natgrad {

/// Has malloc keep the memory that is freed, for the next allocation, rather than give it back to
/// the kernel and fault it in again: blocks below 32 MB come from the heap, and the heap is not
/// trimmed below 1 GB. For the buffers that MPI makes and frees in each collective of a step (the
/// allreduce of its statistics); set by a communicator of more than one rank.
void keep_freed_memory();

/// Advises the kernel to back the whole 2 MB pages inside [p, p + bytes) with
/// huge pages; does nothing for less than 4 MB, or where the kernel cannot.
void advise_huge_pages(void* p, std::size_t bytes);

/// An Eigen array of `rows` × `cols` entries, not yet initialised, advised
/// to huge pages (advise_huge_pages) before anything touches it.
template <class Array>
Array huge_array(Eigen::Index rows, Eigen::Index cols = 1) {
  Array a(rows, cols);
  advise_huge_pages(a.data(), static_cast<std::size_t>(a.size()) * sizeof(typename Array::Scalar));
  return a;
}

/// A vector of n zeros, advised to huge pages before they are written.
template <class T>
std::vector<T> huge_vector(std::size_t n) {
  std::vector<T> v;
  v.reserve(n);
  advise_huge_pages(v.data(), n * sizeof(T));
  v.resize(n);
  return v;
}

}  // namespace natgrad
