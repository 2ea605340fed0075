#pragma once
/// @file The model file, which is also the checkpoint: everything needed to
/// continue a run, readable with h5py.
///
/// Layout (format "natgrad.model", schema_version 1), written by rank 0 to a
/// temporary file that is flushed, synced and renamed over `path`:
///   root attributes  format, schema_version, natgrad_version
///   /model           attributes type ("lda" or "gmm") and the model's sizes, then
///   for lda:         attributes topics K, vocab_size V
///     /model/lambda    float64 [K, V]  Dirichlet parameters of q(β_k), row k = topic k
///     /model/alpha     float64 [K]     Dirichlet prior on θ
///     /model/eta       float64 scalar  Dirichlet prior on β (symmetric)
///     /vocab           UTF-8 strings [V]
///   for gmm:         attributes components K, dim D, covariance ("full" or "diag");
///                    see GmmGlobals for the datasets
///   /config          one string attribute per resolved job key ("solver.kappa" = "0.7")
///   /solver          attributes step, epoch, seed, docs_seen, train_seconds, lambda_scale a;
///     /solver/lambda_offset            float64 [n]  M, in the solver's flat layout of λ:
///                                      λ = η + a · M (models::GlobalParams), exactly as
///                                      the run keeps it, so that a restart continues bit for bit
///     /solver/lambda_offset_block_sum  float64 [block size]  Σ over blocks of M, as kept
///   (a file without lambda_scale, from before it, continues from a = 1, M = λ − η)
///   /data            attributes train (path), num_docs, vocab_size, num_tokens, checksum
///   /history         table, one row per evaluation:
///                    step int64, epoch, seconds, rho, <held-out metric> float64
/// Every random number natgrad draws is a function of (seed, purpose, datum
/// id, step), and the minibatch sequence and step size a function of (seed,
/// step): seed and step are the whole state of the random streams, the
/// minibatch sequence and the schedule.

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

/// What identifies a training corpus: sizes and a checksum of its content
/// that does not depend on how it is sharded.
/// For dense data: num_docs = rows N, vocab_size = columns D, num_tokens = N·D.
struct DataFingerprint {
  std::int64_t num_docs = 0;
  std::int64_t vocab_size = 0;
  std::int64_t num_tokens = 0;
  std::uint64_t checksum = 0;
};

/// The global factors of a Bayesian Gaussian mixture, in the coordinates the
/// solver updates (an affine image of the natural parameters):
/// q(π) = Dir(α) and, per component, q(μ_k, Λ_k) = N(μ_k | m_k, (β_k Λ_k)⁻¹) W(Λ_k | W_k, ν_k)
/// (diag: a Normal-Gamma per dimension, W_k diagonal).
///   /model/weight_concentration  float64 [K]        α_k
///   /model/mean_precision        float64 [K]        β_k
///   /model/degrees_of_freedom    float64 [K]        ν_k
///   /model/beta_mean             float64 [K, D]     β_k m_k
///   /model/scatter               float64 [K, D, D]  W_k⁻¹ + β_k m_k m_kᵀ  (diag: [K, D], its diagonal)
/// and, derived for readers (never read back): /model/weights [K] = E[π],
/// /model/means [K, D] = m_k, /model/covariances [K, D, D] (diag [K, D]) = W_k⁻¹ / ν_k.
///   /model/prior                 attributes weight_concentration α₀, mean_precision β₀,
///                                degrees_of_freedom ν₀; datasets mean [D] m₀, scale [D, D] (diag [D]) W₀⁻¹
struct GmmGlobals {
  bool diagonal = false;
  Eigen::VectorXd weight_concentration;  ///< K
  Eigen::VectorXd mean_precision;        ///< K
  Eigen::VectorXd degrees_of_freedom;    ///< K
  Eigen::MatrixXd beta_mean;             ///< K × D
  Eigen::MatrixXd scatter;               ///< K × D² (row k: component k's matrix, row-major) or K × D (diag)
  double prior_weight_concentration = 0.0;
  double prior_mean_precision = 0.0;
  double prior_degrees_of_freedom = 0.0;
  Eigen::VectorXd prior_mean;            ///< D
  Eigen::VectorXd prior_scale;           ///< D² (row-major) or D (diag)

  Eigen::Index components() const { return weight_concentration.size(); }
  Eigen::Index dim() const { return beta_mean.cols(); }
};

/// The state of a run: solver state and λ, with what is needed to interpret it.
struct ModelFileContents {
  std::string type;                 ///< model type: "lda" or "gmm"
  // lda
  Eigen::MatrixXd lambda;           ///< K × V
  Eigen::VectorXd alpha;            ///< K
  double eta = 0.0;
  std::vector<std::string> vocab;   ///< V words
  // gmm
  GmmGlobals gmm;
  std::vector<std::pair<std::string, std::string>> config;  ///< resolved job keys
  // the solver's form of λ (all empty in a file from before it)
  double lambda_scale = 1.0;                ///< a
  Eigen::VectorXd lambda_offset;            ///< M (n), the solver's flat layout
  Eigen::VectorXd lambda_offset_block_sum;  ///< Σ over blocks of M
  std::int64_t step = 0;
  double epoch = 0.0;
  std::uint64_t seed = 0;
  std::int64_t docs_seen = 0;       ///< documents visited by the steps so far
  double train_seconds = 0.0;       ///< training time so far
  std::string train_path;
  DataFingerprint data;
  std::string heldout_name = "perplexity";  ///< name of the held-out column of /history
  std::vector<HistoryRow> history;

  /// The value of a resolved job key, or "" if absent.
  std::string config_value(const std::string& key) const;
};

/// Writes the model file atomically: `path`.tmp, flushed and synced, renamed to `path`.
/// @throws natgrad::Error naming the path if it cannot be written.
void write_model_file(const std::string& path, const ModelFileContents& contents);

/// Reads and checks a model file or checkpoint.
/// @throws natgrad::Error naming the file and the field that is missing,
///   malformed, or of a newer schema version.
ModelFileContents read_model_file(const std::string& path);

/// The checksum as text, e.g. "0x00ff...".
std::string checksum_text(std::uint64_t checksum);

}  // namespace natgrad::io
