#include "natgrad/config/config.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>

#include "natgrad/error.hpp"
#include "natgrad/io/dense.hpp"

namespace po = boost::program_options;

namespace natgrad::config {

namespace {

po::options_description fit_options() {
  po::options_description job("Job keys (INI [section] key = value, or --section.key value)");
  job.add_options()
      ("model.type", po::value<std::string>()->default_value("lda"),
       "model: lda (topics of a corpus) or gmm (a Bayesian Gaussian mixture of dense data)")
      ("model.topics", po::value<std::int64_t>(), "lda: number of topics K >= 1 (required)")
      ("model.alpha", po::value<double>(), "lda: Dirichlet prior on topic proportions, > 0 (default 1/K)")
      ("model.eta", po::value<double>(), "lda: Dirichlet prior on topics, > 0 (default 1/K)")
      ("model.components", po::value<std::int64_t>(), "gmm: number of components K >= 1 (required)")
      ("model.covariance", po::value<std::string>(), "gmm: full or diag (default full)")
      ("model.weight_concentration", po::value<double>(),
       "gmm: Dirichlet prior on the mixture weights, > 0 (default 1/K)")
      ("model.mean_precision", po::value<double>(), "gmm: precision scale beta0 of the prior on means, > 0 (default 1)")
      ("model.mean", po::value<std::string>(), "gmm: prior mean m0, D numbers (default: the data mean)")
      ("model.degrees_of_freedom", po::value<double>(), "gmm: Wishart degrees of freedom nu0 > D - 1 (default D)")
      ("model.scale", po::value<std::string>(),
       "gmm: Wishart inverse scale W0^-1: 1 number s (s I), D numbers (diagonal) or D*D (full, row by row) "
       "(default: the data covariance + 1e-6 I)")
      ("data.train", po::value<std::string>(),
       "training data HDF5 (required): a corpus (lda) or dense data (gmm) made by 'natgrad convert'")
      ("data.heldout", po::value<std::string>()->default_value(""), "held-out data HDF5 (optional)")
      ("solver.batch_size", po::value<std::int64_t>()->default_value(256),
       "documents per step over all ranks, >= 1 (capped at D)")
      ("solver.schedule", po::value<std::string>()->default_value("robbins_monro"),
       "step size: robbins_monro, rho_t = (tau0 + t)^-kappa, or constant, rho_t = solver.rho")
      ("solver.tau0", po::value<double>()->default_value(10.0), "delay tau0 >= 0")
      ("solver.kappa", po::value<double>()->default_value(0.7), "forgetting rate kappa in (0.5, 1]")
      ("solver.rho", po::value<double>()->default_value(1.0), "constant step in (0, 1]")
      ("solver.epochs", po::value<std::int64_t>()->default_value(1), "passes over the training data >= 1")
      ("solver.max_steps", po::value<std::int64_t>(), "number of steps >= 1 (instead of solver.epochs)")
      ("solver.seed", po::value<std::int64_t>()->default_value(1), "random seed >= 0")
      ("solver.local_max_iters", po::value<std::int64_t>()->default_value(100),
       "most iterations of the per-document step >= 1")
      ("solver.local_tol", po::value<double>()->default_value(1e-3),
       "mean absolute change of gamma that ends the per-document step, > 0")
      ("solver.threads", po::value<std::int64_t>()->default_value(1),
       "lda: OpenMP threads per rank for the per-document steps, >= 1 (results do not depend on it)")
      ("eval.every_steps", po::value<std::int64_t>()->default_value(10),
       "steps between evaluations >= 0 (0: at the start and the end only)")
      ("output.model", po::value<std::string>()->default_value("model.h5"), "path of the final model file")
      ("checkpoint.path", po::value<std::string>()->default_value(""),
       "folder of the checkpoints (created if missing; empty: no checkpoints)")
      ("checkpoint.every_steps", po::value<std::int64_t>()->default_value(0),
       "steps between checkpoints >= 0 (0: not by steps)")
      ("checkpoint.every_seconds", po::value<double>()->default_value(600.0),
       "seconds between checkpoints >= 0 (0: not by time)")
      ("checkpoint.keep", po::value<std::int64_t>()->default_value(2), "newest checkpoints kept >= 1");
  return job;
}

[[noreturn]] void bad(const std::string& key, const std::string& value, const std::string& rule) {
  throw Error(key + " = " + value + ": expected " + rule);
}

// A thread count (solver.threads, --threads) in [1, kMaxThreads].
void check_threads(const std::string& key, std::int64_t threads) {
  if (threads < 1 || threads > kMaxThreads) {
    bad(key, std::to_string(threads), "an integer in [1, " + std::to_string(kMaxThreads) + "]");
  }
}

// Shortest text that reads back as the same double.
std::string number(double v) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, v);
  return {text, result.ptr};
}

