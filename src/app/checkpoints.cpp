#include "checkpoints.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "common.hpp"
#include "natgrad/error.hpp"
#include "natgrad/models/registry.hpp"

namespace natgrad::app::detail {

namespace {

constexpr const char* kPrefix = "ckpt-";

}  // namespace

std::string CheckpointFolder::path(std::int64_t step) const {
  char name[64];
  std::snprintf(name, sizeof name, "%s%09lld.h5", kPrefix, static_cast<long long>(step));
  return (std::filesystem::path(folder_) / name).string();
}

std::vector<std::pair<std::int64_t, std::string>> CheckpointFolder::list() const {
  std::vector<std::pair<std::int64_t, std::string>> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder_, ec)) {
    const std::string name = entry.path().filename().string();
    long long step = 0;
    int used = 0;
    if (std::sscanf(name.c_str(), "ckpt-%lld.h5%n", &step, &used) == 1 && used == static_cast<int>(name.size())) {
      found.emplace_back(step, entry.path().string());
    }
  }
  std::sort(found.rbegin(), found.rend());
  return found;
}

void CheckpointFolder::prepare() const {
  std::error_code ec;
  std::filesystem::create_directories(folder_, ec);
  check_writable("checkpoint.path", path(0));
  // Left by a job killed while writing; never read.
  for (const auto& entry : std::filesystem::directory_iterator(folder_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(kPrefix) && name.ends_with(".h5.tmp")) std::filesystem::remove(entry.path(), ec);
  }
}

std::string CheckpointFolder::newest(std::ostream& warnings) const {
  for (const auto& [step, file] : list()) {
    try {
      models::load_model_file(file);
      return file;
    } catch (const Error& e) {
      warnings << "natgrad: warning: skipping checkpoint " << e.what() << "\n";
    }
  }
  return "";
}

void CheckpointFolder::write(const io::ModelFile& contents, std::int64_t keep) const {
  io::write_model_file(path(contents.step), contents);
  // Older checkpoints go only once the new one is complete.
  const auto all = list();
  for (std::size_t i = static_cast<std::size_t>(keep); i < all.size(); ++i) std::filesystem::remove(all[i].second);
}

}  // namespace natgrad::app::detail
