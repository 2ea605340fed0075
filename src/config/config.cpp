#include "natgrad/config/config.hpp"

#include <boost/program_options.hpp>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "natgrad/error.hpp"
#include "natgrad/io/dense.hpp"
#include "natgrad/io/tokenizer.hpp"

namespace po = boost::program_options;

namespace natgrad::config {

namespace {

// A generic job key: its declaration and where its value lives in FitConfig.
struct Bound {
  Option option;
  std::function<void(FitConfig&, const Value&)> store;
  std::function<Value(const FitConfig&)> load;
  /// The value that means "not set" (solver.max_steps = 0), which validate() accepts.
  std::optional<Value> unset;
};

template <class T>
Value to_value(const T& v) {
  if constexpr (std::is_same_v<T, std::uint64_t>) {
    return static_cast<std::int64_t>(v);
  } else {
    return v;
  }
}

template <class T>
T from_value(const Value& v) {
  if constexpr (std::is_same_v<T, std::uint64_t>) {
    return static_cast<std::uint64_t>(std::get<std::int64_t>(v));
  } else {
    return std::get<T>(v);
  }
}

// A key stored in field `member` of section `section` of FitConfig.
template <class Section, class T>
Bound bind(Option option, Section FitConfig::*section, T Section::*member) {
  return {std::move(option), [=](FitConfig& c, const Value& v) { (c.*section).*member = from_value<T>(v); },
          [=](const FitConfig& c) { return to_value((c.*section).*member); }, std::nullopt};
}

// The generic keys of `natgrad fit`, in the order of resolved(); model.type and
// the families' keys come before them.
const std::vector<Bound>& generic_keys() {
  static const std::vector<Bound> keys = [] {
    using T = Type;
    std::vector<Bound> k;
    k.push_back(bind(required_option("data.train", T::kText, not_empty("the path of a data file"),
                                     "the training data: a file made by 'natgrad convert' or 'natgrad synth', of "
                                     "the kind the model reads"),
                     &FitConfig::data, &DataConfig::train));
    k.push_back(bind(option("data.heldout", T::kText, std::string(), {},
                            "held-out data of the same kind and columns, for the held-out score"),
                     &FitConfig::data, &DataConfig::heldout));
    k.push_back(bind(option("solver.batch_size", T::kInteger, std::int64_t{256}, at_least(1),
                            "data per step over all ranks (capped at the number of training data)"),
                     &FitConfig::solver, &SolverConfig::batch_size));
    const std::vector<std::pair<std::string, Schedule>> schedules = {{"robbins_monro", Schedule::kRobbinsMonro},
                                                                     {"constant", Schedule::kConstant},
                                                                     {"adaptive", Schedule::kAdaptive}};
    k.push_back({option("solver.schedule", T::kText, std::string("robbins_monro"),
                        one_of({"robbins_monro", "constant", "adaptive"}),
                        "step size: robbins_monro, rho_t = (tau0 + t)^-kappa, constant, rho_t = solver.rho, or "
                        "adaptive (Ranganath et al. 2013; see the README)"),
                 [schedules](FitConfig& c, const Value& v) {
                   for (const auto& [name, s] : schedules) {
                     if (name == std::get<std::string>(v)) c.solver.schedule = s;
                   }
                 },
                 [schedules](const FitConfig& c) {
                   for (const auto& [name, s] : schedules) {
                     if (s == c.solver.schedule) return Value(name);
                   }
                   return Value(std::string());
                 },
                 std::nullopt});
    k.push_back(bind(option("solver.tau0", T::kNumber, 10.0, non_negative(), "delay tau0 of robbins_monro"),
                     &FitConfig::solver, &SolverConfig::tau0));
    k.push_back(bind(option("solver.kappa", T::kNumber, 0.7, open_closed(0.5, 1.0), "forgetting rate kappa of robbins_monro"),
                     &FitConfig::solver, &SolverConfig::kappa));
    k.push_back(bind(option("solver.rho", T::kNumber, 1.0, open_closed(0.0, 1.0), "the step size of constant"),
                     &FitConfig::solver, &SolverConfig::rho));
    k.push_back(bind(option("solver.epochs", T::kInteger, std::int64_t{1}, at_least(1),
                            "passes over the training data (unless solver.max_steps is set)"),
                     &FitConfig::solver, &SolverConfig::epochs));
    Bound max_steps = bind(unset_option("solver.max_steps", T::kInteger, "unset", at_least(1),
                                        "number of steps, instead of solver.epochs (not both)"),
                           &FitConfig::solver, &SolverConfig::max_steps);
    max_steps.unset = std::int64_t{0};
    k.push_back(std::move(max_steps));
    k.push_back(bind(option("solver.seed", T::kInteger, std::int64_t{1}, at_least(0),
                            "seed of every random choice (never the clock)"),
                     &FitConfig::solver, &SolverConfig::seed));
    k.push_back(bind(option("solver.local_max_iters", T::kInteger, std::int64_t{100}, at_least(1),
                            "most iterations of a datum's local step (for models whose local step iterates)"),
                     &FitConfig::solver, &SolverConfig::local_max_iters));
    k.push_back(bind(option("solver.local_tol", T::kNumber, 1e-3, positive(),
                            "a datum's local step stops when the mean absolute change of its local parameters "
                            "is below this"),
                     &FitConfig::solver, &SolverConfig::local_tol));
    k.push_back(bind(option("solver.threads", T::kInteger, std::int64_t{1}, integer_in(1, kMaxThreads),
                            "OpenMP threads per rank for the local steps and the start of λ (for models that use "
                            "them); results are the same, bit for bit, whatever the number"),
                     &FitConfig::solver, &SolverConfig::threads));
    k.push_back(bind(option("eval.every_steps", T::kInteger, std::int64_t{10}, at_least(0),
                            "steps between held-out evaluations (0: at the start and the end only)"),
                     &FitConfig::eval, &EvalConfig::every_steps));
    k.push_back(bind(option("output.model", T::kText, std::string("model.h5"), not_empty("a file path"),
                            "the model file (its folder must exist and be writable)"),
                     &FitConfig::output, &OutputConfig::model));
    k.push_back(bind(option("output.theta", T::kText, std::string(), {},
                            "after the fit, what natgrad infer says of the training data, to this file (none: "
                            "nothing)"),
                     &FitConfig::output, &OutputConfig::theta));
    k.push_back(bind(option("checkpoint.path", T::kText, std::string(), {},
                            "folder of the checkpoints, created if missing (none: no checkpoints)"),
                     &FitConfig::checkpoint, &CheckpointConfig::path));
    k.push_back(bind(option("checkpoint.every_steps", T::kInteger, std::int64_t{0}, at_least(0),
                            "a checkpoint every this many steps (0: not by steps)"),
                     &FitConfig::checkpoint, &CheckpointConfig::every_steps));
    k.push_back(bind(option("checkpoint.every_seconds", T::kNumber, 600.0, non_negative(),
                            "a checkpoint when this many seconds have passed since the last (0: not by time)"),
                     &FitConfig::checkpoint, &CheckpointConfig::every_seconds));
    k.push_back(bind(option("checkpoint.keep", T::kInteger, std::int64_t{2}, at_least(1),
                            "newest checkpoints kept; older ones are deleted once a new one is complete"),
                     &FitConfig::checkpoint, &CheckpointConfig::keep));
    return k;
  }();
  return keys;
}

std::vector<std::string> type_names(const ModelCatalog& models) {
  std::vector<std::string> names;
  for (const ModelOptions& m : models) names.push_back(m.type);
  return names;
}

// model.type: one of the registered families, the first by default.
Option type_option(const ModelCatalog& models) {
  std::string help = "the model family:";
  for (std::size_t i = 0; i < models.size(); ++i) {
    help += std::string(i == 0 ? " " : ", ") + models[i].type + " (" + models[i].summary + ")";
  }
  return option("model.type", Type::kText, models.empty() ? std::string() : models.front().type,
                one_of(type_names(models)), help);
}

// Every option of the families (their job keys, or `which` of their options),
// each key once (a key that two families declare must have the same type: the
// registry's test checks it), with its families, in registry order.
std::vector<std::pair<Option, std::vector<std::string>>> family_keys(
    const ModelCatalog& models, std::vector<Option> ModelOptions::*which = &ModelOptions::options) {
  std::vector<std::pair<Option, std::vector<std::string>>> keys;
  for (const ModelOptions& m : models) {
    for (const Option& o : m.*which) {
      const auto it = std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.first.key == o.key; });
      if (it == keys.end()) {
        keys.push_back({o, {m.type}});
      } else {
        it->second.push_back(m.type);
      }
    }
  }
  return keys;
}