// A list of numbers separated by commas or blanks.
std::vector<double> numbers(const std::string& key, const std::string& text) {
  std::vector<double> out;
  std::size_t at = 0;
  while (true) {
    at = text.find_first_not_of(" \t,", at);
    if (at == std::string::npos) break;
    const std::size_t end = std::min(text.find_first_of(" \t,", at), text.size());
    double v = 0;
    const auto [ptr, ec] = std::from_chars(text.data() + at, text.data() + end, v);
    if (ec != std::errc() || ptr != text.data() + end || !std::isfinite(v)) {
      bad(key, text, "finite numbers separated by commas or spaces ('" + text.substr(at, end - at) + "' is not one)");
    }
    out.push_back(v);
    at = end;
  }
  if (out.empty()) bad(key, "''", "one or more numbers");
  return out;
}

// The keys of the model; each model type refuses the keys of the others.
void parse_model(const po::variables_map& vm, ModelConfig& m) {
  const bool lda = m.type == "lda";
  const bool gmm = m.type == "gmm";
  if (!lda && !gmm) bad("model.type", m.type, "lda or gmm");
  const char* const lda_keys[] = {"model.topics", "model.alpha", "model.eta"};
  const char* const gmm_keys[] = {"model.components", "model.covariance", "model.weight_concentration",
                                  "model.mean_precision", "model.mean", "model.degrees_of_freedom", "model.scale"};
  for (const char* key : lda ? std::span<const char* const>(gmm_keys) : std::span<const char* const>(lda_keys)) {
    if (vm.count(key) != 0) {
      throw Error(std::string(key) + " is not a key of model.type = " + m.type +
                  (lda ? " (it belongs to gmm)" : " (it belongs to lda)"));
    }
  }
  const auto get_double = [&](const char* key, double fallback) {
    return vm.count(key) != 0 ? vm[key].as<double>() : fallback;
  };
  const char* count_key = lda ? "model.topics" : "model.components";
  if (vm.count(count_key) == 0) {
    throw Error(std::string(count_key) + " is required (the number of " + (lda ? "topics" : "components") +
                " K >= 1)");
  }
  const std::int64_t k = vm[count_key].as<std::int64_t>();
  const double one_over_k = k > 0 ? 1.0 / static_cast<double>(k) : 1.0;
  if (lda) {
    m.topics = k;
    m.alpha = get_double("model.alpha", one_over_k);
    m.eta = get_double("model.eta", one_over_k);
    return;
  }
  m.components = k;
  if (vm.count("model.covariance") != 0) m.covariance = vm["model.covariance"].as<std::string>();
  m.weight_concentration = get_double("model.weight_concentration", one_over_k);
  m.mean_precision = get_double("model.mean_precision", 1.0);
  m.degrees_of_freedom = get_double("model.degrees_of_freedom", 0.0);
  if (vm.count("model.degrees_of_freedom") != 0 && m.degrees_of_freedom == 0.0) {
    bad("model.degrees_of_freedom", "0", "a number > D - 1");
  }
  if (vm.count("model.mean") != 0) m.mean = numbers("model.mean", vm["model.mean"].as<std::string>());
  if (vm.count("model.scale") != 0) m.scale = numbers("model.scale", vm["model.scale"].as<std::string>());
}

// Numbers as resolved() writes them: the shortest round-trip texts, comma-separated.
std::string number_list(const std::vector<double>& values) {
  std::string out;
  for (const double v : values) {
    if (!out.empty()) out += ',';
    out += number(v);
  }
  return out;
}

}  // namespace

bool wants_help(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(), [](const std::string& a) { return a == "-h" || a == "--help"; });
}

std::string fit_help() {
  std::ostringstream out;
  out << "usage: natgrad fit --config JOB.ini [--section.key value ...] [--restart auto|CHECKPOINT.h5]\n\n"
      << fit_options();
  return out.str();
}

