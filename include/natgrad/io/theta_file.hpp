#pragma once
/// @file The theta file: what a fitted model says of each item of a data set —
/// topic proportions of a corpus's documents (lda), responsibilities of dense
/// data's points (gmm).
///
/// Layout (format "natgrad.theta", schema_version 1), written atomically by rank 0:
///   root attributes  format, schema_version, model_type ("lda" or "gmm"),
///                    model (path), model_step, model_checksum (the model's
///                    training-data checksum), data (path), and
///                    lda: num_docs, topics;  gmm: num_rows, components
///   lda:
///   /theta        float64 [D, K]  E_q[θ_d] = γ_d / Σ_k γ_dk (rows sum to 1)
///   /gamma        float64 [D, K]  Dirichlet parameters of q(θ_d)
///   /doc_ids      int64 [D]       the corpus's /doc_ids
///   /doc_lengths  int64 [D]       tokens of each document
///   gmm:
///   /responsibilities  float64 [N, K]  q(z_n = k) (rows sum to 1)
///   /row_ids           int64 [N]       the data's /row_ids

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

namespace natgrad::io {

inline constexpr const char* kThetaFormat = "natgrad.theta";
inline constexpr std::int64_t kThetaSchemaVersion = 1;

struct ThetaFileContents {
  std::string model_type = "lda";
  std::string model_path;
  std::int64_t model_step = 0;
  std::uint64_t model_checksum = 0;
  std::string data_path;
  Eigen::MatrixXd gamma;             ///< lda: D × K
  Eigen::MatrixXd responsibilities;  ///< gmm: N × K
  std::vector<std::int64_t> ids;     ///< doc_ids (lda) or row_ids (gmm), one per row
  std::vector<std::int64_t> doc_lengths;  ///< lda
};

/// Writes the theta file atomically. @throws natgrad::Error naming the path.
void write_theta_file(const std::string& path, const ThetaFileContents& contents);

}  // namespace natgrad::io
