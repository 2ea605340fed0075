#pragma once
/// @file A model family: everything natgrad knows about one model, reached
/// through one entry of the registry (models/registry.hpp). A family lives in
/// its own folders (include/natgrad/models/<type>/, src/models/<type>/,
/// tests/models/<type>/); nothing outside them and the registry names it.
///
/// A family provides
///  - its job options (model.* keys), each declared once (config::Option);
///  - the kind of data it reads, which a DataSource shards over the ranks;
///  - its Model, built from the options, the data and the communicator
///    (including any collective start);
///  - through the Model, its parameter layout (named tensors of λ) and what
///    else the model file holds (priors, derived datasets);
///  - a check of a model file of its type, and a Predictor for `natgrad
///    infer` and `natgrad evaluate` built from one;
///  - a generator of synthetic data (`natgrad synth <type>`) with its options.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/config/config.hpp"
#include "natgrad/io/data_source.hpp"
#include "natgrad/io/group.hpp"
#include "natgrad/io/model_file.hpp"
#include "natgrad/io/theta_file.hpp"
#include "natgrad/models/model.hpp"

namespace natgrad::models {

/// The settings of the local step when a model is applied to data (infer, evaluate).
struct LocalOptions {
  int max_iters = 100;  ///< --local-max-iters
  double tol = 1e-3;    ///< --local-tol
  int threads = 1;      ///< --threads
  std::int64_t top = 20;  ///< --top: columns a model ranks for each item, if it ranks them (recommendations)
};

/// A fitted model applied to data of its kind, each rank its own shard.
class Predictor {
 public:
  virtual ~Predictor() = default;
  /// The number of columns the data must have (V words, D dimensions).
  virtual std::int64_t columns() const = 0;
  /// This rank's part of the sums the held-out scores of `shard` are made of
  /// (as the fit evaluates them; the same length on every rank).
  virtual std::vector<double> score(const io::Shard& shard) = 0;
  /// The held-out metric from the sums over all ranks.
  virtual double metric(const std::vector<double>& total) const = 0;
  /// Whether score() conditions on each item's entries in the training data
  /// (a recommender scores a user's held-out items against the user's training
  /// items); false by default. The held-out data then has the training data's
  /// items (rows), and `natgrad evaluate` hands each rank its shard of the
  /// training data, the same rows, before score().
  virtual bool scores_need_training_data() const { return false; }
  virtual void use_training_data(io::Shard /*train*/) {}
  /// What `natgrad evaluate` prints, e.g. "held-out perplexity 1812.6012 of m.h5 on test.h5 (83942 held-out tokens)".
  virtual std::string report(const std::vector<double>& total, const std::string& model,
                             const std::string& data) const = 0;
  /// What the model says of each item of `shard`: the theta file's tables, one row per item.
  virtual std::vector<io::ItemTable> infer(const io::Shard& shard) = 0;
  /// The theta file's root attributes for `items` items in all.
  virtual io::Group theta_attributes(std::int64_t items) const = 0;
  /// What `natgrad infer` wrote, for its summary line: "topic proportions of 343 documents".
  virtual std::string inferred(std::int64_t items) const = 0;
  /// Measures of the model beyond the held-out score that `options` (the
  /// family's Family::evaluate_options, completed) ask `natgrad evaluate` for
  /// (LDA: topic coherence): this rank's part of the sums they are made of
  /// (the same length on every rank; empty when none is asked for), rank
  /// `rank` of `size` reading its shard of the data they are measured on.
  virtual std::vector<double> measure_partial(const config::Values& /*options*/, int /*rank*/, int /*size*/) {
    return {};
  }
  /// What `natgrad evaluate` prints of them, from the sums over all ranks.
  virtual std::string measure_report(const config::Values& /*options*/, const std::vector<double>& /*total*/,
                                     const std::string& /*model*/) const {
    return {};
  }
};

/// What `natgrad synth <type>` draws: the data, whole, and the truth to store under /truth.
struct Synthetic {
  io::Shard data;
  io::Group truth;
};

class Family {
 public:
  virtual ~Family() = default;
  /// The type name, as in model.type and the model file's /model type.
  virtual std::string type() const = 0;
  /// One line for --help and the README: "topics of a corpus".
  virtual std::string summary() const = 0;
  /// Its job options (model.* keys), in the order the resolved configuration lists them.
  virtual std::vector<config::Option> options() const = 0;
  /// The kind of data it reads.
  virtual io::DataKind data_kind() const = 0;
  /// The model of a fit, holding this rank's shards of `data`. Collective (a
  /// family may compute its start from all of the data); errors are agreed.
  virtual std::unique_ptr<Model> make_model(const config::ModelConfig& model, const config::SolverConfig& solver,
                                            io::DataSource& data, comm::Communicator& comm) const = 0;
  /// Checks what a model file of this type holds under /model (sizes, tensors,
  /// priors, /vocab). @throws natgrad::Error naming the file and the dataset or attribute at fault.
  virtual void check_file(const io::ModelFile& file) const = 0;
  /// λ's layout in a model file of this type (after check_file), from its /model attributes.
  virtual io::Layout file_layout(const io::ModelFile& file) const = 0;
  /// A predictor from a model file of this type that check_file accepted.
  virtual std::unique_ptr<Predictor> make_predictor(const io::ModelFile& file, const LocalOptions& local) const = 0;
  /// Options of `natgrad evaluate` for models of this type (written --key
  /// value), beyond the generic ones: what Predictor::measure_partial reads.
  virtual std::vector<config::Option> evaluate_options() const { return {}; }
  /// λ of a model continued from `old` (a checked model file of this type,
  /// `natgrad fit --init-model`) on data whose columns are matched to the old
  /// ones by name: new column j is old column old_of_new[j], or, where that
  /// is −1, a column that the old model does not have, which keeps its value
  /// in `fresh` (the new model's initial λ). The default continues only on
  /// the same columns (old_of_new the identity): λ is the old one.
  /// @throws natgrad::Error naming the file when `old` cannot continue the model `fresh` starts
  virtual Eigen::VectorXd continue_lambda(const io::ModelFile& old, std::span<const std::int64_t> old_of_new,
                                          const Eigen::VectorXd& fresh) const;
  /// `natgrad synth <type>`: its usage line(s) and options (written --key value).
  virtual std::string synth_usage() const = 0;
  virtual std::vector<config::Option> synth_options() const = 0;
  /// Draws synthetic data from the options (resolved and checked); a function of them alone.
  virtual Synthetic synthesize(const config::Values& options) const = 0;
};

}  // namespace natgrad::models
