#include "common.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>

#include "natgrad/error.hpp"
#include "natgrad/io/files.hpp"
#include "natgrad/io/model_file.hpp"
#include "natgrad/io/text_corpus.hpp"
#include "natgrad/models/registry.hpp"

namespace natgrad::app::detail {

void check_writable(const std::string& key, const std::string& path) {
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    throw Error(key + " = " + path + ": folder '" + folder.string() + "' does not exist");
  }
  const std::string probe = io::temporary_path(path);
  if (!std::ofstream(probe)) throw Error(key + " = " + path + ": folder '" + folder.string() + "' is not writable");
  std::filesystem::remove(probe, ec);
}

void refuse_overwrite(const std::vector<NamedPath>& outputs, const std::vector<NamedPath>& inputs) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const NamedPath& out = outputs[i];
    if (out.path.empty()) continue;
    for (const NamedPath& in : inputs) {
      if (!in.path.empty() && io::same_file(out.path, in.path)) {
        throw Error(out.key + " = " + out.path + " is the same file as " + in.key + " = " + in.path +
                    "; an output never overwrites an input: choose another path");
      }
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (!outputs[j].path.empty() && io::same_file(out.path, outputs[j].path)) {
        throw Error(out.key + " = " + out.path + " is the same file as " + outputs[j].key + " = " +
                    outputs[j].path + "; give each output a path of its own");
      }
    }
  }
}

