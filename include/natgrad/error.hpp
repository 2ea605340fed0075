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

}  // namespace natgrad
