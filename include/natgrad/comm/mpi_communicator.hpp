#pragma once
/// @file MPI behind the Communicator interface. Only the matching .cpp includes <mpi.h>.

#include <memory>

#include "natgrad/comm/communicator.hpp"

namespace natgrad::comm {

/// Initialises MPI on construction and finalises it on destruction; one per
/// process, created by main() before anything else. A process that no MPI
/// launcher started (mpirun, mpiexec, srun: none of their environment
/// variables is set, see launched_by_mpi) is a world of one without MPI: it
/// does not pay MPI_Init's start of a runtime for a singleton (half a second).
class MpiEnvironment {
 public:
  MpiEnvironment(int& argc, char**& argv);
  ~MpiEnvironment();
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;

  /// A communicator over all processes of the job (MPI_COMM_WORLD, or a SerialCommunicator).
  std::unique_ptr<Communicator> world() const;

 private:
  bool mpi_ = false;  ///< whether MPI was initialised
};

/// Whether an MPI launcher started this process: one of the variables that
/// OpenMPI's mpirun (OMPI_COMM_WORLD_SIZE), PMIx (PMIX_RANK), PMI-1/2 launchers
/// such as MPICH's Hydra, Intel MPI and srun (PMI_RANK, PMI_SIZE, PMI_FD),
/// MVAPICH (MV2_COMM_WORLD_RANK) or Slurm for a step of several tasks
/// (SLURM_STEP_NUM_TASKS) set is in the environment.
bool launched_by_mpi();

}  // namespace natgrad::comm
