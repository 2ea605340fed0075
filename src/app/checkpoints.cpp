#include "checkpoints.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "common.hpp"
#include "natgrad/error.hpp"

namespace natgrad::app::detail {

namespace {

constexpr const char* kPrefix = "ckpt-";

// The step of a checkpoint's file name (ckpt-<digits>.h5), or -1.
std::int64_t step_of(const std::string& name) {
  long long step = 0;
  int used = 0;
  if (std::sscanf(name.c_str(), "ckpt-%lld.h5%n", &step, &used) == 1 && used == static_cast<int>(name.size())) {
    return step;
  }
  return -1;
}

}  // namespace

std::string CheckpointFolder::path(std::int64_t step) const {
  char name[64];
  std::snprintf(name, sizeof name, "%s%09lld.h5", kPrefix, static_cast<long long>(step));
  return (std::filesystem::path(folder_) / name).string();
}

bool CheckpointFolder::holds(const std::string& file) const {
  const std::filesystem::path p(file);
  return step_of(p.filename().string()) >= 0 && io::same_file(p.parent_path().empty() ? "." : p.parent_path().string(), folder_);
}

std::vector<std::pair<std::int64_t, std::string>> CheckpointFolder::list() const {
  std::vector<std::pair<std::int64_t, std::string>> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder_, ec)) {
    const std::int64_t step = step_of(entry.path().filename().string());
    if (step >= 0) found.emplace_back(step, entry.path().string());
  }
  std::sort(found.rbegin(), found.rend());
  return found;
}

void CheckpointFolder::open() {
  std::error_code ec;
  std::filesystem::create_directories(folder_, ec);
  if (!std::filesystem::is_directory(folder_, ec)) {
    throw Error("checkpoint.path = " + folder_ + ": cannot create the folder" + (ec ? ": " + ec.message() : ""));
  }
  lock_.emplace(folder_, "checkpoint.path");
  check_writable("checkpoint.path", path(0));
  // Left by a job killed while writing (no other job writes here while this one holds the lock); never read.
  for (const auto& entry : std::filesystem::directory_iterator(folder_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(kPrefix) && name.ends_with(".tmp")) std::filesystem::remove(entry.path(), ec);
  }
}

std::string CheckpointFolder::newest(const std::function<void(const std::string&)>& accept,
                                     std::ostream& warnings) const {
  for (const auto& [step, file] : list()) {
    try {
      accept(file);
      return file;
    } catch (const Error& e) {
      warnings << "natgrad: warning: skipping checkpoint " << e.what() << "\n";
    }
  }
  return "";
}

void CheckpointFolder::write(const io::ModelFile& contents, std::int64_t keep,
                             const std::function<bool(const io::ModelFile&)>& ours) const {
  // Another run's checkpoint of the same step is never replaced (one that cannot be read is no one's to keep).
  const std::string target = path(contents.step);
  std::error_code ec;
  if (std::filesystem::exists(target, ec)) {
    bool foreign = false;
    try {
      foreign = !ours(io::read_model_header(target));
    } catch (const Error&) {
    }
    if (foreign) {
      throw Error("checkpoint.path = " + folder_ + ": " + target +
                  " belongs to another run (another model, seed, batch size or training data); natgrad does not "
                  "overwrite it: give this job a checkpoint.path of its own");
    }
  }
  io::write_model_file(target, contents);
  // Older checkpoints of this run go only once the new one is complete; another run's never.
  std::int64_t kept = 0;
  for (const auto& [step, file] : list()) {
    bool mine = false;
    try {
      mine = ours(io::read_model_header(file));
    } catch (const Error&) {
      continue;  // unreadable: not known to be this run's
    }
    if (mine && ++kept > keep) std::filesystem::remove(file);
  }
}

}  // namespace natgrad::app::detail
