// libFuzzer target: the (row, column, count) triples reader. The first byte
// chooses the options (header, count column, binarize, min count), so that
// each of the reader's paths is explored; the rest is the file.
#include <utility>

#include "fuzz_support.hpp"
#include "natgrad/error.hpp"
#include "natgrad/io/text_corpus.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  natgrad::io::TriplesOptions options;
  const std::uint8_t choice = data[0];
  options.header = (choice & 1) != 0;
  options.count_column = (choice & 2) != 0 ? 0 : -1;  // none, or the first field without an id
  options.binarize = (choice & 4) != 0;
  options.min_count = 1 + ((choice >> 3) & 3);
  if ((choice & 32) != 0) std::swap(options.row_column, options.column_column);
  try {
    const natgrad::io::Corpus c =
        natgrad::io::read_triples(natgrad::fuzz::scratch(".tsv", data + 1, size - 1), options);
    (void)c.checksum();
  } catch (const natgrad::Error&) {
  }
  return 0;
}
