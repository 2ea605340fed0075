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

#include "natgrad/config/options.hpp"
#include "natgrad/io/text_corpus.hpp"
#include "natgrad/io/raw_text.hpp"

namespace natgrad::config {

/// The model family of the job (model.type) and the values of its options
/// (the model.* keys it declares), resolved: defaults filled in; an option a
/// family leaves unset means "from the data".
struct ModelConfig {
  std::string type;  ///< model.type: a registered family
  Values values;
};

/// What the parsers know of a model family: its type name, a one-line
/// summary for --help, its job options (model.* keys and any others it
/// declares), and its options of `natgrad evaluate`.
struct ModelOptions {
  std::string type;
  std::string summary;
  std::vector<Option> options;
  std::vector<Option> evaluate_options;
};

/// The families' options, in the registry's order (the first is the default model.type).
using ModelCatalog = std::vector<ModelOptions>;

struct DataConfig {
  std::string train;    ///< data.train: the training data (required)
  std::string heldout;  ///< data.heldout: held-out data of the same kind (optional)
};

/// Most OpenMP threads per rank that solver.threads and --threads accept.
inline constexpr std::int64_t kMaxThreads = 1024;

enum class Schedule { kRobbinsMonro, kConstant, kAdaptive };

struct SolverConfig {
  std::int64_t batch_size = 256;  ///< solver.batch_size ≥ 1, over all ranks; capped at D
  Schedule schedule = Schedule::kRobbinsMonro;  ///< solver.schedule: robbins_monro | constant | adaptive
  double tau0 = 10.0;             ///< solver.tau0 ≥ 0
  double kappa = 0.7;             ///< solver.kappa in (0.5, 1]
  double rho = 1.0;               ///< solver.rho in (0, 1], the constant step
  std::int64_t epochs = 1;        ///< solver.epochs ≥ 1 (unless max_steps is set)
  std::int64_t max_steps = 0;     ///< solver.max_steps ≥ 1 if set; 0: run `epochs` passes
  std::uint64_t seed = 1;         ///< solver.seed
  std::int64_t local_max_iters = 100;  ///< solver.local_max_iters ≥ 1: most iterations of a datum's local step
  double local_tol = 1e-3;        ///< solver.local_tol > 0: the change of the local factors that stops it
  std::int64_t threads = 1;       ///< solver.threads in [1, kMaxThreads]: OpenMP threads per rank
};

struct EvalConfig {
  std::int64_t every_steps = 10;  ///< eval.every_steps ≥ 0; 0: only at the start and the end
};

struct OutputConfig {
  std::string model = "model.h5";  ///< output.model: path of the final model file
  std::string theta;               ///< output.theta: what `natgrad infer` writes of the training data ("": nothing)
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
  std::string init_model;   ///< --init-model: a model file to continue on this job's data ("": none)
  bool drop_unseen = false;     ///< --drop-unseen: the continued model drops the old columns the data lack
  bool reset_schedule = false;  ///< --reset-schedule: the continued run starts at step 0
  ModelConfig model;
  DataConfig data;
  SolverConfig solver;
  EvalConfig eval;
  OutputConfig output;
  CheckpointConfig checkpoint;
};

/// Parses the arguments that follow `natgrad fit` (and the --config file they
/// name): the generic keys and those of the family model.type names.
/// @throws natgrad::Error naming the key and value at fault.
FitConfig parse_fit(const std::vector<std::string>& args, const ModelCatalog& models);

/// Checks every range rule; called by parse_fit, and by code that builds a
/// FitConfig itself. @throws natgrad::Error naming the key, value and rule.
void validate(const FitConfig& config, const ModelCatalog& models);

/// The whole resolved configuration as (section.key, value) pairs, in a fixed
/// order: model.type, the family's keys, then the generic ones; "" for a key
/// that is not set.
std::vector<std::pair<std::string, std::string>> resolved(const FitConfig& config, const ModelCatalog& models);

/// The options of the family `type`. @throws natgrad::Error "model.type = X:
/// expected lda or gmm" (the registered types) if there is none.
const ModelOptions& family_options(const ModelCatalog& models, const std::string& type);

/// Help text for `natgrad fit --help`.
std::string fit_help(const ModelCatalog& models);

/// The README's table of job keys (Markdown rows, header included), from the
/// declarations: key, default, rule, meaning.
std::string key_table(const ModelCatalog& models);

/// Everything `natgrad convert` needs.
struct ConvertConfig {
  std::string format;       ///< uci | ldac | mm | csv | triples | text
  std::string input;        ///< DOCWORD (uci) or FILE (ldac, mm, csv, triples); the first INPUT (text)
  std::string vocab;        ///< VOCAB (uci, ldac, mm; empty for csv, triples and text)
  io::TextOptions text;     ///< text only: the inputs and how they become a corpus
  std::string label_column;  ///< --label-column (csv only): first, last, a 1-based column N, or "" for none
  io::TriplesOptions triples;  ///< --header, --user-column, --item-column, --count-column, --binarize, --min-count
  std::string out;          ///< --out
  std::int64_t split_every = 0;  ///< --split-every N ≥ 2, or 0 for no split
  std::string heldout_out;  ///< --heldout-out, required with --split-every or --holdout-fraction
  double holdout_fraction = 0.0;       ///< --holdout-fraction (corpora only), or 0
  std::int64_t holdout_min_entries = 5;  ///< --holdout-min-entries
  std::uint64_t seed = 1;              ///< --seed of --holdout-fraction
};

/// Parses the arguments that follow `natgrad convert`.
/// @throws natgrad::Error naming the argument at fault.
ConvertConfig parse_convert(const std::vector<std::string>& args);

/// Help text for `natgrad convert --help`.
std::string convert_help();

/// Everything `natgrad synth TYPE` needs: the family's synth options and where to write.
struct SynthConfig {
  Values values;                  ///< the family's options (without the leading --)
  std::string out;                ///< --out
  std::int64_t split_every = 0;   ///< --split-every N ≥ 2, or 0
  std::string heldout_out;        ///< --heldout-out, with --split-every or --holdout-fraction
  double holdout_fraction = 0.0;  ///< --holdout-fraction (corpora only; keyed by the draw's --seed), or 0
  std::int64_t holdout_min_entries = 5;  ///< --holdout-min-entries
};

/// Parses the arguments that follow `natgrad synth TYPE`; `command` ("synth
/// lda") starts every message, and `file` ("corpus", "data") names what is
/// written, `row` ("document", "row") what it is split into.
/// @throws natgrad::Error naming the argument at fault.
SynthConfig parse_synth(const std::vector<std::string>& args, const std::vector<Option>& options,
                        const std::string& command, const std::string& file, const std::string& row);

/// Help text for `natgrad synth TYPE --help`: `usage`, then the options.
std::string synth_help(const std::string& usage, const std::vector<Option>& options, const std::string& file,
                       const std::string& row);

/// Everything `natgrad infer` (and `natgrad evaluate`) needs.
struct InferConfig {
  std::string model;                   ///< --model: a model file or checkpoint
  std::string data;                    ///< --data: a corpus with the model's vocabulary (evaluate: or "")
  std::string out;                     ///< --out: the theta file
  std::int64_t local_max_iters = 100;  ///< --local-max-iters ≥ 1
  double local_tol = 1e-3;             ///< --local-tol > 0
  std::int64_t threads = 1;            ///< --threads in [1, kMaxThreads]
  std::int64_t top = 20;               ///< --top ≥ 1 (infer): columns ranked per item, for models that rank them
  std::string train;                   ///< --train (evaluate): the training data of --data's items, for models
                                       ///< whose score needs it ("": the model file's training data)
  /// evaluate: the families' options given (ModelOptions::evaluate_options), as
  /// parsed by their declarations; the model's family completes and checks them.
  Values measures;
};

/// Parses the arguments that follow `natgrad infer`. @throws natgrad::Error naming the argument at fault.
InferConfig parse_infer(const std::vector<std::string>& args);

/// Parses the arguments that follow `natgrad evaluate`: those of infer but
/// --out (and --data is optional), and the families' evaluate options.
/// @throws natgrad::Error naming the argument at fault.
InferConfig parse_evaluate(const std::vector<std::string>& args, const ModelCatalog& models);

/// The evaluate options of `family` in `given` (InferConfig::measures),
/// completed and checked; `model` names the model file in messages.
/// @throws natgrad::Error naming an option that is another family's, or a value at fault.
Values evaluate_measures(const Values& given, const ModelCatalog& models, const std::string& family,
                         const std::string& model);

/// Help text for `natgrad infer --help` and `natgrad evaluate --help`.
std::string infer_help();
std::string evaluate_help(const ModelCatalog& models);

/// True if `args` asks for help (-h or --help).
bool wants_help(const std::vector<std::string>& args);

}  // namespace natgrad::config