FitConfig parse_fit(const std::vector<std::string>& args) {
  po::options_description cli("fit");
  cli.add_options()("config", po::value<std::string>(), "INI job file")(
      "restart", po::value<std::string>(), "continue from a checkpoint: a path, or 'auto'");
  cli.add(fit_options());
  po::variables_map vm;
  FitConfig c;
  try {
    const po::parsed_options parsed = po::command_line_parser(args).options(cli).run();
    // Boost drops words that are not options; they are mistakes (a job file without --config, a stray value).
    for (const auto& option : parsed.options) {
      if (option.position_key >= 0) {
        throw Error("command line: unexpected argument '" + option.value.front() +
                    "'; give the job file as --config FILE and keys as --section.key value");
      }
    }
    po::store(parsed, vm);
  } catch (const po::error& e) {
    throw Error(std::string("command line: ") + e.what());
  }
  if (vm.count("config") != 0) {
    c.config_file = vm["config"].as<std::string>();
    std::ifstream in(c.config_file);
    if (!in) throw Error(c.config_file + ": cannot open the job file");
    try {
      po::store(po::parse_config_file(in, fit_options(), false), vm);
    } catch (const po::error& e) {
      throw Error(c.config_file + ": " + e.what());
    }
  }
  po::notify(vm);

  const auto get_int = [&](const char* key) { return vm[key].as<std::int64_t>(); };
  const auto get_double = [&](const char* key) { return vm[key].as<double>(); };
  const auto get_string = [&](const char* key) { return vm[key].as<std::string>(); };
  c.model.type = get_string("model.type");
  parse_model(vm, c.model);
  if (vm.count("data.train") == 0) throw Error("data.train is required (a file made by 'natgrad convert')");
  c.data.train = get_string("data.train");
  c.data.heldout = get_string("data.heldout");
  c.solver.batch_size = get_int("solver.batch_size");
  const std::string schedule = get_string("solver.schedule");
  if (schedule == "robbins_monro") {
    c.solver.schedule = Schedule::kRobbinsMonro;
  } else if (schedule == "constant") {
    c.solver.schedule = Schedule::kConstant;
  } else {
    bad("solver.schedule", schedule, "robbins_monro or constant");
  }
  c.solver.tau0 = get_double("solver.tau0");
  c.solver.kappa = get_double("solver.kappa");
  c.solver.rho = get_double("solver.rho");
  c.solver.epochs = get_int("solver.epochs");
  if (vm.count("solver.max_steps") != 0) {
    if (!vm["solver.epochs"].defaulted()) {
      throw Error("solver.epochs and solver.max_steps are both set; set one of them");
    }
    c.solver.max_steps = get_int("solver.max_steps");
    if (c.solver.max_steps < 1) bad("solver.max_steps", std::to_string(c.solver.max_steps), "an integer >= 1");
  }
  const std::int64_t seed = get_int("solver.seed");
  if (seed < 0) bad("solver.seed", std::to_string(seed), "an integer >= 0");
  c.solver.seed = static_cast<std::uint64_t>(seed);
  c.solver.local_max_iters = get_int("solver.local_max_iters");
  c.solver.local_tol = get_double("solver.local_tol");
  c.solver.threads = get_int("solver.threads");
  c.eval.every_steps = get_int("eval.every_steps");
  c.output.model = get_string("output.model");
  c.checkpoint.path = get_string("checkpoint.path");
  c.checkpoint.every_steps = get_int("checkpoint.every_steps");
  c.checkpoint.every_seconds = get_double("checkpoint.every_seconds");
  c.checkpoint.keep = get_int("checkpoint.keep");
  if (vm.count("restart") != 0) c.restart = get_string("restart");
  validate(c);
  return c;
}

