// libFuzzer target: the HDF5 corpus reader, structure-aware (as
// fuzz_model_file): well-formed HDF5 files whose datasets and attributes are
// missing, of the wrong shape or dtype, or hold bad offsets, ids and counts.
#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_support.hpp"
#include "natgrad/error.hpp"
#include "natgrad/io/corpus.hpp"
#include "natgrad/io/hdf5.hpp"

namespace {

using natgrad::io::h5::File;

std::vector<std::int64_t> ints(FuzzedDataProvider& in, std::size_t n, std::int64_t low, std::int64_t high) {
  std::vector<std::int64_t> out(n);
  for (auto& x : out) x = in.ConsumeIntegralInRange(low, high);
  return out;
}

void write_ints(FuzzedDataProvider& in, File& f, const std::string& name, const std::vector<std::int64_t>& values) {
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: {
      const std::vector<double> d(values.begin(), values.end());
      f.write<double>(name, d, {d.size()});
      break;
    }
    case 1: {
      const std::vector<std::int32_t> i(values.begin(), values.end());
      f.write<std::int32_t>(name, i, {i.size()});
      break;
    }
    default:
      f.write<std::int64_t>(name, values, {values.size()});
  }
}

void write(FuzzedDataProvider& in, File& f) {
  const auto d = in.ConsumeIntegralInRange<std::int64_t>(0, 6);
  const auto v = in.ConsumeIntegralInRange<std::int64_t>(-1, 8);
  const auto nnz = in.ConsumeIntegralInRange<std::int64_t>(0, 12);
  const auto maybe = [&] { return in.ConsumeIntegralInRange(0, 7) != 0; };
  if (maybe()) f.set_attr("/", "format", maybe() ? std::string("natgrad.corpus") : in.ConsumeRandomLengthString(16));
  if (maybe()) f.set_attr("/", "schema_version", in.ConsumeIntegralInRange<std::int64_t>(0, 2));
  if (maybe()) f.set_attr("/", "num_docs", maybe() ? d : in.ConsumeIntegral<std::int64_t>());
  if (maybe()) f.set_attr("/", "vocab_size", v);
  if (maybe()) f.set_attr("/", "num_tokens", in.ConsumeIntegral<std::int64_t>());
  if (maybe()) {
    auto indptr = ints(in, static_cast<std::size_t>(maybe() ? d + 1 : in.ConsumeIntegralInRange(0, 8)), -2, nnz + 2);
    if (maybe() && !indptr.empty()) {  // mostly a valid CSR offset array
      indptr.front() = 0;
      for (std::size_t i = 1; i < indptr.size(); ++i) indptr[i] = std::max(indptr[i], indptr[i - 1]);
      indptr.back() = nnz;
    }
    write_ints(in, f, "/indptr", indptr);
  }
  if (maybe()) write_ints(in, f, "/indices", ints(in, static_cast<std::size_t>(nnz), -1, v + 1));
  if (maybe()) write_ints(in, f, "/counts", ints(in, static_cast<std::size_t>(nnz), -1, 5));
  if (maybe()) write_ints(in, f, "/doc_ids", ints(in, static_cast<std::size_t>(d), 0, 100));
  if (maybe()) f.write_strings("/vocab", std::vector<std::string>(static_cast<std::size_t>(std::max<std::int64_t>(v, 0)), "w"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string& path = natgrad::fuzz::scratch(".h5", nullptr, 0);
  try {
    File f = File::create(path);
    write(in, f);
  } catch (const natgrad::Error&) {
    return 0;
  }
  try {
    const natgrad::io::CorpusInfo info = natgrad::io::read_corpus_info(path);
    const natgrad::io::Corpus c = natgrad::io::read_corpus(path, 0, info.num_docs, in.ConsumeBool());
    (void)c.checksum();
  } catch (const natgrad::Error&) {
  }
  return 0;
}