// The help line of an option as --help shows it.
std::string help_line(const Option& o) { return o.help + " (" + default_and_rule(o) + ")"; }

// Every key of `natgrad fit`, as Boost options taking a string each (natgrad
// converts and checks the values itself, so that every message has one form).
po::options_description job_options(const ModelCatalog& models) {
  po::options_description job("Job keys (INI [section] key = value, or --section.key value)");
  const Option type = type_option(models);
  job.add_options()(type.key.c_str(), po::value<std::string>(), help_line(type).c_str());
  for (const Bound& b : generic_keys()) {
    job.add_options()(b.option.key.c_str(), po::value<std::string>(), help_line(b.option).c_str());
  }
  for (const ModelOptions& m : models) {
    po::options_description family("Keys of model.type = " + m.type + " (" + m.summary + ")");
    for (const Option& o : m.options) {
      // A key two families share is listed with the first.
      if (job.find_nothrow(o.key, false) == nullptr) {
        family.add_options()(o.key.c_str(), po::value<std::string>(), help_line(o).c_str());
      }
    }
    job.add(family);
  }
  return job;
}

// The option declared for `key`, or null.
const Option* find_option(const ModelCatalog& models, const std::string& key) {
  if (key == "model.type") {
    static thread_local Option type;
    type = type_option(models);
    return &type;
  }
  for (const Bound& b : generic_keys()) {
    if (b.option.key == key) return &b.option;
  }
  for (const ModelOptions& m : models) {
    for (const Option& o : m.options) {
      if (o.key == key) return &o;
    }
  }
  return nullptr;
}

