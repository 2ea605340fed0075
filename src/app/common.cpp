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

Applied apply_model(const config::InferConfig& config, comm::Communicator& comm, bool same_columns) {
  Applied a;
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
    a.predictor = a.model.family->make_predictor(a.model.file, local);
    if (config.data.empty()) return;
    const io::DataKind kind = a.model.family->data_kind();
    const io::DataInfo info = io::read_info(kind, config.data);
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
    a.shard = io::read_shard(kind, config.data, info.items, comm.rank(), comm.size(), false);
  });
  return a;
}

void write_inferred(const Applied& a, const config::InferConfig& config, comm::Communicator& comm, std::ostream& out) {
  std::vector<io::ItemTable> tables = a.predictor->infer(a.shard);
  // Each table's rows of every rank, in rank order: the rows of the whole data set.
  io::ThetaFile theta;
  for (io::ItemTable& mine : tables) {
    io::ItemTable all = mine;
    comm.gather(mine.values, all.values, 0);
    theta.tables.push_back(std::move(all));
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
    io::write_theta_file(config.out, theta);
    out << "wrote " << config.out << ": " << a.predictor->inferred(n) << " under " << config.model << " (step "
        << model.step << ")\n";
  });
}

void write_split(const io::Shard& data, const std::string& out_path, std::int64_t split_every,
                 const std::string& heldout_path, const std::string& source, const io::Group* truth,
                 std::ostream& out) {
  const auto report = [&](const std::string& path, const io::Shard& part) {
    io::write_data(path, part, source, truth);
    out << "wrote " << path << ": " << io::describe(part) << "\n";
  };
  if (split_every == 0) {
    report(out_path, data);
    return;
  }
  const auto [train, heldout] = io::split_every(data, split_every);
  report(out_path, train);
  report(heldout_path, heldout);
}

}  // namespace natgrad::app::detail
