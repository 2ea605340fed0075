#pragma once
// Internal to src/models/hpf: a loop spread over OpenMP threads.

#include <omp.h>

#include <cstddef>
#include <cstdint>

namespace natgrad::models::detail {

/// Runs body(i, thread) for i in [0, n) on `threads` OpenMP threads (thread
/// in [0, threads)), dynamically balanced; body writes only to places of its
/// own i or thread, so that nothing depends on the thread count.
template <class Body>
void for_each_parallel(std::int64_t n, int threads, const Body& body) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (threads > 1)
  for (std::int64_t i = 0; i < n; ++i) body(i, static_cast<std::size_t>(omp_get_thread_num()));
}

}  // namespace natgrad::models::detail
