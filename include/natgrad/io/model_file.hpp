#pragma once
/// @file The model file: the result of a fit, readable with h5py.
///
/// Layout (format "natgrad.model", schema_version 1), all written by rank 0
/// to a temporary file that is flushed and then renamed over `path`:
///   root attributes  format, schema_version, natgrad_version
///   /model           attributes type ("lda"), topics K, vocab_size V
///   /model/lambda    float64 [K, V]  Dirichlet parameters of q(β_k), row k = topic k
///   /model/alpha     float64 [K]     Dirichlet prior on θ
///   /model/eta       float64 scalar  Dirichlet prior on β (symmetric)
///   /vocab           UTF-8 strings [V]
///   /config          one string attribute per resolved job key ("solver.kappa" = "0.7")
///   /solver          attributes step, epoch, seed
///   /data            attributes train (path), num_docs, vocab_size, num_tokens
///   /history         table, one row per evaluation:
///                    step int64, epoch, seconds, rho, perplexity float64

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace natgrad::io {

inline constexpr const char* kModelFormat = "natgrad.model";
inline constexpr std::int64_t kModelSchemaVersion = 1;

/// One row of /history.
struct HistoryRow {
  std::int64_t step = 0;
  double epoch = 0.0;
  double seconds = 0.0;  ///< wall seconds of training (evaluation excluded) up to this step
  double rho = 0.0;      ///< step size of this step (NaN at step 0)
  double heldout = 0.0;  ///< held-out metric (NaN without held-out data)
};

struct ModelFileContents {
  std::string type;                 ///< model type
  Eigen::MatrixXd lambda;           ///< K × V
  Eigen::VectorXd alpha;            ///< K
  double eta = 0.0;
  std::vector<std::string> vocab;   ///< V words
  std::vector<std::pair<std::string, std::string>> config;  ///< resolved job keys
  std::int64_t step = 0;
  double epoch = 0.0;
  std::uint64_t seed = 0;
  std::string train_path;
  std::int64_t train_docs = 0;
  std::int64_t train_tokens = 0;
  std::string heldout_name = "perplexity";  ///< name of the held-out column of /history
  std::vector<HistoryRow> history;
};

/// Writes the model file atomically: `path`.tmp, flushed and synced, renamed to `path`.
/// @throws natgrad::Error naming the path if it cannot be written.
void write_model_file(const std::string& path, const ModelFileContents& contents);

}  // namespace natgrad::io
