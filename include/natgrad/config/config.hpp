#pragma once
/// @file The parsed parameters of each command, as plain structs.
///
/// Job files are INI files; `[section] key = value` is the option
/// `section.key`, and every key can be given on the command line as
/// `--section.key value`, which wins over the file. Unknown keys, values of
/// the wrong type and values out of range are errors naming the key.
/// This is the only code that uses Boost.Program_options.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace natgrad::config {

struct ModelConfig {
  std::string type = "lda";  ///< model.type: lda | gmm
  // lda
  std::int64_t topics = 0;   ///< model.topics K ≥ 1 (required for lda)
  double alpha = 0.0;        ///< model.alpha > 0, Dirichlet prior on θ; default 1/K
  double eta = 0.0;          ///< model.eta > 0, Dirichlet prior on β; default 1/K
  // gmm; "from the data" defaults are resolved by the model, which sees the data
  std::int64_t components = 0;         ///< model.components K ≥ 1 (required for gmm)
  std::string covariance = "full";     ///< model.covariance: full | diag
  double weight_concentration = 0.0;   ///< model.weight_concentration > 0, Dirichlet prior on the weights; default 1/K
  double mean_precision = 1.0;         ///< model.mean_precision β₀ > 0
  std::vector<double> mean;            ///< model.mean m₀: D numbers, or empty for the data mean
  double degrees_of_freedom = 0.0;     ///< model.degrees_of_freedom ν₀ > D − 1, or 0 for D
  /// model.scale W₀⁻¹: one number s (s·I), D numbers (a diagonal), D² numbers
  /// (a full matrix, row by row; full covariance only), or empty for the data
  /// covariance plus 1e-6 on its diagonal.
  std::vector<double> scale;
};

struct DataConfig {
  std::string train;    ///< data.train: corpus HDF5 (required)
  std::string heldout;  ///< data.heldout: corpus HDF5 for held-out perplexity (optional)
};

/// Most OpenMP threads per rank that solver.threads and --threads accept.
inline constexpr std::int64_t kMaxThreads = 1024;

enum class Schedule { kRobbinsMonro, kConstant };

struct SolverConfig {
  std::int64_t batch_size = 256;  ///< solver.batch_size ≥ 1, over all ranks; capped at D
  Schedule schedule = Schedule::kRobbinsMonro;  ///< solver.schedule: robbins_monro | constant
  double tau0 = 10.0;             ///< solver.tau0 ≥ 0
  double kappa = 0.7;             ///< solver.kappa in (0.5, 1]
  double rho = 1.0;               ///< solver.rho in (0, 1], the constant step
  std::int64_t epochs = 1;        ///< solver.epochs ≥ 1 (unless max_steps is set)
  std::int64_t max_steps = 0;     ///< solver.max_steps ≥ 1 if set; 0: run `epochs` passes
  std::uint64_t seed = 1;         ///< solver.seed
  std::int64_t local_max_iters = 100;  ///< solver.local_max_iters ≥ 1
  double local_tol = 1e-3;        ///< solver.local_tol > 0: mean |Δγ| that stops the local step
  std::int64_t threads = 1;       ///< solver.threads in [1, kMaxThreads]: OpenMP threads per rank (lda)
};

struct EvalConfig {
  std::int64_t every_steps = 10;  ///< eval.every_steps ≥ 0; 0: only at the start and the end
};

struct OutputConfig {
  std::string model = "model.h5";  ///< output.model: path of the final model file
};

struct CheckpointConfig {
  std::string path;              ///< checkpoint.path: folder of the checkpoints ("" = none)
  std::int64_t every_steps = 0;  ///< checkpoint.every_steps ≥ 0 (0 = not by steps)
  double every_seconds = 600;    ///< checkpoint.every_seconds ≥ 0 (0 = not by time)
  std::int64_t keep = 2;         ///< checkpoint.keep ≥ 1: newest checkpoints kept
};

/// Everything `natgrad fit` needs.
struct FitConfig {
  std::string config_file;  ///< --config, if any
  std::string restart;      ///< --restart: "" (fresh start), "auto", or a checkpoint path
  ModelConfig model;
  DataConfig data;
  SolverConfig solver;
  EvalConfig eval;
  OutputConfig output;
  CheckpointConfig checkpoint;
};

