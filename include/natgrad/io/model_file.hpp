#pragma once
/// @file The model file and the checkpoint, one format: readable with h5py, and
/// λ stored once in either. A model file (natgrad fit's output.model) holds λ
/// as the family's named tensors, for readers; a checkpoint holds λ as the
/// solver keeps it, λ = B + a · M, so that a restart continues with the very
/// numbers the run had (bit for bit), and no tensors: readers (ModelFile::lambda,
/// the Python tools) form them from it. The format knows no model family: the
/// rest of /model is what the family puts there (its sizes, priors and derived
/// datasets).
///
/// Layout (format "natgrad.model", schema_version 3), written by rank 0 to a
/// temporary file that is flushed, synced and renamed over `path`:
///   root attributes  format, schema_version, natgrad_version
///   /model           attribute type (the family) and the family's attributes;
///     /model/<name>    model file: float64, one dataset per tensor of λ's layout (a topic model: lambda [K, V])
///     /model/...       the family's other datasets and groups (priors, derived datasets)
///   /layout          λ's layout: names (UTF-8 strings [T]), ranks int64 [T],
///                    dims int64 [Σ ranks] (the shapes, concatenated), offsets int64 [T],
///                    strides int64 [Σ ranks]; attribute size (n): entry (i₀, ...)
///                    of tensor t is entry offsets_t + Σ_j i_j strides_tj of the flat λ
///   /vocab           UTF-8 strings: the names of the training data's columns (if it has them)
///   /config          one string attribute per resolved job key ("solver.kappa" = "0.7")
///   /solver          attributes step, epoch, seed, docs_seen, train_seconds,
///                    first_step (the step the run started from: 0, or that of the model it continued);
///                    in a checkpoint also lambda_scale a and lambda_tail_size (the entries of M after
///                    its blocks, Model::global_tail_size; absent in older files, whose tails were
///                    shorter than a block: n mod block size), and:
///     /solver/lambda_offset            float64 [n]  M, in the flat layout of λ
///     /solver/lambda_offset_block_sum  float64 [block size]  Σ over blocks of M, as kept
///     /solver/lambda_base              float64  B, as GlobalParams keeps it: one block and the tail
///                                      when it is the same in every block, else all n entries (the
///                                      prior η, or, where the run learns it, where B has moved to)
///     /solver/lambda_base_block_sum    float64 [block size]  Σ over blocks of B, as kept
///     /solver/state    what else the solver keeps (the adaptive step size's averages, the
///                      learned priors' counters), groups, datasets and attributes
///   /data            attributes train (path), num_docs, vocab_size, num_tokens, checksum,
///                    vocab_hash (of /vocab, if the model has one)
///   /history         table, one row per evaluation:
///                    step int64, epoch, seconds, rho, <held-out metric>, <the model's
///                    further columns, if any> float64
/// Schema version 2 holds λ's tensors and, in a checkpoint, M and a (without B: B = η) too;
/// version 1 is 2 without /layout (its reader takes the layout from the family). A file without the
/// solver's form (a model file) continues from a = 1, M = λ − η. Every random number natgrad draws is
/// a function of (seed, purpose, datum id, step), and the minibatch sequence and step size a function
/// of (seed, step): seed and step are the whole state of the random streams, the minibatch sequence
/// and the Robbins-Monro schedule.

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "natgrad/io/group.hpp"
#include "natgrad/io/layout.hpp"