void validate(const FitConfig& c) {
  const auto positive = [](const char* key, double v) {
    if (!(std::isfinite(v) && v > 0)) bad(key, number(v), "a finite number > 0");
  };
  if (c.model.type == "lda") {
    if (c.model.topics < 1) bad("model.topics", std::to_string(c.model.topics), "an integer >= 1");
    positive("model.alpha", c.model.alpha);
    positive("model.eta", c.model.eta);
  } else if (c.model.type == "gmm") {
    if (c.model.components < 1) bad("model.components", std::to_string(c.model.components), "an integer >= 1");
    if (c.model.covariance != "full" && c.model.covariance != "diag") {
      bad("model.covariance", c.model.covariance, "full or diag");
    }
    positive("model.weight_concentration", c.model.weight_concentration);
    positive("model.mean_precision", c.model.mean_precision);
    if (c.model.degrees_of_freedom != 0.0) positive("model.degrees_of_freedom", c.model.degrees_of_freedom);
  } else {
    bad("model.type", c.model.type, "lda or gmm");
  }
  if (c.data.train.empty()) bad("data.train", "''", "the path of a corpus file");
  if (c.solver.batch_size < 1) bad("solver.batch_size", std::to_string(c.solver.batch_size), "an integer >= 1");
  if (!(std::isfinite(c.solver.tau0) && c.solver.tau0 >= 0)) bad("solver.tau0", number(c.solver.tau0), "a number >= 0");
  if (!(c.solver.kappa > 0.5 && c.solver.kappa <= 1.0)) {
    bad("solver.kappa", number(c.solver.kappa), "a number in (0.5, 1]");
  }
  if (!(c.solver.rho > 0 && c.solver.rho <= 1.0)) bad("solver.rho", number(c.solver.rho), "a number in (0, 1]");
  if (c.solver.epochs < 1) bad("solver.epochs", std::to_string(c.solver.epochs), "an integer >= 1");
  if (c.solver.max_steps < 0) bad("solver.max_steps", std::to_string(c.solver.max_steps), "an integer >= 1");
  if (c.solver.local_max_iters < 1) {
    bad("solver.local_max_iters", std::to_string(c.solver.local_max_iters), "an integer >= 1");
  }
  positive("solver.local_tol", c.solver.local_tol);
  check_threads("solver.threads", c.solver.threads);
  if (c.eval.every_steps < 0) bad("eval.every_steps", std::to_string(c.eval.every_steps), "an integer >= 0");
  if (c.output.model.empty()) bad("output.model", "''", "a file path");
  if (c.checkpoint.every_steps < 0) {
    bad("checkpoint.every_steps", std::to_string(c.checkpoint.every_steps), "an integer >= 0");
  }
  if (!(std::isfinite(c.checkpoint.every_seconds) && c.checkpoint.every_seconds >= 0)) {
    bad("checkpoint.every_seconds", number(c.checkpoint.every_seconds), "a number >= 0");
  }
  if (c.checkpoint.keep < 1) bad("checkpoint.keep", std::to_string(c.checkpoint.keep), "an integer >= 1");
  if (c.restart == "auto" && c.checkpoint.path.empty()) {
    throw Error("--restart auto needs checkpoint.path, the folder to look for checkpoints in");
  }
}

std::vector<std::pair<std::string, std::string>> resolved(const FitConfig& c) {
  std::vector<std::pair<std::string, std::string>> model = {{"model.type", c.model.type}};
  if (c.model.type == "gmm") {
    model.insert(model.end(),
                 {{"model.components", std::to_string(c.model.components)},
                  {"model.covariance", c.model.covariance},
                  {"model.weight_concentration", number(c.model.weight_concentration)},
                  {"model.mean_precision", number(c.model.mean_precision)},
                  {"model.mean", number_list(c.model.mean)},
                  {"model.degrees_of_freedom", c.model.degrees_of_freedom == 0.0 ? "" : number(c.model.degrees_of_freedom)},
                  {"model.scale", number_list(c.model.scale)}});
  } else {
    model.insert(model.end(), {{"model.topics", std::to_string(c.model.topics)},
                               {"model.alpha", number(c.model.alpha)},
                               {"model.eta", number(c.model.eta)}});
  }
  std::vector<std::pair<std::string, std::string>> rest = {
      {"data.train", c.data.train},
      {"data.heldout", c.data.heldout},
      {"solver.batch_size", std::to_string(c.solver.batch_size)},
      {"solver.schedule", c.solver.schedule == Schedule::kConstant ? "constant" : "robbins_monro"},
      {"solver.tau0", number(c.solver.tau0)},
      {"solver.kappa", number(c.solver.kappa)},
      {"solver.rho", number(c.solver.rho)},
      {"solver.epochs", std::to_string(c.solver.epochs)},
      {"solver.max_steps", std::to_string(c.solver.max_steps)},
      {"solver.seed", std::to_string(c.solver.seed)},
      {"solver.local_max_iters", std::to_string(c.solver.local_max_iters)},
      {"solver.local_tol", number(c.solver.local_tol)},
      {"solver.threads", std::to_string(c.solver.threads)},
      {"eval.every_steps", std::to_string(c.eval.every_steps)},
      {"output.model", c.output.model},
      {"checkpoint.path", c.checkpoint.path},
      {"checkpoint.every_steps", std::to_string(c.checkpoint.every_steps)},
      {"checkpoint.every_seconds", number(c.checkpoint.every_seconds)},
      {"checkpoint.keep", std::to_string(c.checkpoint.keep)},
  };
  model.insert(model.end(), rest.begin(), rest.end());
  return model;
}

