#pragma once
// Internal to src/app: the checkpoint folder of a fit, ckpt-<step>.h5 files
// written atomically, the newest `checkpoint.keep` kept.

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "natgrad/io/model_file.hpp"

namespace natgrad::app::detail {

class CheckpointFolder {
 public:
  explicit CheckpointFolder(std::string folder) : folder_(std::move(folder)) {}

  /// The checkpoint of step `step`: FOLDER/ckpt-<step, 9 digits>.h5.
  std::string path(std::int64_t step) const;
  /// Creates the folder if missing, checks that it is writable, and removes
  /// the temporary files that a job killed while writing left. One process.
  /// @throws natgrad::Error naming checkpoint.path
  void prepare() const;
  /// The newest checkpoint that can be read and that its family accepts, or
  /// "" if there is none; a damaged one is skipped with a warning on `warnings`.
  std::string newest(std::ostream& warnings) const;
  /// Writes the checkpoint of `contents.step`, then deletes all but the newest `keep`. One process.
  void write(const io::ModelFile& contents, std::int64_t keep) const;

 private:
  /// The checkpoints in the folder as (step, path), newest first.
  std::vector<std::pair<std::int64_t, std::string>> list() const;
  std::string folder_;
};

}  // namespace natgrad::app::detail
