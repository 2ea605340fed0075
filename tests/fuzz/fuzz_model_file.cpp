// libFuzzer target: the model/checkpoint reader, structure-aware. The input
// decides which objects a well-formed HDF5 file holds and what they hold
// (missing or extra attributes and datasets, wrong shapes, dtypes, NaN,
// negative or absurd values, a /layout that is right, damaged or absent);
// the generic reader, the family's check of what it read and the predictor
// built from it (as `natgrad infer` and `evaluate` do) must refuse every bad
// file with natgrad::Error. Some inputs instead make a good file through
// natgrad's own writer (an LDA model or checkpoint of fuzzed sizes and
// values). A file that loads is then damaged: one byte of
// the stored data of a dataset the reader reads is changed (found through
// H5Dget_chunk_info, as a flipped bit or a lost write would change it), and
// the reader must refuse it, as the checksums promise. (Raw byte mutation of HDF5 files mostly exercises
// the HDF5 library's own parser, which 1.10.8 does not survive: see README,
// Fuzzing.)
#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>

#include <cstdio>
#include <cstdlib>

#include "fuzz_support.hpp"
#include "natgrad/error.hpp"
#include "natgrad/io/hdf5.hpp"
#include "natgrad/io/model_file.hpp"
#include "natgrad/models/lda/lda.hpp"
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

// A good LDA model file written by natgrad (K ≤ 4 topics, V ≤ 40 words, λ = η + a·M).
void write_good(FuzzedDataProvider& in, const std::string& path) {
  const auto k = in.ConsumeIntegralInRange<Eigen::Index>(1, 4);
  const auto v = in.ConsumeIntegralInRange<Eigen::Index>(1, 40);
  const double eta = in.ConsumeFloatingPointInRange(1e-3, 2.0);
  natgrad::io::ModelFile c;
  c.type = "lda";
  c.model.set("/model", "topics", static_cast<std::int64_t>(k));
  c.model.set("/model", "vocab_size", static_cast<std::int64_t>(v));
  std::vector<double> alpha(static_cast<std::size_t>(k));
  for (auto& a : alpha) a = in.ConsumeFloatingPointInRange(1e-3, 2.0);
  c.model.add("/model/alpha", {static_cast<std::uint64_t>(k)}, alpha);
  c.model.add("/model/eta", {}, std::vector<double>{eta});
  c.lambda_scale = in.ConsumeFloatingPointInRange(1e-3, 1.0);
  c.lambda_offset.resize(k * v);
  for (auto& m : c.lambda_offset) m = in.ConsumeFloatingPointInRange(0.0, 1e3);
  c.lambda_offset_block_sum = c.lambda_offset.reshaped(k, v).rowwise().sum();
  c.set_lambda(natgrad::models::lda_layout(k, v), (eta + c.lambda_scale * c.lambda_offset.array()).matrix());
  for (Eigen::Index w = 0; w < v; ++w) c.vocab.push_back(in.ConsumeRandomLengthString(6) + std::to_string(w));
  c.config = {{"model.type", "lda"}, {"model.topics", std::to_string(k)}};
  c.step = in.ConsumeIntegralInRange<std::int64_t>(0, 100);
  c.history = {{c.step, 0.5, 1.0, 0.1, in.ConsumeFloatingPointInRange(1.0, 1e4), {}}};
  natgrad::io::write_model_file(path, c);
}

// Reads `path` as `natgrad infer` and `evaluate` do: generically, then its family's check and predictor.
void load(const std::string& path) {
  const natgrad::models::LoadedModel m = natgrad::models::load_model_file(path);
  (void)m.file.lambda(m.family->file_layout(m.file)).sum();
  (void)m.file.lambda_offset.sum();
  (void)m.family->make_predictor(m.file, {});
}

// The file offset of byte `pick` (modulo its size) of the stored data of one of
// the chunked datasets the reader reads, chosen by `which`; -1 if it has none.
// (The object headers, where scalars live, have HDF5's metadata checksums, but
// HDF5 1.10.8 leaks memory on some of the errors their damage raises.)
long long stored_byte(const std::string& path, unsigned which, unsigned pick) {
  const char* names[] = {"/model/lambda", "/model/alpha", "/solver/lambda_offset",
                         "/solver/lambda_offset_block_sum", "/layout/dims", "/layout/offsets"};
  const char* name = names[which % (sizeof names / sizeof names[0])];
  long long at = -1;
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return -1;
  if (H5Lexists(file, name, H5P_DEFAULT) > 0) {
    const hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
    const hid_t space = H5Dget_space(set);
    const hid_t dcpl = H5Dget_create_plist(set);
    if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
      hsize_t chunks = 0;
      H5Dget_num_chunks(set, space, &chunks);
      if (chunks > 0) {
        hsize_t origin[H5S_MAX_RANK];
        unsigned mask = 0;
        haddr_t address = 0;
        hsize_t bytes = 0;
        H5Dget_chunk_info(set, space, pick % chunks, origin, &mask, &address, &bytes);
        if (bytes > 0) at = static_cast<long long>(address + (pick / chunks) % bytes);
      }
    }
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Dclose(set);
  }
  H5Fclose(file);
  return at;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string& path = natgrad::fuzz::scratch(".h5", nullptr, 0);
  try {
    if (in.ConsumeIntegralInRange(0, 3) == 0) {
      write_good(in, path);
    } else {
      File f = File::create(path);
      write(in, f);
    }
  } catch (const natgrad::Error&) {
    return 0;  // an input the writer itself refuses (e.g. a duplicate name): not of interest
  }
  try {
    load(path);
  } catch (const natgrad::Error&) {
    return 0;
  }
  // It loads: damage one stored byte of a dataset that it read; the reader must refuse it.
  const auto which = in.ConsumeIntegral<unsigned>();
  const auto pick = in.ConsumeIntegral<unsigned>();
  const auto flip = static_cast<unsigned char>(in.ConsumeIntegralInRange<unsigned>(1, 255));
  const long long at = stored_byte(path, which, pick);
  if (at < 0) return 0;
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  std::fseek(f, at, SEEK_SET);
  const int byte = std::fgetc(f);
  std::fseek(f, at, SEEK_SET);
  std::fputc(byte ^ flip, f);
  std::fclose(f);
  try {
    load(path);
  } catch (const natgrad::Error&) {
    return 0;
  }
  std::fprintf(stderr, "a model file with byte %lld changed (xor %u) was read without an error\n", at, flip);
  std::abort();
  return 0;
}