// The texts of the options in a parse, by key, and whether the command line gave them.
struct Given {
  std::string text;
  bool from_command_line = false;
};

void collect(const po::parsed_options& parsed, bool from_command_line, std::map<std::string, Given>& given) {
  for (const auto& option : parsed.options) {
    static const std::set<std::string> commands = {"config", "restart", "init-model", "drop-unseen", "reset-schedule"};
    if (commands.count(option.string_key) != 0 || option.value.empty()) continue;
    given[option.string_key] = {option.value.front(), from_command_line};
  }
}

}  // namespace

bool wants_help(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(), [](const std::string& a) { return a == "-h" || a == "--help"; });
}

const ModelOptions& family_options(const ModelCatalog& models, const std::string& type) {
  for (const ModelOptions& m : models) {
    if (m.type == type) return m;
  }
  bad("model.type", type, one_of(type_names(models)).text);
}

std::string fit_help(const ModelCatalog& models) {
  std::ostringstream out;
  out << "usage: natgrad fit --config JOB.ini [--section.key value ...] [--restart auto|CHECKPOINT.h5]\n"
         "                   [--init-model MODEL.h5 [--drop-unseen] [--reset-schedule]]\n"
         "--init-model continues MODEL on the job's training data: columns (words) are matched by name, new ones\n"
         "start as a fresh model's, the model's others stay (unless --drop-unseen); the step count and schedule\n"
         "go on from MODEL's (unless --reset-schedule).\n\n"
      << job_options(models);
  return out.str();
}

std::string key_table(const ModelCatalog& models) {
  std::ostringstream out;
  const auto row = [&](const Option& o, const std::string& family) {
    out << "| `" << o.key << "` | " << (o.required ? "required" : o.default_text) << " | " << o.rule.text << " | "
        << (family.empty() ? "" : family + ": ") << o.help << " |\n";
  };
  out << "| key | default | rule | meaning |\n|---|---|---|---|\n";
  row(type_option(models), "");
  for (const auto& [o, families] : family_keys(models)) {
    std::string owners;
    for (const std::string& f : families) owners += (owners.empty() ? "" : ", ") + f;
    row(o, owners);
  }
  for (const Bound& b : generic_keys()) row(b.option, "");
  return out.str();
}

FitConfig parse_fit(const std::vector<std::string>& args, const ModelCatalog& models) {
  const po::options_description job = job_options(models);
  po::options_description cli("fit");
  cli.add_options()("config", po::value<std::string>(), "INI job file")(
      "restart", po::value<std::string>(), "continue from a checkpoint: a path, or 'auto'")(
      "init-model", po::value<std::string>(), "continue this model on the job's data, its columns matched by name")(
      "drop-unseen", po::bool_switch(), "with --init-model: drop the model's columns that the data lack")(
      "reset-schedule", po::bool_switch(), "with --init-model: start the step count and schedule at 0");
  cli.add(job);
  FitConfig c;
  std::map<std::string, Given> given;
  po::variables_map vm;
  po::parsed_options parsed(nullptr);
  try {
    parsed = po::command_line_parser(args).options(cli).run();
    // Boost drops words that are not options; they are mistakes (a job file without --config, a stray value).
    for (const auto& option : parsed.options) {
      if (option.position_key >= 0) {
        throw Error("command line: unexpected argument '" + option.value.front() +
                    "'; give the job file as --config FILE and keys as --section.key value");
      }
    }
    po::store(parsed, vm);  // refuses a key given twice
  } catch (const po::error& e) {
    throw Error(std::string("command line: ") + e.what());
  }
  if (vm.count("config") != 0) {
    c.config_file = vm["config"].as<std::string>();
    std::ifstream in(c.config_file);
    if (!in) throw Error(c.config_file + ": cannot open the job file");
    try {
      po::variables_map file_vm;
      const po::parsed_options from_file = po::parse_config_file(in, job, false);
      po::store(from_file, file_vm);
      collect(from_file, false, given);
    } catch (const po::error& e) {
      throw Error(c.config_file + ": " + e.what());
    }
  }
  collect(parsed, true, given);  // the command line wins over the file
  if (vm.count("restart") != 0) c.restart = vm["restart"].as<std::string>();
  if (vm.count("init-model") != 0) c.init_model = vm["init-model"].as<std::string>();
  c.drop_unseen = vm["drop-unseen"].as<bool>();
  c.reset_schedule = vm["reset-schedule"].as<bool>();

  // The texts as values of their options' types.
  Values values;
  for (const auto& [key, g] : given) {
    const Option& o = *find_option(models, key);
    try {
      values.set(key, parse_value(o, g.text, g.from_command_line ? "--" + key : key));
    } catch (const Error& e) {
      throw Error((g.from_command_line ? std::string("command line") : c.config_file) + ": " + e.what());
    }
  }
  c.model.type = values.has("model.type") ? values.text("model.type") : type_option(models).default_text;
  const ModelOptions& family = family_options(models, c.model.type);
  // The keys of other families are mistakes in a job of this one.
  for (const auto& [o, families] : family_keys(models)) {
    if (!values.has(o.key) || std::find(families.begin(), families.end(), c.model.type) != families.end()) continue;
    throw Error(o.key + " is not a key of model.type = " + c.model.type + " (it belongs to " + families.front() + ")");
  }
  for (const Option& o : family.options) {
    if (const auto v = values.find(o.key)) c.model.values.set(o.key, *v);
  }
  complete(family.options, c.model.values, "");
  if (values.has("solver.epochs") && values.has("solver.max_steps")) {
    throw Error("solver.epochs and solver.max_steps are both set; set one of them");
  }
  std::vector<Option> generic;
  Values generic_values;
  for (const Bound& b : generic_keys()) {
    generic.push_back(b.option);
    if (const auto v = values.find(b.option.key)) generic_values.set(b.option.key, *v);
  }
  complete(generic, generic_values, "");
  for (const Bound& b : generic_keys()) {
    if (const auto v = generic_values.find(b.option.key)) b.store(c, *v);
  }
  validate(c, models);
  return c;
}