namespace {

// --out, --split-every and --heldout-out, shared by convert and synth; `file`
// names what is written ("corpus", "data") and `row` what it is split into.
po::options_description output_options(const std::string& file = "corpus", const std::string& row = "document") {
  po::options_description opts("output");
  opts.add_options()
      ("out", po::value<std::string>(), (std::string("output ") + file + " HDF5 (required)").c_str())
      ("split-every", po::value<std::int64_t>(),
       (std::string("send ") + row + " i to --heldout-out when i % N == N-1 (N >= 2)").c_str())
      ("heldout-out", po::value<std::string>(),
       (std::string("output ") + file + " HDF5 of the held-out " + row + "s").c_str());
  return opts;
}

void split_options(const po::variables_map& vm, const std::string& command, std::int64_t& every,
                   std::string& heldout_out) {
  if (vm.count("split-every") != 0) {
    every = vm["split-every"].as<std::int64_t>();
    if (every < 2) throw Error(command + ": --split-every " + std::to_string(every) + ": expected an integer >= 2");
    if (vm.count("heldout-out") == 0) throw Error(command + ": --split-every needs --heldout-out TEST.h5");
    heldout_out = vm["heldout-out"].as<std::string>();
  } else if (vm.count("heldout-out") != 0) {
    throw Error(command + ": --heldout-out needs --split-every N");
  }
}

po::options_description convert_options() {
  po::options_description opts = output_options();
  opts.add_options()("label-column", po::value<std::string>(),
                     "csv only: the column of the labels, first, last or a column number N >= 1 (default: none)");
  return opts;
}

}  // namespace

std::string convert_help() {
  std::ostringstream out;
  out << "usage: natgrad convert uci DOCWORD VOCAB --out CORPUS.h5 [--split-every N --heldout-out TEST.h5]\n"
         "       natgrad convert ldac FILE VOCAB --out CORPUS.h5 [--split-every N --heldout-out TEST.h5]\n"
         "       natgrad convert csv FILE --out DATA.h5 [--label-column first|last|N]\n"
         "                           [--split-every N --heldout-out TEST.h5]\n"
         "Inputs may be plain text or gzip-compressed. A CSV file holds one row of numbers a line, with an\n"
         "optional header line of column names.\n\n"
      << convert_options();
  return out.str();
}

ConvertConfig parse_convert(const std::vector<std::string>& args) {
  po::options_description all;
  all.add(convert_options());
  all.add_options()("positional", po::value<std::vector<std::string>>(), "");
  po::positional_options_description positional;
  positional.add("positional", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
  } catch (const po::error& e) {
    throw Error(std::string("convert: ") + e.what());
  }
  const auto pos = vm.count("positional") != 0 ? vm["positional"].as<std::vector<std::string>>()
                                                : std::vector<std::string>{};
  const bool csv = !pos.empty() && pos[0] == "csv";
  if (csv ? pos.size() != 2 : pos.size() != 3 || (pos[0] != "uci" && pos[0] != "ldac")) {
    throw Error("convert: expected 'uci DOCWORD VOCAB', 'ldac FILE VOCAB' or 'csv FILE', got " +
                std::to_string(pos.size()) + " arguments" +
                (pos.empty() ? std::string() : " starting with '" + pos[0] + "'"));
  }
  ConvertConfig c;
  c.format = pos[0];
  c.input = pos[1];
  if (!csv) c.vocab = pos[2];
  if (vm.count("label-column") != 0) {
    if (!csv) throw Error("convert: --label-column is only for 'csv', not '" + c.format + "'");
    c.label_column = vm["label-column"].as<std::string>();
    try {
      io::LabelColumn::parse(c.label_column);
    } catch (const Error& e) {
      throw Error(std::string("convert: ") + e.what());
    }
  }
  if (vm.count("out") == 0) throw Error("convert: --out CORPUS.h5 is required");
  c.out = vm["out"].as<std::string>();
  split_options(vm, "convert", c.split_every, c.heldout_out);
  return c;
}