/// Parses the arguments that follow `natgrad fit` (and the --config file they name).
/// @throws natgrad::Error naming the key and value at fault.
FitConfig parse_fit(const std::vector<std::string>& args);

/// Checks every range rule; called by parse_fit, and by code that builds a
/// FitConfig itself. @throws natgrad::Error naming the key, value and rule.
void validate(const FitConfig& config);

/// The whole resolved configuration as (section.key, value) pairs, in a fixed order.
std::vector<std::pair<std::string, std::string>> resolved(const FitConfig& config);

/// Help text for `natgrad fit --help`.
std::string fit_help();

/// Everything `natgrad convert` needs.
struct ConvertConfig {
  std::string format;       ///< uci | ldac | csv
  std::string input;        ///< DOCWORD (uci) or FILE (ldac, csv)
  std::string vocab;        ///< VOCAB (uci, ldac; empty for csv)
  std::string label_column;  ///< --label-column (csv only): first, last, a 1-based column N, or "" for none
  std::string out;          ///< --out
  std::int64_t split_every = 0;  ///< --split-every N ≥ 2, or 0 for no split
  std::string heldout_out;  ///< --heldout-out, required with --split-every
};

/// Parses the arguments that follow `natgrad convert`.
/// @throws natgrad::Error naming the argument at fault.
ConvertConfig parse_convert(const std::vector<std::string>& args);

/// Help text for `natgrad convert --help`.
std::string convert_help();

/// Everything `natgrad synth lda` needs.
struct SynthLdaConfig {
  std::int64_t topics = 10;        ///< --topics K ≥ 1
  std::int64_t vocab_size = 1000;  ///< --vocab V ≥ 1
  std::int64_t docs = 1000;        ///< --docs D ≥ 1
  double doc_length = 100;         ///< --doc-length: mean tokens per document > 0
  double alpha = 0.1;              ///< --alpha > 0
  double eta = 0.01;               ///< --eta > 0
  std::uint64_t seed = 1;          ///< --seed ≥ 0
  std::string out;                 ///< --out
  std::int64_t split_every = 0;    ///< --split-every N ≥ 2, or 0
  std::string heldout_out;         ///< --heldout-out, with --split-every
};

/// Parses the arguments that follow `natgrad synth lda`.
/// @throws natgrad::Error naming the argument at fault.
SynthLdaConfig parse_synth_lda(const std::vector<std::string>& args);

/// Help text for `natgrad synth lda --help`.
std::string synth_lda_help();

/// Everything `natgrad synth gmm` needs.
struct SynthGmmConfig {
  std::int64_t components = 5;     ///< --components K ≥ 1
  std::int64_t dim = 2;            ///< --dim D ≥ 1
  std::int64_t points = 1000;      ///< --points N ≥ 1
  double separation = 6.0;         ///< --separation > 0: least distance of two means, in standard deviations
  std::string covariance = "full";  ///< --covariance: full | diag
  std::uint64_t seed = 1;          ///< --seed ≥ 0
  std::string out;                 ///< --out
  std::int64_t split_every = 0;    ///< --split-every N ≥ 2, or 0
  std::string heldout_out;         ///< --heldout-out, with --split-every
};

/// Parses the arguments that follow `natgrad synth gmm`.
/// @throws natgrad::Error naming the argument at fault.
SynthGmmConfig parse_synth_gmm(const std::vector<std::string>& args);

/// Help text for `natgrad synth gmm --help`.
std::string synth_gmm_help();

/// Everything `natgrad infer` needs.
struct InferConfig {
  std::string model;                   ///< --model: a model file or checkpoint
  std::string data;                    ///< --data: a corpus with the model's vocabulary
  std::string out;                     ///< --out: the theta file
  std::int64_t local_max_iters = 100;  ///< --local-max-iters ≥ 1
  double local_tol = 1e-3;             ///< --local-tol > 0
  std::int64_t threads = 1;            ///< --threads in [1, kMaxThreads]
};

/// Parses the arguments that follow `natgrad infer` (or, without --out,
/// `natgrad evaluate`). @throws natgrad::Error naming the argument at fault.
InferConfig parse_infer(const std::vector<std::string>& args, bool needs_out = true);

/// Help text for `natgrad infer --help` and `natgrad evaluate --help`.
std::string infer_help();
std::string evaluate_help();

/// True if `args` asks for help (-h or --help).
bool wants_help(const std::vector<std::string>& args);

}  // namespace natgrad::config