namespace {

// A number of bytes from the first line of a file ("max" or unreadable: none).
std::optional<double> bytes_in(const std::string& path) {
  std::ifstream in(path);
  std::string word;
  if (!(in >> word) || word == "max") return std::nullopt;
  try {
    return std::stod(word);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// A field of /proc/self/status or /proc/meminfo in bytes ("VmSize:  1234 kB"), or none.
std::optional<double> kilobytes_field(const std::string& path, const std::string& field) {
  std::ifstream in(path);
  std::string name;
  double kb = 0;
  while (in >> name) {
    if (name == field && in >> kb) return kb * 1024.0;
    in.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}

}  // namespace

MemoryLimit memory_limit(int ranks_on_node) {
  MemoryLimit limit{std::numeric_limits<double>::infinity(), "no limit"};
  const auto consider = [&](std::optional<double> bytes, const std::string& what) {
    if (bytes && *bytes < limit.bytes) limit = {std::max(*bytes, 0.0), what};
  };
  rlimit as{};
  if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    const auto used = kilobytes_field("/proc/self/status", "VmSize:");
    consider(static_cast<double>(as.rlim_cur) - used.value_or(0.0), "its address-space limit, RLIMIT_AS");
  }
  // cgroup v2, then v1.
  if (const auto max = bytes_in("/sys/fs/cgroup/memory.max")) {
    consider(*max - bytes_in("/sys/fs/cgroup/memory.current").value_or(0.0), "its cgroup's memory limit");
  } else if (const auto v1 = bytes_in("/sys/fs/cgroup/memory/memory.limit_in_bytes"); v1 && *v1 < 1e18) {
    consider(*v1 - bytes_in("/sys/fs/cgroup/memory/memory.usage_in_bytes").value_or(0.0), "its cgroup's memory limit");
  }
  if (const auto available = kilobytes_field("/proc/meminfo", "MemAvailable:")) {
    consider(*available / std::max(ranks_on_node, 1),
             "the node's available memory" +
                 (ranks_on_node > 1 ? " shared by its " + std::to_string(ranks_on_node) + " ranks" : std::string()));
  }
  return limit;
}

std::string gigabytes(double bytes) { return format_double("%.1f", bytes / 1e9) + " GB"; }

std::string format_double(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

Applied apply_model(const config::InferConfig& config, comm::Communicator& comm, bool scoring, bool same_columns) {
  Applied a;
  io::DataInfo info;
  std::string train;
  comm::agree(comm, [&] {
    if (comm.rank() == 0) {
      refuse_overwrite({{"--out", config.out}}, {{"--model", config.model}, {"--data", config.data}});
      if (!config.out.empty()) check_writable("--out", config.out);
    }
    const Doing reading("reading the model file " + config.model);
    a.model = models::load_model_file(config.model);
    models::LocalOptions local;
    local.max_iters = static_cast<int>(config.local_max_iters);
    local.tol = config.local_tol;
    local.threads = static_cast<int>(config.threads);
    local.top = config.top;
    a.predictor = a.model.family->make_predictor(a.model.file, local);
    if (config.data.empty()) return;
    const io::DataKind kind = a.model.family->data_kind();
    info = io::read_info(kind, config.data);
    if (same_columns || info.columns > a.predictor->columns()) {
      io::require_columns(kind, config.data, info.columns, a.predictor->columns(), "the model " + config.model);
    }
    if (comm.rank() == 0) {
      // The data's columns are the model's (without same_columns, its first ones: a continued model's
      // training corpus lacks the words of the old model it did not see).
      const std::vector<std::string>& names = a.model.file.vocab;
      const bool whole = info.columns == a.predictor->columns();
      const std::size_t first = std::min(static_cast<std::size_t>(info.columns), names.size());
      const std::vector<std::string> expected =
          whole ? names : std::vector<std::string>(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(first));
      io::require_same_names(kind, config.data, info, expected, whole ? a.model.file.vocab_hash : "",
                             "the model " + config.model);
    }
    // Rank 0 reads the names too: a family's tables may name the items (a recommender's users).
    a.shard = io::read_shard(kind, config.data, info.items, comm.rank(), comm.size(), comm.rank() == 0);
    if (!scoring || !a.predictor->scores_need_training_data()) return;
    train = config.train.empty() ? a.model.file.train_path : config.train;
    const std::string key = config.train.empty() ? "the training data of " + config.model : "--train";
    std::error_code ec;
    if (!std::filesystem::exists(train, ec)) {
      throw Error(key + " = " + train + ": no such file; " + config.model + "'s held-out score conditions on each " +
                  io::nouns(kind).item + "'s training entries: give the training data with --train");
    }
    const io::DataInfo train_info = io::read_info(kind, train);
    if (train_info.items != info.items) {
      throw Error(config.data + ": " + std::to_string(info.items) + " " + io::nouns(kind).items + ", but " + key +
                  " = " + train + " has " + std::to_string(train_info.items) +
                  "; the held-out data must have the training data's " + io::nouns(kind).items);
    }
    io::require_columns(kind, train, train_info.columns, a.predictor->columns(), "the model " + config.model);
    a.train = io::read_shard(kind, train, train_info.items, comm.rank(), comm.size(), false);
  });
  if (!a.train) return a;
  std::uint64_t checksum = std::visit([](const auto& d) { return d.checksum(); }, *a.train);
  comm.allreduce_sum(std::span(&checksum, 1));
  comm::agree(comm, [&] {
    io::require_split_of(config.data, info, config.train.empty() ? "the model's training data" : "--train", train,
                         checksum);
    a.predictor->use_training_data(std::move(*a.train));
  });
  return a;
}

void write_inferred(const Applied& a, const config::InferConfig& config, comm::Communicator& comm, std::ostream& out) {
  std::vector<io::ItemTable> tables = a.predictor->infer(a.shard);
  // The gathers below need the same tables on every rank: a predictor that differs must not hang them.
  const auto count = static_cast<std::int64_t>(tables.size());
  if (comm.allreduce_min(count) != -comm.allreduce_min(-count)) {
    throw Error("natgrad infer: the ranks made different numbers of tables of " + config.data +
                " (a bug of the model family's predictor)");
  }
  // Each table's rows of every rank, in rank order: the rows of the whole data set.
  io::ThetaFile theta;
  for (io::ItemTable& table : tables) {
    table.values = comm.gather(std::move(table.values), 0);
    theta.tables.push_back(std::move(table));
  }
  double items = static_cast<double>(io::num_items(a.shard));
  comm.allreduce_sum(std::span(&items, 1));
  const auto n = static_cast<std::int64_t>(items);
  comm::agree(comm, [&] {
    if (comm.rank() != 0) return;
    const io::ModelFile& model = a.model.file;
    theta.model_type = model.type;
    theta.model_path = config.model;
    theta.model_step = model.step;
    theta.model_checksum = model.data.checksum;
    theta.data_path = config.data;
    theta.attributes = a.predictor->theta_attributes(n);
    io::write_theta_file(config.out, std::move(theta));
    out << "wrote " << config.out << ": " << a.predictor->inferred(n) << " under " << config.model << " (step "
        << model.step << ")\n";
  });
}

void write_split(const io::Shard& data, const std::string& out_path, const Split& split, const std::string& source,
                 const io::Group* truth, std::ostream& out) {
  const auto report = [&](const std::string& path, const io::Shard& part, const io::Group* extra) {
    io::write_data(path, part, source, extra);
    out << "wrote " << path << ": " << io::describe(part) << "\n";
  };
  if (split.fraction > 0) {
    const auto* corpus = std::get_if<io::Corpus>(&data);
    if (corpus == nullptr) throw Error("--holdout-fraction splits the entries of a corpus's documents, not dense data");
    const auto [train, heldout] = io::split_entries(*corpus, split.fraction, split.seed, split.min_entries);
    io::Group named = truth != nullptr ? *truth : io::Group();
    named.set("/", "train_file", out_path);
    named.set("/", "train_checksum", io::checksum_text(train.checksum()));
    report(out_path, train, truth);
    report(split.heldout_path, heldout, &named);
    return;
  }
  if (split.every == 0) {
    report(out_path, data, truth);
    return;
  }
  const auto [train, heldout] = io::split_every(data, split.every);
  report(out_path, train, truth);
  report(split.heldout_path, heldout, truth);
}

}  // namespace natgrad::app::detail
