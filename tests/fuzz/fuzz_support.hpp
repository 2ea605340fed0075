#pragma once
// Shared by the fuzz targets: the readers take paths, so each input is written
// to a scratch file first; natgrad::Error is the expected way to refuse input,
// anything else (a crash, a sanitizer report, another exception) is a bug.

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace natgrad::fuzz {

/// A scratch file of this process holding `data`.
inline const std::string& scratch(const std::string& suffix, const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/natgrad_fuzz_" + std::to_string(::getpid()) + suffix;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                 static_cast<std::streamsize>(size));
  return path;
}

/// A vocabulary file of 8 words ("w1" ... "w8"), written once.
inline const std::string& vocab8() {
  static const std::string path = [] {
    const std::string p = "/tmp/natgrad_fuzz_" + std::to_string(::getpid()) + "_vocab.txt";
    std::ofstream out(p);
    for (int i = 1; i <= 8; ++i) out << "w" << i << "\n";
    return p;
  }();
  return path;
}

}  // namespace natgrad::fuzz