void validate(const FitConfig& c, const ModelCatalog& models) {
  const ModelOptions& family = family_options(models, c.model.type);
  for (const Option& o : family.options) {
    const auto v = c.model.values.find(o.key);
    if (!v && o.required) throw Error(o.key + " is required: " + o.help);
    if (v) check(o, *v, o.key);
  }
  for (const Bound& b : generic_keys()) {
    const Value v = b.load(c);
    if (b.unset && v == *b.unset) continue;
    check(b.option, v, b.option.key);
  }
  if (c.restart == "auto" && c.checkpoint.path.empty()) {
    throw Error("--restart auto needs checkpoint.path, the folder to look for checkpoints in");
  }
  if (c.init_model.empty() && (c.drop_unseen || c.reset_schedule)) {
    throw Error(std::string(c.drop_unseen ? "--drop-unseen" : "--reset-schedule") + " needs --init-model MODEL.h5");
  }
}

std::vector<std::pair<std::string, std::string>> resolved(const FitConfig& c, const ModelCatalog& models) {
  std::vector<std::pair<std::string, std::string>> out = {{"model.type", c.model.type}};
  for (const Option& o : family_options(models, c.model.type).options) {
    const auto v = c.model.values.find(o.key);
    out.emplace_back(o.key, v ? text_of(*v) : std::string());
  }
  for (const Bound& b : generic_keys()) out.emplace_back(b.option.key, text_of(b.load(c)));
  return out;
}