namespace {

po::options_description infer_options(bool with_out) {
  po::options_description opts("options");
  opts.add_options()
      ("model", po::value<std::string>(), "model file or checkpoint (required)")
      ("data", po::value<std::string>(), "corpus HDF5 with the model's vocabulary (required)");
  if (with_out) opts.add_options()("out", po::value<std::string>(), "output theta HDF5 (required)");
  opts.add_options()
      ("local-max-iters", po::value<std::int64_t>()->default_value(100), "most iterations per document >= 1")
      ("local-tol", po::value<double>()->default_value(1e-3), "mean absolute change of gamma that stops, > 0")
      ("threads", po::value<std::int64_t>()->default_value(1), "OpenMP threads per rank >= 1");
  return opts;
}

}  // namespace

namespace {

po::options_description synth_lda_options() {
  po::options_description opts("synth lda options");
  opts.add_options()
      ("topics", po::value<std::int64_t>()->default_value(10), "topics K >= 1")
      ("vocab", po::value<std::int64_t>()->default_value(1000), "vocabulary size V >= 1")
      ("docs", po::value<std::int64_t>()->default_value(1000), "documents D >= 1")
      ("doc-length", po::value<double>()->default_value(100.0), "mean tokens per document (Poisson) > 0")
      ("alpha", po::value<double>()->default_value(0.1), "Dirichlet concentration of theta > 0")
      ("eta", po::value<double>()->default_value(0.01), "Dirichlet concentration of the topics > 0")
      ("seed", po::value<std::int64_t>()->default_value(1), "random seed >= 0");
  opts.add(output_options());
  return opts;
}

po::options_description synth_gmm_options() {
  po::options_description opts("synth gmm options");
  opts.add_options()
      ("components", po::value<std::int64_t>()->default_value(5), "mixture components K >= 1")
      ("dim", po::value<std::int64_t>()->default_value(2), "dimension D >= 1")
      ("points", po::value<std::int64_t>()->default_value(1000), "points N >= 1")
      ("separation", po::value<double>()->default_value(6.0),
       "least distance between two true means, in units of the largest component standard deviation, > 0")
      ("covariance", po::value<std::string>()->default_value("full"), "covariance matrices: full or diag")
      ("seed", po::value<std::int64_t>()->default_value(1), "random seed >= 0");
  opts.add(output_options("data", "row"));
  return opts;
}

// Parsing shared by the synth commands; `command` ("synth lda") starts every message.
po::variables_map parse_synth(const std::vector<std::string>& args, const po::options_description& opts,
                              const std::string& command) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(opts).run(), vm);
  } catch (const po::error& e) {
    throw Error(command + ": " + e.what());
  }
  return vm;
}

std::int64_t at_least_one(const po::variables_map& vm, const char* key) {
  const std::int64_t v = vm[key].as<std::int64_t>();
  if (v < 1) bad(std::string("--") + key, std::to_string(v), "an integer >= 1");
  return v;
}

double positive(const po::variables_map& vm, const char* key) {
  const double v = vm[key].as<double>();
  if (!(std::isfinite(v) && v > 0)) bad(std::string("--") + key, number(v), "a finite number > 0");
  return v;
}

std::uint64_t seed_option(const po::variables_map& vm) {
  const std::int64_t seed = vm["seed"].as<std::int64_t>();
  if (seed < 0) bad("--seed", std::to_string(seed), "an integer >= 0");
  return static_cast<std::uint64_t>(seed);
}

// --out (`placeholder` names it in the message) and the split options.
void synth_output(const po::variables_map& vm, const std::string& command, const std::string& placeholder,
                  std::string& out, std::int64_t& split_every, std::string& heldout_out) {
  if (vm.count("out") == 0) throw Error(command + ": --out " + placeholder + " is required");
  out = vm["out"].as<std::string>();
  split_options(vm, command, split_every, heldout_out);
}

}  // namespace

