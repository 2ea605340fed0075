// natgrad's entry point: the only file that starts and ends MPI (through
// MpiEnvironment). Every error ends the whole job: one that all ranks agreed
// on is printed once by rank 0 and ends with MPI_Finalize; any other is
// printed by the rank that hit it, which then aborts the job, so no rank is
// ever left waiting in a collective.

#include <csignal>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "natgrad/app/commands.hpp"
#include "natgrad/comm/mpi_communicator.hpp"

namespace {

// Set by SIGTERM or SIGUSR1 (preemption, a time limit ahead): the fit finishes
// its step, writes a checkpoint and exits with natgrad::app::kExitPreempted.
volatile std::sig_atomic_t stop_requested = 0;

void request_stop(int) { stop_requested = 1; }

}  // namespace

int main(int argc, char** argv) {
  natgrad::comm::MpiEnvironment mpi(argc, argv);
  std::signal(SIGTERM, request_stop);
  std::signal(SIGUSR1, request_stop);
  const auto world = mpi.world();
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return natgrad::app::dispatch(args, *world, std::cout, &stop_requested);
  } catch (const natgrad::comm::AgreedError& e) {
    if (world->rank() == 0) std::cerr << "natgrad: error: " << e.what() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "natgrad: error on rank " << world->rank() << ": " << natgrad::describe(e) << std::endl;
    world->abort(1);
  }
}