namespace {

// --out and the splits (--split-every, --holdout-fraction, --heldout-out),
// shared by convert and synth; `file` names what is written ("corpus",
// "data") and `row` what it is split into.
po::options_description output_options(const std::string& file = "corpus", const std::string& row = "document") {
  po::options_description opts("output");
  opts.add_options()
      ("out", po::value<std::string>(), (std::string("output ") + file + " HDF5 (required)").c_str())
      ("split-every", po::value<std::int64_t>(),
       (std::string("send ") + row + " i to --heldout-out when i % N == N-1 (N >= 2)").c_str())
      ("holdout-fraction", po::value<double>(),
       "corpora: send this fraction F in (0, 1) of each document's entries (a user's items) to --heldout-out; "
       "both files keep every document and word")
      ("holdout-min-entries", po::value<std::int64_t>(),
       "with --holdout-fraction: documents with fewer entries stay whole in --out (default 5, at least 2)")
      ("heldout-out", po::value<std::string>(),
       (std::string("output ") + file + " HDF5 of the held-out " + row + "s or entries").c_str());
  return opts;
}

// The split options; `fraction` and `min_entries` are left alone without --holdout-fraction.
void split_options(const po::variables_map& vm, const std::string& command, std::int64_t& every,
                   std::string& heldout_out, double& fraction, std::int64_t& min_entries) {
  const bool by_items = vm.count("split-every") != 0;
  const bool by_entries = vm.count("holdout-fraction") != 0;
  if (by_items && by_entries) throw Error(command + ": --split-every and --holdout-fraction are two splits; give one");
  if (by_items) {
    every = vm["split-every"].as<std::int64_t>();
    if (every < 2) throw Error(command + ": --split-every " + std::to_string(every) + ": expected an integer >= 2");
  }
  if (by_entries) {
    fraction = vm["holdout-fraction"].as<double>();
    if (!(fraction > 0.0 && fraction < 1.0)) {
      throw Error(command + ": --holdout-fraction " + number_text(fraction) + ": expected a number in (0, 1)");
    }
  }
  if (vm.count("holdout-min-entries") != 0) {
    if (!by_entries) throw Error(command + ": --holdout-min-entries needs --holdout-fraction F");
    min_entries = vm["holdout-min-entries"].as<std::int64_t>();
    if (min_entries < 2) {
      throw Error(command + ": --holdout-min-entries " + std::to_string(min_entries) + ": expected an integer >= 2");
    }
  }
  if (by_items || by_entries) {
    if (vm.count("heldout-out") == 0) {
      throw Error(command + ": " + (by_items ? "--split-every" : "--holdout-fraction") + " needs --heldout-out TEST.h5");
    }
    heldout_out = vm["heldout-out"].as<std::string>();
  } else if (vm.count("heldout-out") != 0) {
    throw Error(command + ": --heldout-out needs --split-every N or --holdout-fraction F");
  }
}

po::options_description triples_options() {
  po::options_description triples("triples only");
  triples.add_options()
      ("header", "the first line is a header (detected anyway when its count field is not a number)")
      ("user-column", po::value<std::int64_t>(), "the field of the user (row) ids, N >= 1 (default 1)")
      ("item-column", po::value<std::int64_t>(), "the field of the item (column) ids, N >= 1 (default 2)")
      ("count-column", po::value<std::string>(),
       "the field of the counts, N >= 1, or 'none': every record counts 1 (default 3 if the first line has "
       "3 fields or more, else none)")
      ("binarize", "every count (after summing repeated pairs) becomes 1")
      ("items-from", po::value<std::string>(),
       "the items of this model or corpus (its /vocab), all of them and in its order, so that the model can "
       "score the users (infer, evaluate); records of other items are skipped and counted");
  return triples;
}

po::options_description text_only_options() {
  po::options_description text("text only");
  const io::TextOptions d;
  text.add_options()
      ("field", po::value<std::string>(), "the inputs are JSON lines; the text is this member of each object")
      ("name-field", po::value<std::string>(), "JSON lines: the member that names each document (default: FILE:LINE)")
      ("token-pattern", po::value<std::string>(),
       ("one character class and a length (default " + d.token_pattern + "); see the README").c_str())
      ("stop-words", po::value<std::string>(), "a file of words to leave out, one a line")
      ("min-df", po::value<std::int64_t>(), "keep words seen in at least N documents (default 1)")
      ("max-df", po::value<double>(), "keep words seen in at most this fraction of the documents (default 1)")
      ("keep-top", po::value<std::int64_t>(), "keep only the N most frequent of those words (default: all)")
      ("keep-empty", po::bool_switch(), "keep the documents left without tokens (default: drop and count them)")
      ("vocab", po::value<std::string>(),
       "use this vocabulary (a model or corpus file, or a file of one word a line); other words are counted and "
       "dropped")
      ("errors", po::value<std::string>(), "strict (default: bad UTF-8 is an error) or replace (it becomes U+FFFD)");
  return text;
}

po::options_description convert_options() {
  po::options_description opts = output_options();
  opts.add_options()
      ("seed", po::value<std::int64_t>(), "with --holdout-fraction: the seed of the entries held out (default 1)")
      ("label-column", po::value<std::string>(),
       "csv only: the column of the labels, first, last or a column number N >= 1 (default: none)")
      ("min-count", po::value<std::int64_t>(),
       "triples: drop pairs whose summed count is below N; text: keep words seen at least N times in all "
       "(default 1)");
  opts.add(triples_options());
  opts.add(text_only_options());
  return opts;
}

// The text converter's options from `vm`, checked.
io::TextOptions text_options(const po::variables_map& vm) {
  io::TextOptions t;
  const auto text = [&](const char* key, std::string& out) {
    if (vm.count(key) != 0) out = vm[key].as<std::string>();
  };
  const auto count = [&](const char* key, std::int64_t& out) {
    if (vm.count(key) == 0) return;
    out = vm[key].as<std::int64_t>();
    if (out < 1) throw Error("convert: --" + std::string(key) + " " + std::to_string(out) + ": expected an integer >= 1");
  };
  text("field", t.field);
  text("name-field", t.name_field);
  text("token-pattern", t.token_pattern);
  text("stop-words", t.stop_words);
  text("vocab", t.vocab);
  count("min-count", t.min_count);
  count("min-df", t.min_df);
  count("keep-top", t.keep_top);
  if (vm.count("max-df") != 0) {
    t.max_df = vm["max-df"].as<double>();
    if (!(t.max_df > 0 && t.max_df <= 1)) {
      throw Error("convert: --max-df " + number_text(t.max_df) + ": expected a number in (0, 1]");
    }
  }
  t.keep_empty = vm["keep-empty"].as<bool>();
  std::string errors = "strict";
  text("errors", errors);
  if (errors != "strict" && errors != "replace") throw Error("convert: --errors " + errors + ": expected strict or replace");
  t.replace_errors = errors == "replace";
  if (!t.name_field.empty() && t.field.empty()) throw Error("convert: --name-field needs --field (JSON lines)");
  if (!t.vocab.empty()) {
    for (const char* key : {"min-count", "min-df", "max-df", "keep-top"}) {
      if (vm.count(key) != 0) throw Error("convert: --" + std::string(key) + " makes a vocabulary; --vocab gives one");
    }
  }
  try {
    (void)io::TokenPattern(t.token_pattern);
  } catch (const Error& e) {
    throw Error(std::string("convert: ") + e.what());
  }
  return t;
}

}  // namespace

