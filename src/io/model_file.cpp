#include "natgrad/io/model_file.hpp"

#include <cinttypes>
#include <cmath>
#include <cstdio>

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
  file.set_attr("/solver", "docs_seen", c.docs_seen);
  file.set_attr("/solver", "train_seconds", c.train_seconds);

  file.create_group("/data");
  file.set_attr("/data", "train", c.train_path);
  file.set_attr("/data", "num_docs", c.data.num_docs);
  file.set_attr("/data", "vocab_size", c.data.vocab_size);
  file.set_attr("/data", "num_tokens", c.data.num_tokens);
  file.set_attr("/data", "checksum", checksum_text(c.data.checksum));

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

std::string ModelFileContents::config_value(const std::string& key) const {
  for (const auto& [k, v] : config) {
    if (k == key) return v;
  }
  return "";
}

std::string checksum_text(std::uint64_t checksum) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%016" PRIx64, checksum);
  return text;
}

void write_model_file(const std::string& path, const ModelFileContents& contents) {
  h5::write_file_atomically(path, [&](h5::File& file) { write_contents(file, contents); });
}

ModelFileContents read_model_file(const std::string& path) {
  const auto file = h5::File::open_read(path);
  const auto bad = [&](const std::string& what) { throw Error(path + ": " + what); };
  if (!file.has_attr("/", "format") || file.attr_string("/", "format") != kModelFormat) {
    bad(std::string("not a natgrad model or checkpoint (root attribute 'format' is not '") + kModelFormat + "')");
  }
  const std::int64_t version = file.attr_int("/", "schema_version");
  if (version != kModelSchemaVersion) {
    bad("schema_version " + std::to_string(version) + "; this natgrad reads schema_version " +
        std::to_string(kModelSchemaVersion));
  }
  ModelFileContents c;
  c.type = file.attr_string("/model", "type");
  const std::int64_t k = file.attr_int("/model", "topics");
  const std::int64_t v = file.attr_int("/model", "vocab_size");
  const auto shape = file.shape("/model/lambda");
  if (shape.size() != 2 || static_cast<std::int64_t>(shape[0]) != k || static_cast<std::int64_t>(shape[1]) != v) {
    bad("'/model/lambda' is not of shape [topics, vocab_size] = [" + std::to_string(k) + ", " + std::to_string(v) + "]");
  }
  const std::vector<double> values = file.read_all<double>("/model/lambda");
  c.lambda = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      values.data(), k, v);
  if (!(c.lambda.array() > 0).all() || !c.lambda.allFinite()) bad("'/model/lambda' has values that are not finite and > 0");
  const std::vector<double> alpha = file.read_all<double>("/model/alpha");
  if (static_cast<std::int64_t>(alpha.size()) != k) bad("'/model/alpha' does not have topics = " + std::to_string(k) + " values");
  c.alpha = Eigen::Map<const Eigen::VectorXd>(alpha.data(), k);
  c.eta = file.read_all<double>("/model/eta").at(0);
  c.vocab = file.read_strings("/vocab");
  if (static_cast<std::int64_t>(c.vocab.size()) != v) bad("'/vocab' does not have vocab_size = " + std::to_string(v) + " words");
  for (const auto& key : file.attr_names("/config")) c.config.emplace_back(key, file.attr_string("/config", key));
  c.step = file.attr_int("/solver", "step");
  c.epoch = file.attr_double("/solver", "epoch");
  c.seed = static_cast<std::uint64_t>(file.attr_int("/solver", "seed"));
  c.docs_seen = file.attr_int("/solver", "docs_seen");
  c.train_seconds = file.attr_double("/solver", "train_seconds");
  c.train_path = file.attr_string("/data", "train");
  c.data.num_docs = file.attr_int("/data", "num_docs");
  c.data.vocab_size = file.attr_int("/data", "vocab_size");
  c.data.num_tokens = file.attr_int("/data", "num_tokens");
  const std::string checksum = file.attr_string("/data", "checksum");
  if (std::sscanf(checksum.c_str(), "0x%" SCNx64, &c.data.checksum) != 1) bad("'/data' checksum '" + checksum + "' is malformed");
  const auto columns = file.columns("/history");
  if (columns.size() != 5) bad("'/history' does not have the 5 columns step, epoch, seconds, rho and a metric");
  c.heldout_name = columns[4];
  const auto steps = file.read_column<std::int64_t>("/history", "step");
  const auto epochs = file.read_column<double>("/history", "epoch");
  const auto seconds = file.read_column<double>("/history", "seconds");
  const auto rhos = file.read_column<double>("/history", "rho");
  const auto metric = file.read_column<double>("/history", c.heldout_name);
  for (std::size_t i = 0; i < steps.size(); ++i) c.history.push_back({steps[i], epochs[i], seconds[i], rhos[i], metric[i]});
  return c;
}

}  // namespace natgrad::io
