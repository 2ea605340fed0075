#pragma once
// Helpers of the tests of the file readers: write a text file, plain or
// gzip-compressed, and catch the message of the natgrad::Error a call throws.

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <functional>
#include <string>

#include "natgrad/error.hpp"

namespace natgrad::testing {

/// The message of the natgrad::Error that `call` throws, or "(accepted)".
inline std::string error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "(accepted)";
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Writes `text` to `path` as it is.
inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

/// Writes `text` to `path`, gzip-compressed.
inline void write_gzip(const std::string& path, const std::string& text) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  ASSERT_EQ(gzwrite(file, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

}  // namespace natgrad::testing
