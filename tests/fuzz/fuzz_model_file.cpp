// libFuzzer target: the model/checkpoint reader, structure-aware. The input
// decides which objects a well-formed HDF5 file holds and what they hold
// (missing or extra attributes and datasets, wrong shapes, dtypes, NaN,
// negative or absurd values, a /layout that is right, damaged or absent);
// the generic reader, the family's check of what it read and the predictor
// built from it (as `natgrad infer` and `evaluate` do) must refuse every bad
// file with natgrad::Error. (Raw byte mutation of HDF5 files mostly exercises
// the HDF5 library's own parser, which 1.10.8 does not survive: see README,
// Fuzzing.)
#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_support.hpp"
#include "natgrad/error.hpp"
#include "natgrad/io/hdf5.hpp"
#include "natgrad/io/model_file.hpp"
#include "natgrad/models/registry.hpp"

namespace {

using natgrad::io::h5::File;

std::vector<double> doubles(FuzzedDataProvider& in, std::size_t n) {
  std::vector<double> out(n);
  for (auto& x : out) {
    switch (in.ConsumeIntegralInRange(0, 5)) {
      case 0: x = std::nan(""); break;
      case 1: x = -1.0; break;
      case 2: x = 0.0; break;
      default: x = in.ConsumeFloatingPointInRange(1e-3, 1e3);
    }
  }
  return out;
}

// The datasets of a Gaussian mixture with K = k components of dimension D = d (mostly).
void write_gmm(FuzzedDataProvider& in, File& f, std::uint64_t k, std::uint64_t d) {
  const auto maybe = [&] { return in.ConsumeIntegralInRange(0, 7) != 0; };
  const auto size = [&](std::uint64_t n) { return maybe() ? n : in.ConsumeIntegralInRange<std::uint64_t>(0, 7); };
  const bool diag = in.ConsumeBool();
  if (maybe()) f.set_attr("/model", "components", maybe() ? static_cast<std::int64_t>(k) : in.ConsumeIntegral<std::int64_t>());
  if (maybe()) f.set_attr("/model", "dim", maybe() ? static_cast<std::int64_t>(d) : in.ConsumeIntegral<std::int64_t>());
  if (maybe()) f.set_attr("/model", "covariance", maybe() ? std::string(diag ? "diag" : "full") : in.ConsumeRandomLengthString(6));
  for (const char* name : {"/model/weight_concentration", "/model/mean_precision", "/model/degrees_of_freedom"}) {
    const std::uint64_t n = size(k);
    if (maybe()) f.write<double>(name, doubles(in, n), {n});
  }
  if (maybe()) {
    const std::uint64_t rows = size(k), cols = size(d);
    f.write<double>("/model/beta_mean", doubles(in, rows * cols), {rows, cols});
  }
  if (maybe()) {
    const std::uint64_t rows = size(k), cols = size(d), depth = size(d);
    if (diag) {
      f.write<double>("/model/scatter", doubles(in, rows * cols), {rows, cols});
    } else {
      f.write<double>("/model/scatter", doubles(in, rows * cols * depth), {rows, cols, depth});
    }
  }
  if (maybe()) {
    f.create_group("/model/prior");
    for (const char* key : {"weight_concentration", "mean_precision", "degrees_of_freedom"}) {
      if (maybe()) f.set_attr("/model/prior", key, in.ConsumeFloatingPoint<double>());
    }
    const std::uint64_t n = size(d);
    if (maybe()) f.write<double>("/model/prior/mean", doubles(in, n), {n});
    if (maybe()) f.write<double>("/model/prior/scale", doubles(in, n * n), diag ? std::vector<std::uint64_t>{n * n}
                                                                             : std::vector<std::uint64_t>{n, n});
  }
}

// A /layout (schema 2): mostly that of an lda λ of K × V or a mixture's, otherwise altered.
void write_layout(FuzzedDataProvider& in, File& f, std::uint64_t k, std::uint64_t v) {
  const auto maybe = [&] { return in.ConsumeIntegralInRange(0, 7) != 0; };
  const auto kk = static_cast<std::int64_t>(k);
  const auto vv = static_cast<std::int64_t>(v);
  std::vector<std::string> names = {"lambda"};
  std::vector<std::int64_t> ranks = {2}, dims = {kk, vv}, offsets = {0}, strides = {1, kk};
  std::int64_t size = kk * vv;
  if (in.ConsumeBool()) {  // a mixture of K components of dimension D = v, full covariances
    const std::int64_t s = 3 + vv + vv * vv;
    names = {"weight_concentration", "mean_precision", "degrees_of_freedom", "beta_mean", "scatter"};
    ranks = {1, 1, 1, 2, 3};
    dims = {kk, kk, kk, kk, vv, kk, vv, vv};
    offsets = {0, 1, 2, 3, 3 + vv};
    strides = {s, s, s, s, 1, s, 1, vv};
    size = kk * s;
  }
  const auto spoil = [&](std::vector<std::int64_t>& values) {
    if (!values.empty() && !maybe()) {
      values[in.ConsumeIntegralInRange<std::size_t>(0, values.size() - 1)] = in.ConsumeIntegralInRange<std::int64_t>(-3, 1 << 20);
    }
  };
  spoil(dims);
  spoil(offsets);
  spoil(strides);
  if (!maybe()) ranks[0] = in.ConsumeIntegralInRange<std::int64_t>(-1, 20);
  if (!maybe()) size = in.ConsumeIntegralInRange<std::int64_t>(-1, 1 << 20);
  if (!maybe()) names[0] = in.ConsumeRandomLengthString(8);
  f.create_group("/layout");
  if (maybe()) f.set_attr("/layout", "size", size);
  if (maybe()) f.write_strings("/layout/names", names);
  const auto ints = [&](const char* name, const std::vector<std::int64_t>& values) {
    if (maybe()) f.write<std::int64_t>(name, values, {values.size()});
  };
  ints("/layout/ranks", ranks);
  ints("/layout/dims", dims);
  ints("/layout/offsets", offsets);
  ints("/layout/strides", strides);
}

void write(FuzzedDataProvider& in, File& f) {
  const auto k = in.ConsumeIntegralInRange<std::uint64_t>(0, 4);
  const auto v = in.ConsumeIntegralInRange<std::uint64_t>(0, 6);
  const auto maybe = [&] { return in.ConsumeIntegralInRange(0, 7) != 0; };  // mostly present
  const auto size = [&](std::uint64_t n) { return maybe() ? n : in.ConsumeIntegralInRange<std::uint64_t>(0, 7); };
  if (maybe()) f.set_attr("/", "format", maybe() ? std::string("natgrad.model") : in.ConsumeRandomLengthString(20));
  if (maybe()) f.set_attr("/", "schema_version", in.ConsumeIntegralInRange<std::int64_t>(0, 3));
  if (maybe()) {
    f.create_group("/model");
    const bool gmm = !maybe();
    if (maybe()) f.set_attr("/model", "type", std::string(gmm ? "gmm" : "lda"));
    if (gmm) write_gmm(in, f, k, v);
    if (maybe()) f.set_attr("/model", "topics", maybe() ? static_cast<std::int64_t>(k) : in.ConsumeIntegral<std::int64_t>());
    if (maybe()) f.set_attr("/model", "vocab_size", static_cast<std::int64_t>(size(v)));
    if (maybe()) {
      const std::uint64_t rows = size(k);
      const std::uint64_t cols = size(v);
      const auto values = doubles(in, rows * cols);
      if (maybe()) {
        f.write<double>("/model/lambda", values, {rows, cols});
      } else {
        const std::vector<std::int64_t> ints(values.size(), 1);
        f.write<std::int64_t>("/model/lambda", ints, {rows * cols});
      }
    }
    if (maybe()) {
      const std::uint64_t n = size(k);
      f.write<double>("/model/alpha", doubles(in, n), {n});
    }
    if (maybe()) f.write_scalar("/model/eta", in.ConsumeFloatingPoint<double>());
  }
  if (in.ConsumeBool()) write_layout(in, f, k, v);
  if (maybe()) f.write_strings("/vocab", std::vector<std::string>(size(v), in.ConsumeRandomLengthString(8)));
  if (maybe()) {
    f.create_group("/config");
    if (maybe()) f.set_attr("/config", "model.alpha", in.ConsumeRandomLengthString(10));
  }
  if (maybe()) {
    f.create_group("/solver");
    for (const char* key : {"step", "seed", "docs_seen"}) {
      if (maybe()) f.set_attr("/solver", key, in.ConsumeIntegral<std::int64_t>());
    }
    for (const char* key : {"epoch", "train_seconds"}) {
      if (maybe()) f.set_attr("/solver", key, in.ConsumeFloatingPoint<double>());
    }
    if (maybe()) {  // the solver's form of λ = η + a · M
      f.set_attr("/solver", "lambda_scale",
                 maybe() ? in.ConsumeFloatingPointInRange(1e-100, 1.0) : in.ConsumeFloatingPoint<double>());
      const std::uint64_t n = size(k * v);
      const std::uint64_t block = size(k);
      if (maybe()) f.write<double>("/solver/lambda_offset", doubles(in, n), {n});
      if (maybe()) f.write<double>("/solver/lambda_offset_block_sum", doubles(in, block), {block});
    }
  }
  if (maybe()) {
    f.create_group("/data");
    if (maybe()) f.set_attr("/data", "train", in.ConsumeRandomLengthString(10));
    for (const char* key : {"num_docs", "vocab_size", "num_tokens"}) {
      if (maybe()) f.set_attr("/data", key, in.ConsumeIntegral<std::int64_t>());
    }
    if (maybe()) f.set_attr("/data", "checksum", maybe() ? std::string("0x00ff") : in.ConsumeRandomLengthString(20));
  }
  if (maybe()) {
    const auto rows = in.ConsumeIntegralInRange<std::size_t>(0, 4);
    std::vector<natgrad::io::h5::Column> columns;
    const char* names[] = {"step", "epoch", "seconds", "rho", "perplexity", "extra"};
    const auto n = in.ConsumeIntegralInRange<std::size_t>(0, 6);
    for (std::size_t c = 0; c < n; ++c) {
      if (c == 0 && maybe()) {
        columns.push_back({names[c], std::vector<std::int64_t>(rows, 1)});
      } else {
        columns.push_back({names[c], doubles(in, rows)});
      }
    }
    if (!columns.empty()) f.write_table("/history", columns);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string& path = natgrad::fuzz::scratch(".h5", nullptr, 0);
  try {
    File f = File::create(path);
    write(in, f);
  } catch (const natgrad::Error&) {
    return 0;  // an input the writer itself refuses (e.g. a duplicate name): not of interest
  }
  try {
    // As `natgrad infer` and `evaluate` read a model file: generically, then its family's check and predictor.
    const natgrad::models::LoadedModel m = natgrad::models::load_model_file(path);
    (void)m.file.lambda(m.family->file_layout(m.file)).sum();
    (void)m.file.lambda_offset.sum();
    (void)m.family->make_predictor(m.file, {});
  } catch (const natgrad::Error&) {
  }
  return 0;
}
