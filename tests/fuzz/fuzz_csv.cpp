// libFuzzer target: the CSV reader of dense data (label column "last").
#include <cmath>

#include "fuzz_support.hpp"
#include "natgrad/error.hpp"
#include "natgrad/io/dense.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const natgrad::io::DenseData d = natgrad::io::read_csv(natgrad::fuzz::scratch(".csv", data, size), "last");
    // What the reader accepts is whole and finite.
    if (d.num_rows() < 1 || d.cols < 1 || d.values.size() != static_cast<std::size_t>(d.num_rows() * d.cols) ||
        d.labels.size() != static_cast<std::size_t>(d.num_rows()) ||
        (!d.column_names.empty() && d.column_names.size() != static_cast<std::size_t>(d.cols))) {
      __builtin_trap();
    }
    for (const double v : d.values) {
      if (!std::isfinite(v)) __builtin_trap();
    }
  } catch (const natgrad::Error&) {
  }
  return 0;
}
