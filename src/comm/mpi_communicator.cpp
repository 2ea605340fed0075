#include "natgrad/comm/mpi_communicator.hpp"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <vector>

#include "natgrad/memory.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NATGRAD_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define NATGRAD_ASAN 1
#endif
#ifdef NATGRAD_ASAN
#include <sanitizer/lsan_interface.h>
#endif

namespace natgrad::comm {

namespace {

// In a build with AddressSanitizer, what OpenMPI allocates inside MPI_Init and MPI_Finalize and keeps to
// the end (some 3,000 objects a rank) is left out of LeakSanitizer's check at exit: matching each of them
// against tests/sanitizers/lsan.supp cost 2.4 s a rank, most of the sanitizer build's end-to-end time.
// Only allocations made by this thread inside those two calls are left out; natgrad's own and those of
// OpenMPI's threads are checked as before.
#ifdef NATGRAD_ASAN
using OpenMpiOwnAllocations = __lsan::ScopedDisabler;
#else
struct OpenMpiOwnAllocations {};
#endif

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(MPI_Comm comm) : comm_(comm) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    MPI_Comm node;
    MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &node_size_);
    MPI_Comm_free(&node);
    if (size_ > 1) keep_freed_memory();  // MPI's buffers of a step's collectives, kept for the next
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int node_size() const override { return node_size_; }

  void allreduce_sum(std::span<double> data) override { sum_in_place(data, MPI_DOUBLE); }
  void allreduce_sum(std::span<std::uint64_t> data) override { sum_in_place(data, MPI_UINT64_T); }

  std::int64_t allreduce_min(std::int64_t value) override {
    MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT64_T, MPI_MIN, comm_);
    return value;
  }

  std::vector<double> gather(std::vector<double> mine, int root) override {
    if (size_ == 1) return mine;
    const int count = static_cast<int>(mine.size());
    std::vector<int> counts(static_cast<std::size_t>(size_));
    MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, root, comm_);
    std::vector<int> offsets(static_cast<std::size_t>(size_), 0);
    for (std::size_t r = 1; r < offsets.size(); ++r) offsets[r] = offsets[r - 1] + counts[r - 1];
    std::vector<double> all;
    if (rank_ == root) all.resize(static_cast<std::size_t>(offsets.back() + counts.back()));
    MPI_Gatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE, root, comm_);
    return all;
  }

  std::vector<std::int64_t> allgather(std::span<const std::int64_t> mine) override {
    const int count = static_cast<int>(mine.size());
    std::vector<int> counts(static_cast<std::size_t>(size_));
    MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_);
    std::vector<int> offsets(static_cast<std::size_t>(size_), 0);
    for (std::size_t r = 1; r < offsets.size(); ++r) offsets[r] = offsets[r - 1] + counts[r - 1];
    std::vector<std::int64_t> all(static_cast<std::size_t>(offsets.back() + counts.back()));
    MPI_Allgatherv(mine.data(), count, MPI_INT64_T, all.data(), counts.data(), offsets.data(), MPI_INT64_T, comm_);
    return all;
  }

  void broadcast(std::string& text, int root) override {
    auto length = static_cast<std::int64_t>(text.size());
    MPI_Bcast(&length, 1, MPI_INT64_T, root, comm_);
    text.resize(static_cast<std::size_t>(length));
    if (length > 0) MPI_Bcast(text.data(), static_cast<int>(length), MPI_CHAR, root, comm_);
  }

  void share_rows(std::span<double> data, std::int64_t block_size, std::int64_t tail_size) override {
    if (size_ == 1) return;
    const auto blocks = (static_cast<std::int64_t>(data.size()) - tail_size) / block_size;
    for (int root = 0; root < size_; ++root) {
      const auto [first, last] = shard_of(block_size, root, size_);
      if (first == last) continue;
      // Rank root's rows: runs of last − first entries, block_size apart, sent as they lie (a strided
      // datatype, no copy of λ's size), in pieces of at most 2^27 entries.
      const std::int64_t per_piece = std::max<std::int64_t>(1, (std::int64_t{1} << 27) / (last - first));
      for (std::int64_t b = 0; b < blocks; b += per_piece) {
        MPI_Datatype rows;
        MPI_Type_vector(static_cast<int>(std::min(per_piece, blocks - b)), static_cast<int>(last - first),
                        static_cast<int>(block_size), MPI_DOUBLE, &rows);
        MPI_Type_commit(&rows);
        MPI_Bcast(data.data() + b * block_size + first, 1, rows, root, comm_);
        MPI_Type_free(&rows);
      }
    }
    const std::span<double> tail = data.last(static_cast<std::size_t>(tail_size));
    in_pieces(tail.size(), [&](std::size_t done, int count) {
      MPI_Bcast(tail.data() + done, count, MPI_DOUBLE, 0, comm_);
    });
  }

  [[noreturn]] void abort(int code) override {
    MPI_Abort(comm_, code);
    std::_Exit(code);
  }

 private:
  // MPI counts are int: calls piece(done, count) for the pieces [done, done + count) of n values, each
  // of at most 2^30.
  template <class Piece>
  static void in_pieces(std::size_t n, const Piece& piece) {
    constexpr std::size_t kMaxChunk = std::size_t{1} << 30;
    for (std::size_t done = 0; done < n; done += kMaxChunk) {
      piece(done, static_cast<int>(std::min(kMaxChunk, n - done)));
    }
  }

  template <class T>
  void sum_in_place(std::span<T> data, MPI_Datatype type) {
    in_pieces(data.size(), [&](std::size_t done, int count) {
      MPI_Allreduce(MPI_IN_PLACE, data.data() + done, count, type, MPI_SUM, comm_);
    });
  }

  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
  int node_size_ = 1;
};

}  // namespace

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "PMI_FD", "MV2_COMM_WORLD_RANK"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  const char* tasks = std::getenv("SLURM_STEP_NUM_TASKS");
  return tasks != nullptr && std::atoi(tasks) > 1;
}

MpiEnvironment::MpiEnvironment(int& argc, char**& argv) : mpi_(launched_by_mpi()) {
  if (!mpi_) return;
  // OpenMP threads (solver.threads) do the local steps; only the main thread calls MPI.
  int provided = 0;
  [[maybe_unused]] const OpenMpiOwnAllocations unchecked;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
}

MpiEnvironment::~MpiEnvironment() {
  if (!mpi_) return;
  [[maybe_unused]] const OpenMpiOwnAllocations unchecked;
  MPI_Finalize();
}

std::unique_ptr<Communicator> MpiEnvironment::world() const {
  if (!mpi_) return std::make_unique<SerialCommunicator>();
  return std::make_unique<MpiCommunicator>(MPI_COMM_WORLD);
}

}  // namespace natgrad::comm
