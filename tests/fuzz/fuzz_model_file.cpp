// libFuzzer target: the model/checkpoint reader, structure-aware. The input
// decides which objects a well-formed HDF5 file holds and what they hold
// (missing or extra attributes and datasets, wrong shapes, dtypes, NaN,
// negative or absurd values); read_model_file must refuse every bad one with
// natgrad::Error. (Raw byte mutation of HDF5 files mostly exercises the HDF5
// library's own parser, which 1.10.8 does not survive: see README, Fuzzing.)
#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_support.hpp"
#include "natgrad/error.hpp"
#include "natgrad/expfam/normal_wishart.hpp"
#include "natgrad/io/hdf5.hpp"
#include "natgrad/io/model_file.hpp"

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

void write(FuzzedDataProvider& in, File& f) {
  const auto k = in.ConsumeIntegralInRange<std::uint64_t>(0, 4);
  const auto v = in.ConsumeIntegralInRange<std::uint64_t>(0, 6);
  const auto maybe = [&] { return in.ConsumeIntegralInRange(0, 7) != 0; };  // mostly present
  const auto size = [&](std::uint64_t n) { return maybe() ? n : in.ConsumeIntegralInRange<std::uint64_t>(0, 7); };
  if (maybe()) f.set_attr("/", "format", maybe() ? std::string("natgrad.model") : in.ConsumeRandomLengthString(20));
  if (maybe()) f.set_attr("/", "schema_version", in.ConsumeIntegralInRange<std::int64_t>(0, 2));
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
    const natgrad::io::ModelFileContents c = natgrad::io::read_model_file(path);
    (void)c.lambda.sum();
    (void)c.lambda_offset.sum();
    // A mixture's components as a fit or infer builds them: invalid ones are refused, never a crash.
    const natgrad::io::GmmGlobals& g = c.gmm;
    for (Eigen::Index j = 0; j < g.components(); ++j) {
      if (g.diagonal) {
        natgrad::expfam::NormalGamma(Eigen::ArrayXd::Constant(g.dim(), g.mean_precision[j]), g.beta_mean.row(j).transpose().array(),
                                     g.scatter.row(j).transpose().array(), Eigen::ArrayXd::Constant(g.dim(), g.degrees_of_freedom[j]));
      } else {
        natgrad::expfam::NormalWishart(g.mean_precision[j], g.beta_mean.row(j).transpose(),
                                       Eigen::Map<const Eigen::MatrixXd>(g.scatter.row(j).eval().data(), g.dim(), g.dim()),
                                       g.degrees_of_freedom[j]);
      }
    }
  } catch (const natgrad::Error&) {
  }
  return 0;
}
