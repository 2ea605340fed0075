#include "natgrad/comm/communicator.hpp"

#include <cstdlib>
#include <exception>

namespace natgrad::comm {

void SerialCommunicator::abort(int code) { std::_Exit(code); }

void agree(Communicator& comm, const std::function<void()>& body) {
  std::string message;
  bool failed = false;
  try {
    body();
  } catch (const std::exception& e) {
    message = describe(e);
    failed = true;
  }
  const std::int64_t first = comm.allreduce_min(failed ? comm.rank() : comm.size());
  if (first == comm.size()) return;
  comm.broadcast(message, static_cast<int>(first));
  if (comm.size() > 1 && first != 0) message = "rank " + std::to_string(first) + ": " + message;
  throw AgreedError(message);
}

}  // namespace natgrad::comm
