#pragma once
// Internal to src/app: what more than one command needs.

#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/config/config.hpp"
#include "natgrad/io/data_source.hpp"
#include "natgrad/io/model_file.hpp"
#include "natgrad/models/family.hpp"
#include "natgrad/models/registry.hpp"

namespace natgrad::app::detail {

/// Fails now, not after hours of computing, if `path` cannot be written: tries
/// to create the temporary file that the atomic write will use. `key` names
/// the option that gave the path. @throws natgrad::Error
void check_writable(const std::string& key, const std::string& path);

/// A file a command reads or writes, and the option that named it ("data.train", "--out").
struct NamedPath {
  std::string key;
  std::string path;
};

/// Refuses, before any work, an output that is the same file as an input or
/// as another output (an empty path names nothing). @throws natgrad::Error naming both
void refuse_overwrite(const std::vector<NamedPath>& outputs, const std::vector<NamedPath>& inputs);

/// The memory this process can still have, and what limits it: the smallest
/// of what its address-space limit (RLIMIT_AS) leaves, what its cgroup's
/// memory limit leaves, and the node's available memory (MemAvailable) shared
/// among the `ranks_on_node` ranks there.
struct MemoryLimit {
  double bytes = 0.0;
  std::string what;  ///< "RLIMIT_AS", "the cgroup's limit", "MemAvailable / 2 ranks"
};
MemoryLimit memory_limit(int ranks_on_node);

/// "11.0 GB".
std::string gigabytes(double bytes);

/// `value` printed with a printf `format` ("%.2f").
std::string format_double(const char* format, double value);

/// A model file applied to this rank's shard of a data file (`natgrad infer`, `natgrad evaluate`).
struct Applied {
  models::LoadedModel model;
  std::unique_ptr<models::Predictor> predictor;
  io::Shard shard;               ///< this rank's shard of --data (rank 0: with the column and row names)
  std::optional<io::Shard> train;  ///< (only until handed to the predictor)
};

/// Reads the model file (every rank), has rank 0 check that `config.out` (if
/// any) can be written, and reads this rank's shard of `config.data` (if
/// any), which must be of the family's kind and have the model's columns (or,
/// unless `same_columns`, no more than the model: its training data, when the
/// model has more columns than they). When `scoring` and the predictor's
/// score needs the training data, hands it the same rows of that (--train, or
/// the model file's), checked to be what --data was held out from.
/// Collective; errors are agreed.
Applied apply_model(const config::InferConfig& config, comm::Communicator& comm, bool scoring,
                    bool same_columns = true);

/// `natgrad infer`'s output: what the model says of every item of the
/// shards, gathered on rank 0, which writes the theta file config.out.
/// Collective; errors are agreed.
void write_inferred(const Applied& a, const config::InferConfig& config, comm::Communicator& comm, std::ostream& out);

/// How to split what convert and synth write (all zero: no split).
struct Split {
  std::int64_t every = 0;        ///< whole items: io::split_every
  double fraction = 0.0;         ///< entries of each document: io::split_entries (corpora only)
  std::uint64_t seed = 0;        ///< of `fraction`
  std::int64_t min_entries = 0;  ///< of `fraction`
  std::string heldout_path;      ///< where the held-out part goes
};

/// Writes whole data (or its train / held-out split) and says on `out` what
/// was written; the held-out part of an entries split names the training
/// part (root attributes train_file, train_checksum).
void write_split(const io::Shard& data, const std::string& out_path, const Split& split, const std::string& source,
                 const io::Group* truth, std::ostream& out);

}  // namespace natgrad::app::detail
