#include <exception>
#include <new>

#include "natgrad/error.hpp"

namespace natgrad {

namespace {

thread_local const Doing* innermost = nullptr;
// What the innermost Doing said when an exception unwound it: the activity of
// an error caught outside it (comm::agree, main).
thread_local std::string unwound;

}  // namespace

Doing::Doing(std::string what) : what_(std::move(what)), outer_(innermost), exceptions_(std::uncaught_exceptions()) {
  innermost = this;
  unwound.clear();
}

Doing::~Doing() {
  if (std::uncaught_exceptions() > exceptions_ && unwound.empty()) unwound = what_;
  innermost = outer_;
}

std::string doing() { return innermost == nullptr ? std::string() : innermost->what_; }

std::string describe(const std::exception& e) {
  if (dynamic_cast<const Error*>(&e) != nullptr) return e.what();
  const std::string what = dynamic_cast<const std::bad_alloc*>(&e) != nullptr
                               ? std::string("out of memory (") + e.what() + ")"
                               : std::string(e.what());
  const std::string context = unwound.empty() ? doing() : unwound;
  unwound.clear();
  return context.empty() ? what : "while " + context + ": " + what;
}

}  // namespace natgrad