namespace natgrad::io {

inline constexpr const char* kModelFormat = "natgrad.model";
inline constexpr std::int64_t kModelSchemaVersion = 3;

/// One row of /history.
struct HistoryRow {
  std::int64_t step = 0;
  double epoch = 0.0;
  double seconds = 0.0;  ///< wall seconds of training (evaluation excluded) up to this step
  double rho = 0.0;      ///< step size of this step (NaN at step 0)
  double heldout = 0.0;  ///< held-out metric (NaN without held-out data)
  std::vector<double> extra;  ///< the model's further columns (ModelFile::extra_names)
};

/// What identifies the training data: sizes and a checksum of its content
/// that does not depend on how it is sharded. For a corpus: D documents, V
/// words, tokens; for dense data: N rows, D columns, N·D values.
struct DataFingerprint {
  std::int64_t num_docs = 0;
  std::int64_t vocab_size = 0;
  std::int64_t num_tokens = 0;
  std::uint64_t checksum = 0;
};

/// The state of a run: solver state and λ, with what is needed to interpret it.
struct ModelFile {
  std::int64_t schema_version = kModelSchemaVersion;  ///< as read (written: always the current one)
  std::string type;                 ///< the model family
  Layout layout;                    ///< λ's tensors (read from a schema 1 file: empty)
  Group model;                      ///< everything under /model but its type: λ's tensors and the family's content
  std::vector<std::string> vocab;   ///< /vocab (may be empty)
  std::string vocab_hash;           ///< vocabulary_hash(vocab), as /data's attribute vocab_hash stores it
  std::vector<std::pair<std::string, std::string>> config;  ///< resolved job keys
  // the solver's form of λ (all empty in a file from before it)
  double lambda_scale = 1.0;                ///< a
  Eigen::VectorXd lambda_offset;            ///< M (n), the flat layout
  Eigen::VectorXd lambda_offset_block_sum;  ///< Σ over blocks of M
  Eigen::Index lambda_tail_size = 0;        ///< entries of M after its blocks
  Eigen::VectorXd lambda_base;              ///< B (GlobalParams::compact_base), or empty (a model file, or older): B = η
  Eigen::VectorXd lambda_base_block_sum;    ///< Σ over blocks of B, as kept (with lambda_base)
  Group solver_state;  ///< /solver/state's content (absolute paths under it; the group itself not listed)
  std::int64_t step = 0;
  std::int64_t first_step = 0;      ///< the step the run started from (absent in older files: 0)
  double epoch = 0.0;
  std::uint64_t seed = 0;
  std::int64_t docs_seen = 0;       ///< data visited by the steps so far
  double train_seconds = 0.0;       ///< training time so far
  std::string train_path;
  DataFingerprint data;
  std::string heldout_name = "perplexity";  ///< name of the held-out column of /history
  std::vector<std::string> extra_names;     ///< names of the columns of /history after it
  std::vector<HistoryRow> history;

  /// The value of a resolved job key, or "" if absent.
  std::string config_value(const std::string& key) const;
  /// λ (flat, `layout.size` entries): from the tensors /model/<name> of `layout`, or, in a checkpoint,
  /// which has none, from the solver's form, B + a · M.
  /// @throws natgrad::Error naming the file and the dataset that is missing or of another shape.
  Eigen::VectorXd lambda(const Layout& layout) const;
  /// Puts λ's tensors of `layout` into `model` and records the layout.
  void set_lambda(const Layout& layout, const Eigen::VectorXd& lambda);
};

/// Writes the model file atomically (h5::write_file_atomically: a temporary
/// file unique to the process, synced, renamed to `path`).
/// @throws natgrad::Error naming the path and the cause if it cannot be written.
void write_model_file(const std::string& path, const ModelFile& contents);
/// The same, with λ's tensors of `contents.layout` (which `contents.model` does not hold) written from
/// the flat `lambda` as /model/<name>, a few MB at a time: no λ-sized array of them is made.
void write_model_file(const std::string& path, const ModelFile& contents, const Eigen::VectorXd& lambda);

/// Reads and checks the generic part of a model file or checkpoint of schema
/// version 1 or 2: everything the family put under /model is read as it is
/// (the family checks it), and every floating-point value there must be finite.
/// @throws natgrad::Error naming the file and the field that is missing,
///   malformed, or of a newer schema version.
ModelFile read_model_file(const std::string& path);

/// Reads what identifies the run a model file or checkpoint belongs to, and
/// nothing large: its type, /config, /data, the step and the first step (the
/// other fields stay empty). For choosing among checkpoints before reading one
/// whole.
/// @throws natgrad::Error as read_model_file.
ModelFile read_model_header(const std::string& path);

/// The checksum as text, e.g. "0x00ff...".
std::string checksum_text(std::uint64_t checksum);

}  // namespace natgrad::io
