#pragma once
/// @file Base of every error natgrad reports to its users.

#include <stdexcept>
#include <string>

namespace natgrad {

/// An error meant for the user: its message names the file, key or value at
/// fault and what was expected. Every exception natgrad throws derives from it.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// What this thread is doing ("reading kos.h5", "step 12: the local step"),
/// for the message of an error that did not come with one (std::bad_alloc):
/// the innermost Doing in scope, or "" outside any.
std::string doing();

/// The message of any exception for users: a natgrad::Error's as it is;
/// another's with what the thread was doing when it was thrown (the innermost
/// Doing that the exception unwound, or else the one in scope): "while step 3:
/// the local step: out of memory (std::bad_alloc)".
std::string describe(const std::exception& e);

/// Says what this thread is doing for as long as it is in scope.
class Doing {
 public:
  explicit Doing(std::string what);
  ~Doing();
  Doing(const Doing&) = delete;
  Doing& operator=(const Doing&) = delete;

 private:
  std::string what_;
  const Doing* outer_;
  int exceptions_;  ///< std::uncaught_exceptions() when constructed
  friend std::string doing();
};

}  // namespace natgrad
