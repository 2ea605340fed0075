#pragma once
// The MPI world of the MPI test binary, set up by mpi_main.cpp.

#include "natgrad/comm/communicator.hpp"

namespace natgrad::testing {

comm::Communicator& world();

}  // namespace natgrad::testing
