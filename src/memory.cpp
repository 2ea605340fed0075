#include "natgrad/memory.hpp"

#include <malloc.h>
#include <sys/mman.h>

#include <cstdint>

namespace natgrad {

void advise_huge_pages(void* p, std::size_t bytes) {
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  if (bytes < 2 * kHuge) return;
  const auto begin = (reinterpret_cast<std::uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~(kHuge - 1);
  // Advice only: where the kernel has no transparent huge pages, the array keeps its 4 KB pages.
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

void keep_freed_memory() {
  // glibc's default: blocks of 128 KB and more are mapped afresh (or its threshold follows the largest
  // freed block), and the top of the heap is given back beyond twice that threshold. OpenMPI's allreduce
  // of a step's statistics takes a buffer of their size each time, and faults it in again: at batch 1024
  // on the Debian descriptions (4.5 MB), 2 ranks on this project's VM, a step's communication took 3.1 ms
  // against 2.6 ms with the memory kept (7 rounds, 2026-12-06).
  ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace natgrad
