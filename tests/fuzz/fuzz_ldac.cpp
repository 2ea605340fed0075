// libFuzzer target: the LDA-C reader (with an 8-word vocabulary).
#include "fuzz_support.hpp"
#include "natgrad/error.hpp"
#include "natgrad/io/text_corpus.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const natgrad::io::Corpus c =
        natgrad::io::read_ldac(natgrad::fuzz::scratch(".ldac", data, size), natgrad::fuzz::vocab8());
    (void)c.checksum();
  } catch (const natgrad::Error&) {
  }
  return 0;
}
