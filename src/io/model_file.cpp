#include "natgrad/io/model_file.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "natgrad/error.hpp"
#include "natgrad/io/corpus.hpp"
#include "natgrad/io/hdf5.hpp"
#include "natgrad/memory.hpp"

namespace natgrad::io {

namespace {

// Tensors of a layout at most, and dimensions of a tensor: far beyond any family's.
constexpr std::uint64_t kMostTensors = 1024;
constexpr std::int64_t kMostDimensions = 16;

std::string tensor_path(const Tensor& t) { return "/model/" + t.name; }

void write_vector(h5::File& file, const std::string& name, const Eigen::VectorXd& v) {
  file.write<double>(name, std::span(v.data(), static_cast<std::size_t>(v.size())), {static_cast<std::uint64_t>(v.size())});
}

void write_layout(h5::File& file, const Layout& layout) {
  std::vector<std::string> names;
  std::vector<std::int64_t> ranks, dims, offsets, strides;
  for (const Tensor& t : layout.tensors) {
    names.push_back(t.name);
    ranks.push_back(static_cast<std::int64_t>(t.shape.size()));
    dims.insert(dims.end(), t.shape.begin(), t.shape.end());
    offsets.push_back(t.offset);
    strides.insert(strides.end(), t.strides.begin(), t.strides.end());
  }
  file.create_group("/layout");
  file.set_attr("/layout", "size", layout.size);
  file.write_strings("/layout/names", names);
  const auto write = [&](const char* name, const std::vector<std::int64_t>& v) {
    file.write<std::int64_t>(name, v, {v.size()});
  };
  write("/layout/ranks", ranks);
  write("/layout/dims", dims);
  write("/layout/offsets", offsets);
  write("/layout/strides", strides);
}

void write_contents(h5::File& file, const ModelFile& c, const Eigen::VectorXd* lambda) {
  file.set_attr("/", "format", std::string(kModelFormat));
  file.set_attr("/", "schema_version", kModelSchemaVersion);
  file.set_attr("/", "natgrad_version", std::string(NATGRAD_VERSION));

  file.create_group("/model");
  h5::write_group(file, c.model);
  if (lambda != nullptr) {
    for (const Tensor& t : c.layout.tensors) {
      file.write_rows(tensor_path(t), t.dims(), [&](std::uint64_t first, std::uint64_t count, std::span<double> out) {
        gather_rows(t, *lambda, static_cast<std::int64_t>(first), static_cast<std::int64_t>(count), out);
      });
    }
  }
  file.set_attr("/model", "type", c.type);
  write_layout(file, c.layout);
  if (!c.vocab.empty()) file.write_strings("/vocab", c.vocab);

  file.create_group("/config");
  for (const auto& [key, value] : c.config) file.set_attr("/config", key, value);

  file.create_group("/solver");
  file.set_attr("/solver", "step", c.step);
  file.set_attr("/solver", "first_step", c.first_step);
  file.set_attr("/solver", "epoch", c.epoch);
  file.set_attr("/solver", "seed", static_cast<std::int64_t>(c.seed));
  file.set_attr("/solver", "docs_seen", c.docs_seen);
  file.set_attr("/solver", "train_seconds", c.train_seconds);
  if (c.lambda_offset.size() > 0) {
    file.set_attr("/solver", "lambda_scale", c.lambda_scale);
    write_vector(file, "/solver/lambda_offset", c.lambda_offset);
    write_vector(file, "/solver/lambda_offset_block_sum", c.lambda_offset_block_sum);
    file.set_attr("/solver", "lambda_tail_size", static_cast<std::int64_t>(c.lambda_tail_size));
  }
  if (c.lambda_base.size() > 0) {
    write_vector(file, "/solver/lambda_base", c.lambda_base);
    write_vector(file, "/solver/lambda_base_block_sum", c.lambda_base_block_sum);
  }
  if (!c.solver_state.datasets().empty() || !c.solver_state.attributes().empty()) {
    file.create_group("/solver/state");
    h5::write_group(file, c.solver_state);
  }

  file.create_group("/data");
  file.set_attr("/data", "train", c.train_path);
  file.set_attr("/data", "num_docs", c.data.num_docs);
  file.set_attr("/data", "vocab_size", c.data.vocab_size);
  file.set_attr("/data", "num_tokens", c.data.num_tokens);
  file.set_attr("/data", "checksum", checksum_text(c.data.checksum));
  if (!c.vocab.empty()) file.set_attr("/data", "vocab_hash", vocabulary_hash(c.vocab));

  std::vector<std::int64_t> step;
  std::vector<double> epoch, seconds, rho, heldout;
  std::vector<std::vector<double>> extra(c.extra_names.size());
  for (const auto& row : c.history) {
    step.push_back(row.step);
    epoch.push_back(row.epoch);
    seconds.push_back(row.seconds);
    rho.push_back(row.rho);
    heldout.push_back(row.heldout);
    if (row.extra.size() != extra.size()) throw Error("/history: a row has " + std::to_string(row.extra.size()) +
                                                      " further columns, not " + std::to_string(extra.size()));
    for (std::size_t j = 0; j < extra.size(); ++j) extra[j].push_back(row.extra[j]);
  }
  std::vector<h5::Column> columns = {{"step", step}, {"epoch", epoch}, {"seconds", seconds}, {"rho", rho},
                                     {c.heldout_name, heldout}};
  for (std::size_t j = 0; j < extra.size(); ++j) columns.push_back({c.extra_names[j], extra[j]});
  file.write_table("/history", columns);
}

// Reads a float64 dataset of one dimension, every value finite.
Eigen::VectorXd read_finite_vector(const h5::File& file, const std::string& name) {
  const auto shape = file.shape(name);
  if (shape.size() != 1) throw Error(file.path() + ": '" + name + "' is not 1-D");
  const std::vector<double> values = file.read_all<double>(name);
  Eigen::VectorXd out = Eigen::Map<const Eigen::VectorXd>(values.data(), static_cast<Eigen::Index>(values.size()));
  if (!out.allFinite()) throw Error(file.path() + ": '" + name + "' has values that are not finite");
  return out;
}

// The /layout of a file of schema 2 or later, checked against the datasets it names (a checkpoint of schema
// 3 has none: it holds λ in the solver's form, `solver_form`).
Layout read_layout(const h5::File& file, const Group& model, bool solver_form) {
  const std::string& path = file.path();
  const auto bad = [&](const std::string& what) { throw Error(path + ": '/layout' " + what); };
  Layout layout;
  layout.size = file.attr_int("/layout", "size");
  const std::vector<std::string> names = file.read_strings("/layout/names");
  if (names.size() > kMostTensors) bad("names " + std::to_string(names.size()) + " tensors, more than natgrad makes");
  const auto ints = [&](const char* name) { return file.read_all<std::int64_t>(std::string("/layout/") + name); };
  const std::vector<std::int64_t> ranks = ints("ranks"), dims = ints("dims"), offsets = ints("offsets"),
                                  strides = ints("strides");
  if (ranks.size() != names.size() || offsets.size() != names.size()) {
    bad("has " + std::to_string(names.size()) + " names, " + std::to_string(ranks.size()) + " ranks and " +
        std::to_string(offsets.size()) + " offsets");
  }
  std::size_t at = 0;
  for (std::size_t t = 0; t < names.size(); ++t) {
    const std::int64_t rank = ranks[t];
    if (rank < 0 || rank > kMostDimensions || at + static_cast<std::size_t>(rank) > dims.size() ||
        at + static_cast<std::size_t>(rank) > strides.size()) {
      bad("rank " + std::to_string(rank) + " of tensor '" + names[t] + "' does not fit its dims and strides");
    }
    Tensor tensor{names[t], {dims.begin() + static_cast<std::ptrdiff_t>(at), dims.begin() + static_cast<std::ptrdiff_t>(at + rank)},
                  offsets[t],
                  {strides.begin() + static_cast<std::ptrdiff_t>(at), strides.begin() + static_cast<std::ptrdiff_t>(at + rank)}};
    at += static_cast<std::size_t>(rank);
    if (names[t].empty() || names[t].find('/') != std::string::npos) bad("names a tensor '" + names[t] + "'");
    const Dataset* d = model.find(tensor_path(tensor));
    if (d == nullptr && !solver_form) {
      bad("names tensor '" + names[t] + "', but dataset '" + tensor_path(tensor) + "' is missing");
    }
    for (const std::int64_t n : tensor.shape) {
      if (n < 0) bad("gives tensor '" + names[t] + "' a negative size");
    }
    if (d != nullptr && d->shape != tensor.dims()) {
      bad("gives tensor '" + names[t] + "' the shape " + shape_text(tensor.dims()) + ", but '" + tensor_path(tensor) +
          "' is of shape " + shape_text(d->shape));
    }
    layout.tensors.push_back(std::move(tensor));
  }
  if (at != dims.size() || at != strides.size()) bad("has dims or strides that belong to no tensor");
  layout.check(path);
  return layout;
}

// The step of the file and the step its run started from (absent in older files: 0).
void read_steps(const h5::File& file, ModelFile& c) {
  c.step = file.attr_int("/solver", "step");
  if (file.has_attr("/solver", "first_step")) c.first_step = file.attr_int("/solver", "first_step");
  if (c.first_step < 0 || c.first_step > c.step) {
    throw Error(file.path() + ": '/solver' first_step " + std::to_string(c.first_step) + " is not in [0, step " +
                std::to_string(c.step) + "]");
  }
}

void read_solver(const h5::File& file, ModelFile& c) {
  const std::string& path = file.path();
  read_steps(file, c);
  c.epoch = file.attr_double("/solver", "epoch");
  c.seed = static_cast<std::uint64_t>(file.attr_int("/solver", "seed"));
  c.docs_seen = file.attr_int("/solver", "docs_seen");
  c.train_seconds = file.attr_double("/solver", "train_seconds");
  if (!file.has_attr("/solver", "lambda_scale")) return;
  c.lambda_scale = file.attr_double("/solver", "lambda_scale");
  if (!(c.lambda_scale > 0) || !std::isfinite(c.lambda_scale)) {
    throw Error(path + ": '/solver' lambda_scale " + std::to_string(c.lambda_scale) + " is not finite and > 0");
  }
  c.lambda_offset = read_finite_vector(file, "/solver/lambda_offset");
  c.lambda_offset_block_sum = read_finite_vector(file, "/solver/lambda_offset_block_sum");
  const Eigen::Index block = c.lambda_offset_block_sum.size();
  // λ is blocks of this size and maybe a tail (of the family's sizes, which a restart checks).
  if (block == 0 || c.lambda_offset.size() < block) {
    throw Error(path + ": '/solver/lambda_offset' has " + std::to_string(c.lambda_offset.size()) +
                " values, fewer than the block of " + std::to_string(block) + " of '/solver/lambda_offset_block_sum'");
  }
  // Written since tails could be as long as a block; before, a tail was shorter than one.
  c.lambda_tail_size = file.has_attr("/solver", "lambda_tail_size")
                           ? file.attr_int("/solver", "lambda_tail_size")
                           : c.lambda_offset.size() % block;
  if (c.lambda_tail_size < 0 || c.lambda_tail_size > c.lambda_offset.size() - block ||
      (c.lambda_offset.size() - c.lambda_tail_size) % block != 0) {
    throw Error(path + ": '/solver' lambda_tail_size " + std::to_string(c.lambda_tail_size) +
                " does not leave whole blocks of " + std::to_string(block) + " in the " +
                std::to_string(c.lambda_offset.size()) + " values of '/solver/lambda_offset'");
  }
  if (file.exists("/solver/lambda_base")) {
    c.lambda_base = read_finite_vector(file, "/solver/lambda_base");
    c.lambda_base_block_sum = read_finite_vector(file, "/solver/lambda_base_block_sum");
    const Eigen::Index n = c.lambda_offset.size();
    if ((c.lambda_base.size() != n && c.lambda_base.size() != block + c.lambda_tail_size) ||
        c.lambda_base_block_sum.size() != block) {
      throw Error(path + ": '/solver/lambda_base' has " + std::to_string(c.lambda_base.size()) +
                  " values and '/solver/lambda_base_block_sum' " + std::to_string(c.lambda_base_block_sum.size()) +
                  "; expected " + std::to_string(block + c.lambda_tail_size) + " or " + std::to_string(n) +
                  ", and " + std::to_string(block));
    }
  }
  if (file.exists("/solver/state")) c.solver_state = h5::read_group(file, "/solver/state");
  if (!c.layout.tensors.empty() && c.lambda_offset.size() != c.layout.size) {
    throw Error(path + ": '/solver/lambda_offset' has " + std::to_string(c.lambda_offset.size()) +
                " values; the layout of λ has " + std::to_string(c.layout.size));
  }
}

// What identifies the run a file belongs to: its configuration and training data.
void read_identity(const h5::File& file, ModelFile& c) {
  const std::string& path = file.path();
  const auto bad = [&](const std::string& what) { throw Error(path + ": " + what); };
  for (const auto& key : file.attr_names("/config")) c.config.emplace_back(key, file.attr_string("/config", key));
  c.train_path = file.attr_string("/data", "train");
  c.data.num_docs = file.attr_int("/data", "num_docs");
  c.data.vocab_size = file.attr_int("/data", "vocab_size");
  c.data.num_tokens = file.attr_int("/data", "num_tokens");
  const std::string checksum = file.attr_string("/data", "checksum");
  if (std::sscanf(checksum.c_str(), "0x%" SCNx64, &c.data.checksum) != 1) bad("'/data' checksum '" + checksum + "' is malformed");
}

void read_common(const h5::File& file, ModelFile& c) {
  const std::string& path = file.path();
  const auto bad = [&](const std::string& what) { throw Error(path + ": " + what); };
  read_identity(file, c);
  read_solver(file, c);
  const auto columns = file.columns("/history");
  if (columns.size() < 5 || columns[0] != "step" || columns[1] != "epoch" || columns[2] != "seconds" ||
      columns[3] != "rho") {
    bad("'/history' does not have the columns step, epoch, seconds, rho and a metric");
  }
  c.heldout_name = columns[4];
  c.extra_names.assign(columns.begin() + 5, columns.end());
  const auto steps = file.read_column<std::int64_t>("/history", "step");
  const auto epochs = file.read_column<double>("/history", "epoch");
  const auto seconds = file.read_column<double>("/history", "seconds");
  const auto rhos = file.read_column<double>("/history", "rho");
  const auto metric = file.read_column<double>("/history", c.heldout_name);
  std::vector<std::vector<double>> extra;
  for (const std::string& name : c.extra_names) extra.push_back(file.read_column<double>("/history", name));
  for (std::size_t i = 0; i < steps.size(); ++i) {
    io::HistoryRow row{steps[i], epochs[i], seconds[i], rhos[i], metric[i], {}};
    for (const auto& column : extra) row.extra.push_back(column[i]);
    c.history.push_back(std::move(row));
  }
}

}  // namespace

std::string ModelFile::config_value(const std::string& key) const {
  for (const auto& [k, v] : config) {
    if (k == key) return v;
  }
  return "";
}

Eigen::VectorXd ModelFile::lambda(const Layout& expected) const {
  // A file of schema 2 or later records the layout it was written with: it must be the family's.
  if (!layout.tensors.empty() && !(layout == expected)) {
    std::string names;
    for (const Tensor& t : expected.tensors) names += (names.empty() ? "" : ", ") + t.name + shape_text(t.dims());
    throw Error(model.file() + ": the layout of λ in '/layout' is not the one of " + type + " (" + names +
                ", " + std::to_string(expected.size) + " entries)");
  }
  const bool tensors = std::all_of(expected.tensors.begin(), expected.tensors.end(),
                                   [&](const Tensor& t) { return model.find(tensor_path(t)) != nullptr; });
  if (!tensors && lambda_base.size() > 0) {
    // A checkpoint: λ = B + a · M as the run kept it (the same sum as models::GlobalParams::dense).
    if (lambda_offset.size() != expected.size) {
      throw Error(model.file() + ": '/solver/lambda_offset' has " + std::to_string(lambda_offset.size()) +
                  " values; the layout of λ has " + std::to_string(expected.size));
    }
    // Made in one array, the base added block by block (it is often one block and the tail).
    auto out = huge_array<Eigen::VectorXd>(expected.size);
    out = lambda_scale * lambda_offset;
    const Eigen::Index n = lambda_offset.size();
    if (lambda_base.size() == n) {
      out += lambda_base;
      return out;
    }
    const Eigen::Index block = lambda_offset_block_sum.size();
    for (Eigen::Index b = 0; b < (n - lambda_tail_size) / block; ++b) {
      out.segment(b * block, block) += lambda_base.head(block);
    }
    out.tail(lambda_tail_size) += lambda_base.tail(lambda_tail_size);
    return out;
  }
  Eigen::VectorXd flat(expected.size);
  for (const Tensor& t : expected.tensors) scatter(t, model.numbers(tensor_path(t), t.dims()), flat);
  return flat;
}

void ModelFile::set_lambda(const Layout& l, const Eigen::VectorXd& flat) {
  for (const Tensor& t : l.tensors) model.add(tensor_path(t), t.dims(), gather(t, flat));
  layout = l;
}

std::string checksum_text(std::uint64_t checksum) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%016" PRIx64, checksum);
  return text;
}

