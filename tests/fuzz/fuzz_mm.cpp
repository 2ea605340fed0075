// libFuzzer target: the Matrix Market reader (with an 8-word vocabulary).
#include "fuzz_support.hpp"
#include "natgrad/error.hpp"
#include "natgrad/io/text_corpus.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const natgrad::io::Corpus c = natgrad::io::read_mm(natgrad::fuzz::scratch(".mm", data, size), natgrad::fuzz::vocab8());
    (void)c.checksum();
  } catch (const natgrad::Error&) {
  }
  return 0;
}
