#pragma once
/// @file MPI behind the Communicator interface. Only the matching .cpp includes <mpi.h>.

#include <memory>

#include "natgrad/comm/communicator.hpp"

namespace natgrad::comm {

/// Initialises MPI on construction and finalises it on destruction; one per
/// process, created by main() before anything else.
class MpiEnvironment {
 public:
  MpiEnvironment(int& argc, char**& argv);
  ~MpiEnvironment();
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;

  /// A communicator over all processes of the job (MPI_COMM_WORLD).
  std::unique_ptr<Communicator> world() const;
};

}  // namespace natgrad::comm