std::string synth_lda_help() {
  std::ostringstream out;
  out << "usage: natgrad synth lda --topics K --vocab V --docs D --out CORPUS.h5 [options]\n"
         "Draws a corpus from LDA's generative model; the true topics go to /truth in the file.\n\n"
      << synth_lda_options();
  return out.str();
}

SynthLdaConfig parse_synth_lda(const std::vector<std::string>& args) {
  const po::variables_map vm = parse_synth(args, synth_lda_options(), "synth lda");
  SynthLdaConfig c;
  c.topics = at_least_one(vm, "topics");
  c.vocab_size = at_least_one(vm, "vocab");
  if (c.vocab_size > INT32_MAX) bad("--vocab", std::to_string(c.vocab_size), "at most 2^31 - 1");
  c.docs = at_least_one(vm, "docs");
  c.doc_length = positive(vm, "doc-length");
  c.alpha = positive(vm, "alpha");
  c.eta = positive(vm, "eta");
  c.seed = seed_option(vm);
  synth_output(vm, "synth lda", "CORPUS.h5", c.out, c.split_every, c.heldout_out);
  return c;
}

std::string synth_gmm_help() {
  std::ostringstream out;
  out << "usage: natgrad synth gmm --components K --dim D --points N --out DATA.h5 [options]\n"
         "Draws dense data from a Gaussian mixture; the labels are the true components, and the true\n"
         "weights, means and covariances go to /truth in the file.\n\n"
      << synth_gmm_options();
  return out.str();
}

SynthGmmConfig parse_synth_gmm(const std::vector<std::string>& args) {
  const po::variables_map vm = parse_synth(args, synth_gmm_options(), "synth gmm");
  SynthGmmConfig c;
  c.components = at_least_one(vm, "components");
  if (c.components > INT32_MAX) bad("--components", std::to_string(c.components), "at most 2^31 - 1");
  c.dim = at_least_one(vm, "dim");
  c.points = at_least_one(vm, "points");
  c.separation = positive(vm, "separation");
  c.covariance = vm["covariance"].as<std::string>();
  if (c.covariance != "full" && c.covariance != "diag") bad("--covariance", c.covariance, "full or diag");
  c.seed = seed_option(vm);
  synth_output(vm, "synth gmm", "DATA.h5", c.out, c.split_every, c.heldout_out);
  return c;
}

std::string infer_help() {
  std::ostringstream out;
  out << "usage: natgrad infer --model MODEL.h5 --data CORPUS.h5 --out THETA.h5\n"
         "Topic proportions of every document of CORPUS under MODEL (run under mpirun to shard them).\n\n"
      << infer_options(true);
  return out.str();
}

std::string evaluate_help() {
  std::ostringstream out;
  out << "usage: natgrad evaluate --model MODEL.h5 --data HELDOUT.h5\n"
         "Held-out perplexity of MODEL on the documents of HELDOUT (document completion: every fifth token\n"
         "of each document, in word-id order, is scored after inferring its topics on the others).\n\n"
      << infer_options(false);
  return out.str();
}

InferConfig parse_infer(const std::vector<std::string>& args, bool needs_out) {
  const std::string command = needs_out ? "infer" : "evaluate";
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(infer_options(needs_out)).run(), vm);
  } catch (const po::error& e) {
    throw Error(command + ": " + e.what());
  }
  InferConfig c;
  for (const auto& [key, field] : {std::pair{"model", &c.model}, std::pair{"data", &c.data}, std::pair{"out", &c.out}}) {
    if (vm.count(key) == 0 && (needs_out || field != &c.out)) throw Error(command + ": --" + key + " is required");
    if (vm.count(key) != 0) *field = vm[key].as<std::string>();
  }
  c.local_max_iters = vm["local-max-iters"].as<std::int64_t>();
  c.local_tol = vm["local-tol"].as<double>();
  if (c.local_max_iters < 1) bad("--local-max-iters", std::to_string(c.local_max_iters), "an integer >= 1");
  if (!(std::isfinite(c.local_tol) && c.local_tol > 0)) bad("--local-tol", number(c.local_tol), "a number > 0");
  c.threads = vm["threads"].as<std::int64_t>();
  check_threads("--threads", c.threads);
  return c;
}

}  // namespace natgrad::config