std::string convert_help() {
  std::ostringstream out;
  out << "usage: natgrad convert uci DOCWORD VOCAB --out CORPUS.h5 [split]\n"
         "       natgrad convert ldac FILE VOCAB --out CORPUS.h5 [split]\n"
         "       natgrad convert mm FILE VOCAB --out CORPUS.h5 [split]     (Matrix Market, documents x words)\n"
         "       natgrad convert triples FILE --out CORPUS.h5 [--header] [--user-column N] [--item-column N]\n"
         "                           [--count-column N|none] [--binarize] [--min-count C]\n"
         "                           [--items-from MODEL.h5] [split]\n"
         "       natgrad convert text INPUT... --out CORPUS.h5 [text options] [split]\n"
         "       natgrad convert csv FILE --out DATA.h5 [--label-column first|last|N]\n"
         "                           [--split-every N --heldout-out TEST.h5]\n"
         "split: --split-every N --heldout-out TEST.h5 (whole documents), or, for corpora but text,\n"
         "       --holdout-fraction F [--holdout-min-entries M] [--seed S] --heldout-out TEST.h5\n"
         "       (a fraction of each document's entries: a recommender's held-out items of each user)\n"
         "Inputs may be plain text or gzip-compressed. A CSV file holds one row of numbers a line, with an\n"
         "optional header line of column names. A triples file holds one 'user item count' record a line\n"
         "(tab-, comma- or space-separated; ids are any strings), e.g. MovieLens' 'user item rating timestamp'\n"
         "with --count-column 3; users become the corpus's documents and items its words. A text INPUT is a\n"
         "folder (one document per file under it), a file of one document a line, or, with --field, a file\n"
         "of JSON lines.\n\n"
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
  const std::string format = pos.empty() ? "" : pos[0];
  const bool with_vocab = format == "uci" || format == "ldac" || format == "mm";
  const bool one_file = format == "csv" || format == "triples";
  if (!(with_vocab ? pos.size() == 3 : one_file ? pos.size() == 2 : format == "text" && pos.size() >= 2)) {
    throw Error("convert: expected 'uci DOCWORD VOCAB', 'ldac FILE VOCAB', 'mm FILE VOCAB', 'triples FILE', "
                "'csv FILE' or 'text INPUT...', got " + std::to_string(pos.size()) + " arguments" +
                (pos.empty() ? std::string() : " starting with '" + pos[0] + "'"));
  }
  ConvertConfig c;
  c.format = format;
  c.input = pos[1];
  if (with_vocab) c.vocab = pos[2];
  const bool csv = c.format == "csv";
  const bool triples = c.format == "triples";
  const bool text = c.format == "text";
  // Each option only where it means something.
  const auto only_for = [&](const po::options_description& options, bool given_format, const std::string& formats) {
    for (const auto& o : options.options()) {
      const std::string& key = o->long_name();
      if (!given_format && vm.count(key) != 0 && !vm[key].defaulted()) {
        throw Error("convert: --" + key + " is only for " + formats + ", not '" + c.format + "'");
      }
    }
  };
  only_for(triples_options(), triples, "'triples'");
  only_for(text_only_options(), text, "'text'");
  if (vm.count("min-count") != 0 && !triples && !text) {
    throw Error("convert: --min-count is only for 'triples' and 'text', not '" + c.format + "'");
  }
  if (vm.count("label-column") != 0) {
    if (format != "csv") throw Error("convert: --label-column is only for 'csv', not '" + c.format + "'");
    c.label_column = vm["label-column"].as<std::string>();
    try {
      io::LabelColumn::parse(c.label_column);
    } catch (const Error& e) {
      throw Error(std::string("convert: ") + e.what());
    }
  }
  const auto column = [&](const char* option, int fallback) {
    if (vm.count(option) == 0) return fallback;
    const std::int64_t n = vm[option].as<std::int64_t>();
    if (n < 1 || n > 1000000) throw Error(std::string("convert: --") + option + " " + std::to_string(n) + ": expected a field number >= 1");
    return static_cast<int>(n);
  };
  c.triples.header = vm.count("header") != 0;
  c.triples.binarize = vm.count("binarize") != 0;
  if (vm.count("items-from") != 0) c.triples.items_from = vm["items-from"].as<std::string>();
  c.triples.row_column = column("user-column", 1);
  c.triples.column_column = column("item-column", 2);
  if (vm.count("count-column") != 0) {
    const std::string given = vm["count-column"].as<std::string>();
    if (given == "none") {
      c.triples.count_column = 0;
    } else {
      std::int64_t n = 0;
      const auto [end, ec] = std::from_chars(given.data(), given.data() + given.size(), n);
      if (ec != std::errc() || end != given.data() + given.size() || n < 1 || n > 1000000) {
        throw Error("convert: --count-column '" + given + "': expected a field number >= 1 or 'none'");
      }
      c.triples.count_column = static_cast<int>(n);
    }
  }
  const io::TriplesOptions& t = c.triples;
  if (t.row_column == t.column_column || (t.count_column > 0 && (t.count_column == t.row_column ||
                                                                 t.count_column == t.column_column))) {
    throw Error("convert: --user-column, --item-column and --count-column must be different fields (" +
                std::to_string(t.row_column) + ", " + std::to_string(t.column_column) +
                (t.count_column > 0 ? ", " + std::to_string(t.count_column) : std::string()) + ")");
  }
  if (vm.count("min-count") != 0) {
    c.triples.min_count = vm["min-count"].as<std::int64_t>();
    if (c.triples.min_count < 1) {
      throw Error("convert: --min-count " + std::to_string(c.triples.min_count) + ": expected an integer >= 1");
    }
  }
  if (text) {
    c.text = text_options(vm);
    c.text.inputs.assign(pos.begin() + 1, pos.end());
  }
  if (vm.count("out") == 0) throw Error("convert: --out CORPUS.h5 is required");
  c.out = vm["out"].as<std::string>();
  split_options(vm, "convert", c.split_every, c.heldout_out, c.holdout_fraction, c.holdout_min_entries);
  if (c.holdout_fraction > 0 && (csv || text)) {
    throw Error("convert: --holdout-fraction splits the entries of a corpus's documents as written; for '" + c.format +
                "' use --split-every");
  }
  if (vm.count("seed") != 0) {
    if (c.holdout_fraction == 0) throw Error("convert: --seed is the seed of --holdout-fraction, which is not given");
    const std::int64_t seed = vm["seed"].as<std::int64_t>();
    if (seed < 0) throw Error("convert: --seed " + std::to_string(seed) + ": expected an integer >= 0");
    c.seed = static_cast<std::uint64_t>(seed);
  }
  return c;
}

