// GoogleTest main for tests run under mpirun: every rank runs every test,
// only rank 0 prints, and the job fails if a test failed on any rank.

#include <gtest/gtest.h>

#include <memory>

#include "mpi_world.hpp"
#include "natgrad/comm/mpi_communicator.hpp"

namespace natgrad::testing {
namespace {
comm::Communicator* the_world = nullptr;
}  // namespace

comm::Communicator& world() { return *the_world; }

}  // namespace natgrad::testing

int main(int argc, char** argv) {
  natgrad::comm::MpiEnvironment mpi(argc, argv);
  const auto world = mpi.world();
  natgrad::testing::the_world = world.get();
  ::testing::InitGoogleTest(&argc, argv);
  if (world->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  // Worst result over all ranks: max(x) = −min(−x).
  return static_cast<int>(-world->allreduce_min(-failed));
}
