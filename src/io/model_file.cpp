#include "natgrad/io/model_file.hpp"

#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "natgrad/error.hpp"
#include "natgrad/io/hdf5.hpp"

namespace natgrad::io {

namespace {

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void write_vector(h5::File& file, const std::string& name, const Eigen::VectorXd& v,
                  const std::vector<std::uint64_t>& dims) {
  file.write<double>(name, std::span(v.data(), static_cast<std::size_t>(v.size())), dims);
}

void write_matrix(h5::File& file, const std::string& name, const Eigen::MatrixXd& m,
                  const std::vector<std::uint64_t>& dims) {
  const RowMajor row_major = m;
  file.write<double>(name, std::span(row_major.data(), static_cast<std::size_t>(row_major.size())), dims);
}

void write_lda(h5::File& file, const ModelFileContents& c) {
  const auto k = static_cast<std::uint64_t>(c.lambda.rows());
  const auto v = static_cast<std::uint64_t>(c.lambda.cols());
  file.set_attr("/model", "topics", static_cast<std::int64_t>(k));
  file.set_attr("/model", "vocab_size", static_cast<std::int64_t>(v));
  write_matrix(file, "/model/lambda", c.lambda, {k, v});
  write_vector(file, "/model/alpha", c.alpha, {k});
  file.write_scalar("/model/eta", c.eta);
  file.write_strings("/vocab", c.vocab);
}

// m mᵀ flattened (symmetric, so row- and column-major agree), or m² for a diagonal.
Eigen::RowVectorXd outer(const Eigen::VectorXd& m, bool diagonal) {
  if (diagonal) return m.array().square().matrix().transpose();
  const Eigen::MatrixXd mm = m * m.transpose();
  return Eigen::Map<const Eigen::RowVectorXd>(mm.data(), mm.size());
}

void write_gmm(h5::File& file, const GmmGlobals& g) {
  const auto k = static_cast<std::uint64_t>(g.components());
  const auto d = static_cast<std::uint64_t>(g.dim());
  const std::vector<std::uint64_t> matrix_dims = g.diagonal ? std::vector<std::uint64_t>{k, d}
                                                            : std::vector<std::uint64_t>{k, d, d};
  file.set_attr("/model", "components", g.components());
  file.set_attr("/model", "dim", g.dim());
  file.set_attr("/model", "covariance", std::string(g.diagonal ? "diag" : "full"));
  write_vector(file, "/model/weight_concentration", g.weight_concentration, {k});
  write_vector(file, "/model/mean_precision", g.mean_precision, {k});
  write_vector(file, "/model/degrees_of_freedom", g.degrees_of_freedom, {k});
  write_matrix(file, "/model/beta_mean", g.beta_mean, {k, d});
  write_matrix(file, "/model/scatter", g.scatter, matrix_dims);
  // Derived, for readers: E[π], m_k and W_k⁻¹/ν_k.
  write_vector(file, "/model/weights", g.weight_concentration / g.weight_concentration.sum(), {k});
  const Eigen::MatrixXd means = g.mean_precision.cwiseInverse().asDiagonal() * g.beta_mean;
  write_matrix(file, "/model/means", means, {k, d});
  Eigen::MatrixXd covariances = g.scatter;
  for (Eigen::Index c = 0; c < g.components(); ++c) {
    covariances.row(c) =
        (g.scatter.row(c) - g.mean_precision[c] * outer(means.row(c).transpose(), g.diagonal)) /
        g.degrees_of_freedom[c];
  }
  write_matrix(file, "/model/covariances", covariances, matrix_dims);
  file.create_group("/model/prior");
  file.set_attr("/model/prior", "weight_concentration", g.prior_weight_concentration);
  file.set_attr("/model/prior", "mean_precision", g.prior_mean_precision);
  file.set_attr("/model/prior", "degrees_of_freedom", g.prior_degrees_of_freedom);
  write_vector(file, "/model/prior/mean", g.prior_mean, {d});
  write_vector(file, "/model/prior/scale", g.prior_scale, g.diagonal ? std::vector<std::uint64_t>{d}
                                                                      : std::vector<std::uint64_t>{d, d});
}

void write_contents(h5::File& file, const ModelFileContents& c) {
  file.set_attr("/", "format", std::string(kModelFormat));
  file.set_attr("/", "schema_version", kModelSchemaVersion);
  file.set_attr("/", "natgrad_version", std::string(NATGRAD_VERSION));

  file.create_group("/model");
  file.set_attr("/model", "type", c.type);
  if (c.type == "gmm") {
    write_gmm(file, c.gmm);
  } else {
    write_lda(file, c);
  }

  file.create_group("/config");
  for (const auto& [key, value] : c.config) file.set_attr("/config", key, value);

  file.create_group("/solver");
  file.set_attr("/solver", "step", c.step);
  file.set_attr("/solver", "epoch", c.epoch);
  file.set_attr("/solver", "seed", static_cast<std::int64_t>(c.seed));
  file.set_attr("/solver", "docs_seen", c.docs_seen);
  file.set_attr("/solver", "train_seconds", c.train_seconds);
  if (c.lambda_offset.size() > 0) {
    file.set_attr("/solver", "lambda_scale", c.lambda_scale);
    write_vector(file, "/solver/lambda_offset", c.lambda_offset, {static_cast<std::uint64_t>(c.lambda_offset.size())});
    write_vector(file, "/solver/lambda_offset_block_sum", c.lambda_offset_block_sum,
                 {static_cast<std::uint64_t>(c.lambda_offset_block_sum.size())});
  }

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

void read_lda(const h5::File& file, ModelFileContents& c) {
  const std::string& path = file.path();
  const auto bad = [&](const std::string& what) { throw Error(path + ": " + what); };
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
}

// Reads a float64 dataset of exactly `dims`, every value finite.
Eigen::VectorXd read_exact(const h5::File& file, const std::string& name, const std::vector<std::uint64_t>& dims) {
  const auto shape = file.shape(name);
  if (shape != dims) {
    std::string expected;
    for (const auto n : dims) expected += (expected.empty() ? "" : ", ") + std::to_string(n);
    throw Error(file.path() + ": '" + name + "' is not of shape [" + expected + "]");
  }
  const std::vector<double> values = file.read_all<double>(name);
  Eigen::VectorXd out = Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
  if (!out.allFinite()) throw Error(file.path() + ": '" + name + "' has values that are not finite");
  return out;
}

// Row-major [rows, cols...] values as a rows × (product of the rest) matrix.
Eigen::MatrixXd as_rows(const Eigen::VectorXd& flat, Eigen::Index rows) {
  return Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      flat.data(), rows, rows == 0 ? 0 : flat.size() / rows);
}

GmmGlobals read_gmm(const h5::File& file) {
  const std::string& path = file.path();
  GmmGlobals g;
  const std::int64_t k = file.attr_int("/model", "components");
  const std::int64_t d = file.attr_int("/model", "dim");
  if (k < 1 || d < 1 || k > (std::int64_t{1} << 24) || d > (std::int64_t{1} << 16)) {
    throw Error(path + ": '/model' components = " + std::to_string(k) + ", dim = " + std::to_string(d) +
                "; expected 1 <= components <= 2^24 and 1 <= dim <= 2^16");
  }
  const std::string covariance = file.attr_string("/model", "covariance");
  if (covariance != "full" && covariance != "diag") {
    throw Error(path + ": '/model' covariance '" + covariance + "'; expected full or diag");
  }
  g.diagonal = covariance == "diag";
  const auto uk = static_cast<std::uint64_t>(k);
  const auto ud = static_cast<std::uint64_t>(d);
  const std::vector<std::uint64_t> matrix = g.diagonal ? std::vector<std::uint64_t>{uk, ud}
                                                       : std::vector<std::uint64_t>{uk, ud, ud};
  g.weight_concentration = read_exact(file, "/model/weight_concentration", {uk});
  g.mean_precision = read_exact(file, "/model/mean_precision", {uk});
  g.degrees_of_freedom = read_exact(file, "/model/degrees_of_freedom", {uk});
  g.beta_mean = as_rows(read_exact(file, "/model/beta_mean", {uk, ud}), k);
  g.scatter = as_rows(read_exact(file, "/model/scatter", matrix), k);
  g.prior_weight_concentration = file.attr_double("/model/prior", "weight_concentration");
  g.prior_mean_precision = file.attr_double("/model/prior", "mean_precision");
  g.prior_degrees_of_freedom = file.attr_double("/model/prior", "degrees_of_freedom");
  g.prior_mean = read_exact(file, "/model/prior/mean", {ud});
  g.prior_scale = read_exact(file, "/model/prior/scale", g.diagonal ? std::vector<std::uint64_t>{ud}
                                                                     : std::vector<std::uint64_t>{ud, ud});
  const auto positive = [&](const char* name, const Eigen::VectorXd& v) {
    if (!(v.array() > 0).all()) throw Error(path + ": '" + name + "' has values that are not > 0");
  };
  positive("/model/weight_concentration", g.weight_concentration);
  positive("/model/mean_precision", g.mean_precision);
  if (!(g.degrees_of_freedom.array() > static_cast<double>(g.diagonal ? 0 : d - 1)).all()) {
    throw Error(path + ": '/model/degrees_of_freedom' has values that are not > " +
                std::to_string(g.diagonal ? 0 : d - 1));
  }
  return g;
}

void read_common(const h5::File& file, ModelFileContents& c) {
  const std::string& path = file.path();
  const auto bad = [&](const std::string& what) { throw Error(path + ": " + what); };
  for (const auto& key : file.attr_names("/config")) c.config.emplace_back(key, file.attr_string("/config", key));
  c.step = file.attr_int("/solver", "step");
  c.epoch = file.attr_double("/solver", "epoch");
  c.seed = static_cast<std::uint64_t>(file.attr_int("/solver", "seed"));
  c.docs_seen = file.attr_int("/solver", "docs_seen");
  c.train_seconds = file.attr_double("/solver", "train_seconds");
  if (file.has_attr("/solver", "lambda_scale")) {
    c.lambda_scale = file.attr_double("/solver", "lambda_scale");
    if (!(c.lambda_scale > 0) || !std::isfinite(c.lambda_scale)) {
      bad("'/solver' lambda_scale " + std::to_string(c.lambda_scale) + " is not finite and > 0");
    }
    const auto read_1d = [&](const char* name) {
      const auto shape = file.shape(name);
      if (shape.size() != 1) bad(std::string("'") + name + "' is not 1-D");
      return read_exact(file, name, shape);
    };
    c.lambda_offset = read_1d("/solver/lambda_offset");
    c.lambda_offset_block_sum = read_1d("/solver/lambda_offset_block_sum");
    const Eigen::Index block = c.lambda_offset_block_sum.size();
    if (block == 0 || c.lambda_offset.size() % block != 0) {
      bad("'/solver/lambda_offset' has " + std::to_string(c.lambda_offset.size()) +
          " values, not a multiple of the " + std::to_string(block) + " of '/solver/lambda_offset_block_sum'");
    }
  }
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
  if (c.type == "gmm") {
    c.gmm = read_gmm(file);
  } else if (c.type == "lda") {
    read_lda(file, c);
  } else {
    bad("'/model' type '" + c.type + "' is not a model this natgrad knows (lda, gmm)");
  }
  read_common(file, c);
  return c;
}

}  // namespace natgrad::io