namespace {

// The command-line options of one command: `options` (--key value, converted,
// completed and checked), and `extra` ones that the caller reads from `vm`.
// `command` ("synth TYPE", "infer") starts every message.
Values parse_command(const std::vector<std::string>& args, const std::vector<Option>& options,
                     const po::options_description& extra, const std::string& command, po::variables_map& vm) {
  po::options_description all;
  for (const Option& o : options) all.add_options()(o.key.c_str(), po::value<std::string>(), "");
  all.add(extra);
  try {
    po::store(po::command_line_parser(args).options(all).run(), vm);
  } catch (const po::error& e) {
    throw Error(command + ": " + e.what());
  }
  Values values;
  for (const Option& o : options) {
    if (vm.count(o.key) == 0) continue;
    try {
      values.set(o.key, parse_value(o, vm[o.key].as<std::string>(), "--" + o.key));
    } catch (const Error& e) {
      throw Error(command + ": " + e.what());
    }
  }
  complete(options, values, "--");
  return values;
}

// Help lines of options given as --key value.
po::options_description command_help(const std::vector<Option>& options, const std::string& caption) {
  po::options_description out(caption);
  for (const Option& o : options) out.add_options()(o.key.c_str(), po::value<std::string>(), help_line(o).c_str());
  return out;
}

// The options of `natgrad infer` and, without --out and with --data optional, of `natgrad evaluate`.
std::vector<Option> infer_options(bool evaluate) {
  using T = Type;
  const std::string data_help = "the data: of the kind the model was fitted to, with its columns (a corpus with the "
                                "model's vocabulary, dense data with its D)";
  std::vector<Option> o = {required_option("model", T::kText, {}, "the model file or a checkpoint")};
  if (evaluate) {
    o.push_back(unset_option("data", T::kText, "none", {}, "held-out " + data_help + ", for the held-out score"));
  } else {
    o.push_back(required_option("data", T::kText, {}, data_help));
    o.push_back(required_option("out", T::kText, {}, "the output file (format natgrad.theta)"));
  }
  o.push_back(option("local-max-iters", T::kInteger, std::int64_t{100}, at_least(1),
                     "most iterations of a datum's local step"));
  o.push_back(option("local-tol", T::kNumber, 1e-3, positive(),
                     "the local step stops when the mean absolute change of its local parameters is below this"));
  o.push_back(option("threads", T::kInteger, std::int64_t{1}, integer_in(1, kMaxThreads), "OpenMP threads per rank"));
  if (!evaluate) {
    o.push_back(option("top", T::kInteger, std::int64_t{20}, at_least(1),
                       "for models that rank the data's columns for each item (recommenders): how many"));
  } else {
    o.push_back(unset_option("train", T::kText, "the training data the model file names", {},
                             "for models whose held-out score conditions on each item's training entries "
                             "(recommenders): the training data --data was held out from"));
  }
  return o;
}

// The fields of InferConfig that infer and evaluate share, from their parsed options.
InferConfig infer_config(const Values& v) {
  InferConfig c;
  c.model = v.text("model");
  if (v.has("data")) c.data = v.text("data");
  c.local_max_iters = v.integer("local-max-iters");
  c.local_tol = v.number("local-tol");
  c.threads = v.integer("threads");
  return c;
}

}  // namespace

