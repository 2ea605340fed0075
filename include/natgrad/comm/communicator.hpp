#pragma once
/// @file The collectives natgrad needs, behind a small interface.
///
/// A world of one (SerialCommunicator) is the normal case, not a branch; the
/// MPI implementation lives in mpi_communicator.hpp and is the only code that
/// includes <mpi.h>.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "natgrad/error.hpp"

namespace natgrad::comm {

/// Items [begin, end) of items [0, n) that rank `rank` of `size` holds: n·rank/size to n·(rank + 1)/size.
inline std::pair<std::int64_t, std::int64_t> shard_of(std::int64_t n, int rank, int size) {
  return {n * rank / size, n * (rank + 1) / size};
}

/// A group of ranks that run the same program on different shards of the data.
class Communicator {
 public:
  virtual ~Communicator() = default;
  /// This process's rank, 0 ≤ rank < size.
  virtual int rank() const = 0;
  /// Number of ranks.
  virtual int size() const = 0;
  /// Number of ranks on this rank's node (that share its memory), this one included.
  virtual int node_size() const = 0;
  /// In-place element-wise sum over all ranks; every rank ends with the sum.
  virtual void allreduce_sum(std::span<double> data) = 0;
  /// In-place element-wise sum modulo 2^64 over all ranks (for checksums).
  virtual void allreduce_sum(std::span<std::uint64_t> data) = 0;
  /// Minimum of one value over all ranks.
  virtual std::int64_t allreduce_min(std::int64_t value) = 0;
  /// Every rank's `mine` concatenated in rank order, on rank `root` (empty
  /// elsewhere). A lone rank's `mine` comes back as it is, not copied.
  virtual std::vector<double> gather(std::vector<double> mine, int root) = 0;
  /// Concatenates every rank's `mine` (fewer than 2^31 values), in rank order, on every rank.
  virtual std::vector<std::int64_t> allgather(std::span<const std::int64_t> mine) = 0;
  /// Copies `text` from rank `root` to every rank.
  virtual void broadcast(std::string& text, int root) = 0;
  /// `data` is blocks of `block_size` entries, then `tail_size` entries. Each rank holds its rows right
  /// (the positions shard_of(block_size, rank, size()) of every block) and rank 0 the tail; every rank
  /// ends with all of them: each entry is copied from the rank that holds it, unchanged.
  virtual void share_rows(std::span<double> data, std::int64_t block_size, std::int64_t tail_size) = 0;
  /// Ends every process of the job at once with `code`; for errors that the
  /// other ranks cannot be told about in an orderly way.
  [[noreturn]] virtual void abort(int code) = 0;
};

/// The world of one process.
class SerialCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int node_size() const override { return 1; }
  void allreduce_sum(std::span<double>) override {}
  void allreduce_sum(std::span<std::uint64_t>) override {}
  std::int64_t allreduce_min(std::int64_t value) override { return value; }
  std::vector<double> gather(std::vector<double> mine, int) override { return mine; }
  std::vector<std::int64_t> allgather(std::span<const std::int64_t> mine) override {
    return {mine.begin(), mine.end()};
  }
  void broadcast(std::string&, int) override {}
  void share_rows(std::span<double>, std::int64_t, std::int64_t) override {}
  [[noreturn]] void abort(int code) override;
};

/// An error that every rank of the job knows about: thrown on all ranks at once
/// by agree(), so the job can end cleanly with rank 0 printing it once.
class AgreedError : public Error {
 public:
  using Error::Error;
};

/// Runs `body` on every rank, then agrees on the outcome: if it threw on any
/// rank, every rank throws AgreedError with the message of the lowest failing
/// rank. A collective that follows can therefore never be skipped by one rank
/// alone. `body` itself must not call collectives.
void agree(Communicator& comm, const std::function<void()>& body);

}  // namespace natgrad::comm
