#pragma once
// Internal to src/app: the checkpoint folder of a fit. One job at a time holds
// it (a lock); its checkpoints are ckpt-<step>.h5, written atomically; pruning
// keeps the newest `checkpoint.keep` of this job's run and never touches a file
// of another run.

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "natgrad/io/files.hpp"
#include "natgrad/io/model_file.hpp"

namespace natgrad::app::detail {

class CheckpointFolder {
 public:
  explicit CheckpointFolder(std::string folder) : folder_(std::move(folder)) {}

  /// The checkpoint of step `step`: FOLDER/ckpt-<step, 9 digits>.h5.
  std::string path(std::int64_t step) const;
  /// Whether `file` lies in the folder under a checkpoint's name (pruning could delete it).
  bool holds(const std::string& file) const;
  /// Creates the folder if missing, takes its lock for as long as this object
  /// lives (a second job on the folder stops here, naming the holder), checks
  /// that the folder is writable and removes the temporary files that a job
  /// killed while writing left. One process. @throws natgrad::Error naming checkpoint.path
  void open();
  /// The newest checkpoint that `accept` accepts, or "" if there is none;
  /// `accept` throws natgrad::Error to refuse one (damaged, of another run),
  /// which is skipped with a warning on `warnings` naming why.
  std::string newest(const std::function<void(const std::string&)>& accept, std::ostream& warnings) const;
  /// Writes the checkpoint of `contents.step`, then deletes the checkpoints of
  /// this run (those whose header `ours` accepts) beyond the newest `keep`.
  /// One process.
  void write(const io::ModelFile& contents, std::int64_t keep,
             const std::function<bool(const io::ModelFile&)>& ours) const;

 private:
  /// The checkpoints in the folder as (step, path), newest first.
  std::vector<std::pair<std::int64_t, std::string>> list() const;
  std::string folder_;
  std::optional<io::FolderLock> lock_;
};

}  // namespace natgrad::app::detail
