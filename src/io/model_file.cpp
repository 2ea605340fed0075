#include "natgrad/io/model_file.hpp"

#include "natgrad/error.hpp"
#include "natgrad/io/hdf5.hpp"

namespace natgrad::io {

namespace {

void write_contents(h5::File& file, const ModelFileContents& c) {
  const auto k = static_cast<std::uint64_t>(c.lambda.rows());
  const auto v = static_cast<std::uint64_t>(c.lambda.cols());
  file.set_attr("/", "format", std::string(kModelFormat));
  file.set_attr("/", "schema_version", kModelSchemaVersion);
  file.set_attr("/", "natgrad_version", std::string(NATGRAD_VERSION));

  file.create_group("/model");
  file.set_attr("/model", "type", c.type);
  file.set_attr("/model", "topics", static_cast<std::int64_t>(k));
  file.set_attr("/model", "vocab_size", static_cast<std::int64_t>(v));
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row_major = c.lambda;
  file.write<double>("/model/lambda", std::span(row_major.data(), row_major.size()), {k, v});
  file.write<double>("/model/alpha", std::span(c.alpha.data(), c.alpha.size()), {k});
  file.write_scalar("/model/eta", c.eta);
  file.write_strings("/vocab", c.vocab);

  file.create_group("/config");
  for (const auto& [key, value] : c.config) file.set_attr("/config", key, value);

  file.create_group("/solver");
  file.set_attr("/solver", "step", c.step);
  file.set_attr("/solver", "epoch", c.epoch);
  file.set_attr("/solver", "seed", static_cast<std::int64_t>(c.seed));

  file.create_group("/data");
  file.set_attr("/data", "train", c.train_path);
  file.set_attr("/data", "num_docs", c.train_docs);
  file.set_attr("/data", "vocab_size", static_cast<std::int64_t>(v));
  file.set_attr("/data", "num_tokens", c.train_tokens);

  std::vector<std::int64_t> step;
  std::vector<double> epoch, seconds, rho, heldout;
  for (const auto& row : c.history) {
    step.push_back(row.step);
    epoch.push_back(row.epoch);
    seconds.push_back(row.seconds);
    rho.push_back(row.rho);
    heldout.push_back(row.heldout);
  }
  file.write_table("/history", {{"step", step},
                                {"epoch", epoch},
                                {"seconds", seconds},
                                {"rho", rho},
                                {c.heldout_name, heldout}});
}

}  // namespace

void write_model_file(const std::string& path, const ModelFileContents& contents) {
  h5::write_file_atomically(path, [&](h5::File& file) { write_contents(file, contents); });
}

}  // namespace natgrad::io
