#pragma once
// Internal to src/app: what `natgrad fit`, `infer` and `evaluate` need of each
// model type (lda, gmm), so that the commands themselves are written once.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/config/config.hpp"
#include "natgrad/io/model_file.hpp"
#include "natgrad/models/model.hpp"

namespace natgrad::app::detail {

/// Items [N·r/P, N·(r+1)/P) of rank r of P: contiguous shards that differ by at most one.
models::Range shard_of(std::int64_t n, const comm::Communicator& comm);

/// A model of the job's type holding this rank's shards, and how it goes to and
/// from the model file.
struct FitModel {
  std::unique_ptr<models::Model> model;
  io::DataFingerprint data;  ///< of the whole training data
  std::string description;   ///< e.g. "lda, K = 10, 3430 documents, 6906 words, 467714 tokens"
  std::string items;         ///< what the data are made of: "documents" or "points"
  /// Job keys that a checkpoint must have the same value for, besides model.type.
  std::vector<std::string> fit_keys;
  /// Fills the model-specific fields of the model file from λ.
  std::function<void(const Eigen::VectorXd& lambda, io::ModelFileContents& contents)> save;
  /// λ from a model file of this type. @throws natgrad::Error naming `path` if it does not fit.
  std::function<Eigen::VectorXd(const io::ModelFileContents& saved, const std::string& path)> load;
};

/// Reads this rank's shards of data.train (and data.heldout) and builds the
/// model of config.model.type, with the data-dependent parts of its prior and
/// start computed across ranks. Collective; errors are agreed.
FitModel make_fit_model(const config::FitConfig& config, comm::Communicator& comm);

/// A fitted Gaussian mixture applied to this rank's shard of a dense data file
/// (`natgrad infer` and `evaluate`). Collective; errors are agreed.
/// @param responsibilities if not null, filled with the shard's n × K responsibilities
/// @param row_ids          if not null, filled with the shard's row ids
/// @return this rank's held-out score: Σ of log predictive densities and the count of points
models::ScoreSum apply_gmm(const io::ModelFileContents& model, const std::string& data_path, comm::Communicator& comm,
                           Eigen::MatrixXd* responsibilities, std::vector<std::int64_t>* row_ids);

}  // namespace natgrad::app::detail