void write_model_file(const std::string& path, const ModelFile& contents) {
  h5::write_file_atomically(path, [&](h5::File& file) { write_contents(file, contents, nullptr); });
}

void write_model_file(const std::string& path, const ModelFile& contents, const Eigen::VectorXd& lambda) {
  h5::write_file_atomically(path, [&](h5::File& file) { write_contents(file, contents, &lambda); });
}

namespace {

// The root of a model file: its format and schema version checked, its type.
ModelFile read_root(const h5::File& file) {
  const std::string& path = file.path();
  const auto bad = [&](const std::string& what) { throw Error(path + ": " + what); };
  if (!file.has_attr("/", "format") || file.attr_string("/", "format") != kModelFormat) {
    bad(std::string("not a natgrad model or checkpoint (root attribute 'format' is not '") + kModelFormat + "')");
  }
  ModelFile c;
  c.schema_version = file.attr_int("/", "schema_version");
  if (c.schema_version < 1 || c.schema_version > kModelSchemaVersion) {
    bad("schema_version " + std::to_string(c.schema_version) + "; this natgrad reads schema_version 1 to " +
        std::to_string(kModelSchemaVersion));
  }
  c.type = file.attr_string("/model", "type");
  return c;
}

}  // namespace

ModelFile read_model_header(const std::string& path) {
  const auto file = h5::File::open_read(path);
  ModelFile c = read_root(file);
  read_identity(file, c);
  read_steps(file, c);
  return c;
}

ModelFile read_model_file(const std::string& path) {
  const auto file = h5::File::open_read(path);
  const auto bad = [&](const std::string& what) { throw Error(path + ": " + what); };
  ModelFile c = read_root(file);
  c.model = h5::read_group(file, "/model");
  for (const Dataset& d : c.model.datasets()) {
    if (const auto* values = std::get_if<std::vector<double>>(&d.values)) {
      for (const double v : *values) {
        if (!std::isfinite(v)) bad("'" + d.name + "' has values that are not finite");
      }
    }
  }
  if (c.schema_version >= 2) c.layout = read_layout(file, c.model, file.exists("/solver/lambda_offset"));
  if (file.exists("/vocab")) {
    c.vocab = file.read_strings("/vocab");
    c.vocab_hash = vocabulary_hash(c.vocab);
    if (file.has_attr("/data", "vocab_hash") && file.attr_string("/data", "vocab_hash") != c.vocab_hash) {
      bad("'/vocab' does not match the hash of '/data' vocab_hash (a damaged file?)");
    }
  }
  read_common(file, c);
  return c;
}

}  // namespace natgrad::io