SynthConfig parse_synth(const std::vector<std::string>& args, const std::vector<Option>& options,
                        const std::string& command, const std::string& file, const std::string& row) {
  po::variables_map vm;
  SynthConfig c;
  c.values = parse_command(args, options, output_options(file, row), command, vm);
  std::string placeholder = file;
  std::transform(placeholder.begin(), placeholder.end(), placeholder.begin(), ::toupper);
  if (vm.count("out") == 0) throw Error(command + ": --out " + placeholder + ".h5 is required");
  c.out = vm["out"].as<std::string>();
  split_options(vm, command, c.split_every, c.heldout_out, c.holdout_fraction, c.holdout_min_entries);
  return c;
}

std::string synth_help(const std::string& usage, const std::vector<Option>& options, const std::string& file,
                       const std::string& row) {
  std::ostringstream out;
  out << usage << "\n" << command_help(options, "options") << output_options(file, row);
  return out.str();
}

std::string infer_help() {
  std::ostringstream out;
  out << "usage: natgrad infer --model MODEL.h5 --data DATA.h5 --out THETA.h5\n"
         "What the model says of every item of DATA (its local factors: topic proportions of documents,\n"
         "responsibilities of points, ...), each rank its own shard (run under mpirun to shard them).\n\n"
      << command_help(infer_options(false), "options");
  return out.str();
}

std::string evaluate_help(const ModelCatalog& models) {
  std::ostringstream out;
  out << "usage: natgrad evaluate --model MODEL.h5 [--data HELDOUT.h5] [options of the model's family]\n"
         "The held-out score of MODEL on HELDOUT, as the fit's progress lines report it (see the README:\n"
         "perplexity by document completion for topic models, the log predictive density for mixtures),\n"
         "and the measures the options of the model's family ask for.\n\n"
      << command_help(infer_options(true), "options");
  for (const ModelOptions& m : models) {
    if (!m.evaluate_options.empty()) out << command_help(m.evaluate_options, "options for " + m.type + " models");
  }
  return out.str();
}

InferConfig parse_infer(const std::vector<std::string>& args) {
  po::variables_map vm;
  const Values v = parse_command(args, infer_options(false), po::options_description(), "infer", vm);
  InferConfig c = infer_config(v);
  c.out = v.text("out");
  c.top = v.integer("top");
  return c;
}

InferConfig parse_evaluate(const std::vector<std::string>& args, const ModelCatalog& models) {
  po::options_description families;
  const auto keys = family_keys(models, &ModelOptions::evaluate_options);
  for (const auto& [o, owners] : keys) families.add_options()(o.key.c_str(), po::value<std::string>(), "");
  po::variables_map vm;
  const Values v = parse_command(args, infer_options(true), families, "evaluate", vm);
  InferConfig c = infer_config(v);
  if (v.has("train")) c.train = v.text("train");
  for (const auto& [o, owners] : keys) {
    if (vm.count(o.key) == 0) continue;
    try {
      c.measures.set(o.key, parse_value(o, vm[o.key].as<std::string>(), "--" + o.key));
    } catch (const Error& e) {
      throw Error(std::string("evaluate: ") + e.what());
    }
  }
  return c;
}

Values evaluate_measures(const Values& given, const ModelCatalog& models, const std::string& family,
                         const std::string& model) {
  const ModelOptions& m = family_options(models, family);
  for (const auto& [o, owners] : family_keys(models, &ModelOptions::evaluate_options)) {
    if (!given.has(o.key) || std::find(owners.begin(), owners.end(), family) != owners.end()) continue;
    throw Error("evaluate: --" + o.key + " is an option for " + owners.front() + " models; " + model + " is a " +
                family + " model");
  }
  Values v;
  for (const Option& o : m.evaluate_options) {
    if (const auto value = given.find(o.key)) v.set(o.key, *value);
  }
  try {
    complete(m.evaluate_options, v, "--");
  } catch (const Error& e) {
    throw Error(std::string("evaluate: ") + e.what());
  }
  return v;
}

}  // namespace natgrad::config
