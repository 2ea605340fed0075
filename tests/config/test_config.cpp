// The job keys of `natgrad fit` and the arguments of `natgrad convert`: the
// documented defaults, INI job files and command-line overrides, one test per
// invalid value (each error names the key and the value), and the resolved
// configuration, which lists every key and parses back to the same job.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <limits>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "natgrad/config/config.hpp"
#include "natgrad/error.hpp"
#include "natgrad/models/registry.hpp"
#include "test_data.hpp"

namespace natgrad::config {
namespace {

using Args = std::vector<std::string>;

// The fit command's parsing, checking and listing, with the registered families.
FitConfig parse_fit(const Args& args) { return config::parse_fit(args, models::catalog()); }
void validate(const FitConfig& c) { config::validate(c, models::catalog()); }
std::vector<std::pair<std::string, std::string>> resolved(const FitConfig& c) {
  return config::resolved(c, models::catalog());
}
std::string fit_help() { return config::fit_help(models::catalog()); }

// `natgrad synth TYPE`'s parsing and help, with the family's options.
SynthConfig parse_synth_gmm(const Args& args) {
  const models::Family& f = *models::find_family("gmm");
  return parse_synth(args, f.synth_options(), "synth gmm", "data", "row");
}
std::string synth_help_of(const std::string& type) {
  const models::Family& f = *models::find_family(type);
  const io::DataNouns& n = io::nouns(f.data_kind());
  return synth_help(f.synth_usage(), f.synth_options(), n.file, n.item);
}
std::string synth_gmm_help() { return synth_help_of("gmm"); }
std::string synth_lda_help() { return synth_help_of("lda"); }

Args minimal() { return {"--model.topics", "5", "--data.train", "x.h5"}; }

// A Gaussian mixture job with `extra` appended.
Args gmm_fit(const Args& extra) {
  Args args = {"--model.type", "gmm", "--model.components", "3", "--data.train", "x.h5"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

Args minimal_plus(const Args& extra) {
  Args args = minimal();
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// --key value pairs from (key, value) pairs.
Args keyed(const std::vector<std::pair<std::string, std::string>>& pairs) {
  Args args;
  for (const auto& [key, value] : pairs) {
    args.push_back("--" + key);
    args.push_back(value);
  }
  return args;
}

// The message of the natgrad::Error that `call` throws, or "(accepted)".
std::string error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string fit_error(const Args& args) {
  return error_of([&] { parse_fit(args); });
}

std::string convert_error(const Args& args) {
  return error_of([&] { parse_convert(args); });
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Writes `text` to `name` in a fresh folder of its own and returns its path.
std::string job_file(const std::string& name, const std::string& text) {
  const std::string path = testing::temp_dir("config_" + name) + "/job.ini";
  std::ofstream(path) << text;
  return path;
}

// --key value pairs of a resolved configuration. solver.max_steps = 0 means
// "not set", and is left out (0 itself is invalid); solver.epochs is left out
// when solver.max_steps is set, since it is then not in effect and the two
// together are an error.
Args as_args(const std::vector<std::pair<std::string, std::string>>& pairs) {
  bool max_steps_set = false;
  for (const auto& [key, value] : pairs) max_steps_set |= key == "solver.max_steps" && value != "0";
  Args args;
  for (const auto& [key, value] : pairs) {
    if (key == "solver.max_steps" && !max_steps_set) continue;
    if (key == "solver.epochs" && max_steps_set) continue;
    args.push_back("--" + key);
    args.push_back(value);
  }
  return args;
}

// ---------------------------------------------------------------------------
// Valid command lines and job files.

TEST(ParseFit, MinimalCommandLineGetsTheDocumentedDefaults) {
  const FitConfig c = parse_fit(minimal());
  EXPECT_EQ(c.config_file, "");
  EXPECT_EQ(c.restart, "");
  EXPECT_EQ(c.model.type, "lda");
  EXPECT_EQ(c.model.values.integer("model.topics"), 5);
  EXPECT_DOUBLE_EQ(c.model.values.number("model.alpha"), 1.0 / 5);
  EXPECT_DOUBLE_EQ(c.model.values.number("model.eta"), 1.0 / 5);
  EXPECT_EQ(c.data.train, "x.h5");
  EXPECT_EQ(c.data.heldout, "");
  EXPECT_EQ(c.solver.batch_size, 256);
  EXPECT_EQ(c.solver.schedule, Schedule::kRobbinsMonro);
  EXPECT_DOUBLE_EQ(c.solver.tau0, 10.0);
  EXPECT_DOUBLE_EQ(c.solver.kappa, 0.7);
  EXPECT_DOUBLE_EQ(c.solver.rho, 1.0);
  EXPECT_EQ(c.solver.epochs, 1);
  EXPECT_EQ(c.solver.max_steps, 0);
  EXPECT_EQ(c.solver.seed, 1u);
  EXPECT_EQ(c.solver.local_max_iters, 100);
  EXPECT_DOUBLE_EQ(c.solver.local_tol, 1e-3);
  EXPECT_EQ(c.eval.every_steps, 10);
  EXPECT_EQ(c.output.model, "model.h5");
  EXPECT_EQ(c.checkpoint.path, "");
  EXPECT_EQ(c.checkpoint.every_steps, 0);
  EXPECT_DOUBLE_EQ(c.checkpoint.every_seconds, 600.0);
  EXPECT_EQ(c.checkpoint.keep, 2);
}

TEST(ParseFit, PriorsDefaultToOneOverTheNumberOfTopics) {
  const FitConfig c = parse_fit({"--model.topics", "3", "--data.train", "x.h5", "--model.alpha", "0.5"});
  EXPECT_DOUBLE_EQ(c.model.values.number("model.alpha"), 0.5);
  EXPECT_DOUBLE_EQ(c.model.values.number("model.eta"), 1.0 / 3);
}

TEST(ParseFit, PriorsCanBeLearned) {
  const FitConfig c = parse_fit({"--model.topics", "3", "--data.train", "x.h5", "--model.alpha", "auto",
                                 "--solver.schedule", "adaptive"});
  EXPECT_TRUE(c.model.values.is_auto("model.alpha"));
  EXPECT_FALSE(c.model.values.is_auto("model.eta"));
  EXPECT_EQ(c.solver.schedule, Schedule::kAdaptive);
  // The resolved configuration says auto, and parses back.
  const auto all = resolved(c);
  const auto alpha = std::find_if(all.begin(), all.end(), [](const auto& kv) { return kv.first == "model.alpha"; });
  ASSERT_NE(alpha, all.end());
  EXPECT_EQ(alpha->second, "auto");
}

TEST(ParseFit, EveryKeyCanBeSetOnTheCommandLine) {
  const FitConfig c = parse_fit(keyed({{"model.type", "lda"},
                                       {"model.topics", "12"},
                                       {"model.alpha", "0.05"},
                                       {"model.eta", "0.01"},
                                       {"data.train", "train.h5"},
                                       {"data.heldout", "test.h5"},
                                       {"solver.batch_size", "64"},
                                       {"solver.schedule", "constant"},
                                       {"solver.tau0", "1"},
                                       {"solver.kappa", "0.51"},
                                       {"solver.rho", "0.25"},
                                       {"solver.max_steps", "30"},
                                       {"solver.seed", "77"},
                                       {"solver.local_max_iters", "20"},
                                       {"solver.local_tol", "1e-5"},
                                       {"eval.every_steps", "0"},
                                       {"output.model", "out/m.h5"},
                                       {"checkpoint.path", "ck"},
                                       {"checkpoint.every_steps", "5"},
                                       {"checkpoint.every_seconds", "0"},
                                       {"checkpoint.keep", "4"},
                                       {"restart", "auto"}}));
  EXPECT_EQ(c.model.values.integer("model.topics"), 12);
  EXPECT_DOUBLE_EQ(c.model.values.number("model.alpha"), 0.05);
  EXPECT_DOUBLE_EQ(c.model.values.number("model.eta"), 0.01);
  EXPECT_EQ(c.data.train, "train.h5");
  EXPECT_EQ(c.data.heldout, "test.h5");
  EXPECT_EQ(c.solver.batch_size, 64);
  EXPECT_EQ(c.solver.schedule, Schedule::kConstant);
  EXPECT_DOUBLE_EQ(c.solver.tau0, 1.0);
  EXPECT_DOUBLE_EQ(c.solver.kappa, 0.51);
  EXPECT_DOUBLE_EQ(c.solver.rho, 0.25);
  EXPECT_EQ(c.solver.epochs, 1);
  EXPECT_EQ(c.solver.max_steps, 30);
  EXPECT_EQ(c.solver.seed, 77u);
  EXPECT_EQ(c.solver.local_max_iters, 20);
  EXPECT_DOUBLE_EQ(c.solver.local_tol, 1e-5);
  EXPECT_EQ(c.eval.every_steps, 0);
  EXPECT_EQ(c.output.model, "out/m.h5");
  EXPECT_EQ(c.checkpoint.path, "ck");
  EXPECT_EQ(c.checkpoint.every_steps, 5);
  EXPECT_DOUBLE_EQ(c.checkpoint.every_seconds, 0.0);
  EXPECT_EQ(c.checkpoint.keep, 4);
  EXPECT_EQ(c.restart, "auto");
}

TEST(ParseFit, ReadsTheJobFile) {
  const std::string ini = job_file("read",
                                   "# a job\n"
                                   "[model]\ntopics = 7\nalpha = 0.5\n"
                                   "[data]\ntrain = a.h5\nheldout = b.h5\n"
                                   "[solver]\nkappa = 0.9\nschedule = constant\nrho = 0.5\nepochs = 3\n"
                                   "[eval]\nevery_steps = 4\n"
                                   "[output]\nmodel = m.h5\n"
                                   "[checkpoint]\npath = ck\nevery_steps = 3\n");
  const FitConfig c = parse_fit({"--config", ini});
  EXPECT_EQ(c.config_file, ini);
  EXPECT_EQ(c.model.values.integer("model.topics"), 7);
  EXPECT_DOUBLE_EQ(c.model.values.number("model.alpha"), 0.5);
  EXPECT_DOUBLE_EQ(c.model.values.number("model.eta"), 1.0 / 7);
  EXPECT_EQ(c.data.train, "a.h5");
  EXPECT_EQ(c.data.heldout, "b.h5");
  EXPECT_DOUBLE_EQ(c.solver.kappa, 0.9);
  EXPECT_EQ(c.solver.schedule, Schedule::kConstant);
  EXPECT_DOUBLE_EQ(c.solver.rho, 0.5);
  EXPECT_EQ(c.solver.epochs, 3);
  EXPECT_EQ(c.eval.every_steps, 4);
  EXPECT_EQ(c.output.model, "m.h5");
  EXPECT_EQ(c.checkpoint.path, "ck");
  EXPECT_EQ(c.checkpoint.every_steps, 3);
  EXPECT_EQ(c.solver.batch_size, 256);  // not in the file: the default
}

TEST(ParseFit, CommandLineWinsOverTheJobFile) {
  const std::string ini = job_file("override",
                                   "[model]\ntopics = 7\nalpha = 0.5\n[data]\ntrain = a.h5\n"
                                   "[solver]\nkappa = 0.9\n");
  const FitConfig c =
      parse_fit({"--model.alpha", "0.25", "--config", ini, "--solver.kappa", "0.6", "--data.train", "b.h5"});
  EXPECT_EQ(c.model.values.integer("model.topics"), 7);           // from the file
  EXPECT_DOUBLE_EQ(c.model.values.number("model.alpha"), 0.25);  // the command line wins, before or after --config
  EXPECT_DOUBLE_EQ(c.solver.kappa, 0.6);
  EXPECT_EQ(c.data.train, "b.h5");
}

TEST(ParseFit, NoneIsTheEmptyDefaultOfTheFileAndFolderKeys) {
  // The key table shows their default as "none"; written out, in a job file or on the command line, it is
  // that default (no held-out data, no θ file, no checkpoints), not a file or folder called "none".
  const std::string ini = job_file("none", "[data]\nheldout = none\n[output]\ntheta = none\n"
                                           "[checkpoint]\npath = ck\n");
  const FitConfig c = parse_fit({"--config", ini, "--model.topics", "2", "--data.train", "t.h5",
                                 "--checkpoint.path", "none"});
  EXPECT_EQ(c.data.heldout, "");
  EXPECT_EQ(c.output.theta, "");
  EXPECT_EQ(c.checkpoint.path, "");
  // Other text keys keep "none" as written: eval.coherence's "none" is a value of its own, and a required
  // path is a path.
  EXPECT_EQ(parse_fit(minimal_plus({"--eval.coherence", "none"})).model.values.text("eval.coherence"), "none");
  EXPECT_EQ(parse_fit({"--model.topics", "2", "--data.train", "none"}).data.train, "none");
}

TEST(ParseFit, CommandLineCanSupplyWhatTheJobFileLacks) {
  const std::string ini = job_file("supply", "[solver]\nbatch_size = 8\n");
  const FitConfig c = parse_fit({"--config", ini, "--model.topics", "2", "--data.train", "t.h5"});
  EXPECT_EQ(c.solver.batch_size, 8);
  EXPECT_EQ(c.model.values.integer("model.topics"), 2);
}

TEST(ParseFit, MaxStepsReplacesEpochs) {
  const FitConfig c = parse_fit(minimal_plus({"--solver.max_steps", "40"}));
  EXPECT_EQ(c.solver.max_steps, 40);
  EXPECT_EQ(c.solver.epochs, 1);
}

TEST(ParseFit, RestartTakesACheckpointPath) {
  EXPECT_EQ(parse_fit(minimal_plus({"--restart", "ck/ckpt-000000010.h5"})).restart, "ck/ckpt-000000010.h5");
  EXPECT_EQ(parse_fit(minimal_plus({"--restart", "auto", "--checkpoint.path", "ck"})).restart, "auto");
}

TEST(ParseFit, InitModelAndItsSwitches) {
  const FitConfig plain = parse_fit(minimal());
  EXPECT_EQ(plain.init_model, "");
  EXPECT_FALSE(plain.drop_unseen || plain.reset_schedule);
  const FitConfig c = parse_fit(minimal_plus({"--init-model", "old.h5", "--drop-unseen", "--reset-schedule"}));
  EXPECT_EQ(c.init_model, "old.h5");
  EXPECT_TRUE(c.drop_unseen && c.reset_schedule);
  EXPECT_TRUE(contains(fit_error(minimal_plus({"--drop-unseen"})), "--drop-unseen needs --init-model MODEL.h5"));
  EXPECT_TRUE(contains(fit_error(minimal_plus({"--reset-schedule"})), "--reset-schedule needs --init-model"));
  // They are options of the command, not job keys.
  for (const auto& [key, value] : resolved(c)) {
    for (const char* name : {"init_model", "drop_unseen", "reset_schedule"}) EXPECT_FALSE(contains(key, name)) << key;
  }
}

TEST(ParseFit, CoherenceIsAnLdaKeyOfTheEvalSection) {
  const FitConfig c = parse_fit(minimal_plus({"--eval.coherence", "umass,npmi", "--eval.coherence_top", "5"}));
  EXPECT_EQ(c.model.values.text("eval.coherence"), "umass,npmi");
  EXPECT_EQ(c.model.values.integer("eval.coherence_top"), 5);
  EXPECT_EQ(parse_fit(minimal()).model.values.text("eval.coherence"), "none");
  EXPECT_TRUE(contains(fit_error(minimal_plus({"--eval.coherence", "cv"})),
                       "eval.coherence = cv: expected none, umass, npmi or umass,npmi"));
  EXPECT_TRUE(contains(fit_error(minimal_plus({"--eval.coherence_top", "1"})), "eval.coherence_top = 1"));
  EXPECT_TRUE(contains(fit_error(gmm_fit({"--eval.coherence", "umass"})),
                       "eval.coherence is not a key of model.type = gmm (it belongs to lda)"));
}

// ---------------------------------------------------------------------------
// Invalid command lines: one named test case each.

struct InvalidFit {
  std::string name;
  Args args;
  std::vector<std::string> expected;  ///< substrings of the message
};

void PrintTo(const InvalidFit& p, std::ostream* out) { *out << p.name; }

class InvalidFitValue : public ::testing::TestWithParam<InvalidFit> {};

TEST_P(InvalidFitValue, IsRejectedNamingTheKeyAndTheValue) {
  const std::string message = fit_error(GetParam().args);
  for (const auto& part : GetParam().expected) EXPECT_TRUE(contains(message, part)) << message;
}

INSTANTIATE_TEST_SUITE_P(
    ParseFit, InvalidFitValue,
    ::testing::Values(
        // Values out of range: "key = value: expected rule".
        InvalidFit{"TopicsZero",
                   {"--data.train", "x.h5", "--model.topics", "0"},
                   {"model.topics = 0", "an integer >= 1"}},
        InvalidFit{"TopicsNegative", {"--data.train", "x.h5", "--model.topics", "-3"}, {"model.topics = -3"}},
        InvalidFit{"UnknownModelType", minimal_plus({"--model.type", "hmm"}), {"model.type = hmm", "lda, gmm or hpf"}},
        InvalidFit{"GmmKeyForLda", minimal_plus({"--model.components", "3"}),
                   {"model.components is not a key of model.type = lda"}},
        InvalidFit{"LdaKeyForGmm", gmm_fit({"--model.alpha", "0.1"}), {"model.alpha is not a key of model.type = gmm"}},
        InvalidFit{"AlphaNeitherANumberNorAuto", minimal_plus({"--model.alpha", "often"}),
                   {"'often'", "--model.alpha", "expected a number or auto"}},
        InvalidFit{"EtaNotPositive", minimal_plus({"--model.eta", "-1"}),
                   {"model.eta = -1", "a finite number > 0, or auto"}},
        InvalidFit{"GmmWithoutComponents", {"--model.type", "gmm", "--data.train", "x.h5"}, {"model.components is required"}},
        InvalidFit{"ComponentsZero",
                   {"--model.type", "gmm", "--model.components", "0", "--data.train", "x.h5"},
                   {"model.components = 0", ">= 1"}},
        InvalidFit{"CovarianceUnknown", gmm_fit({"--model.covariance", "spherical"}),
                   {"model.covariance = spherical", "full or diag"}},
        InvalidFit{"WeightConcentrationZero", gmm_fit({"--model.weight_concentration", "0"}),
                   {"model.weight_concentration = 0", "> 0"}},
        InvalidFit{"MeanPrecisionNegative", gmm_fit({"--model.mean_precision", "-1"}), {"model.mean_precision = -1"}},
        InvalidFit{"DegreesOfFreedomZero", gmm_fit({"--model.degrees_of_freedom", "0"}),
                   {"model.degrees_of_freedom = 0"}},
        InvalidFit{"MeanNotNumbers", gmm_fit({"--model.mean", "1,two,3"}), {"model.mean = 1,two,3", "'two'"}},
        InvalidFit{"ScaleNotFinite", gmm_fit({"--model.scale", "1 nan"}), {"model.scale = 1 nan", "'nan'"}},
        InvalidFit{"AlphaZero", minimal_plus({"--model.alpha", "0"}), {"model.alpha = 0", "> 0"}},
        InvalidFit{"AlphaNegative", minimal_plus({"--model.alpha", "-1"}), {"model.alpha = -1"}},
        InvalidFit{"AlphaNotFinite", minimal_plus({"--model.alpha", "inf"}), {"model.alpha = inf"}},
        InvalidFit{"EtaZero", minimal_plus({"--model.eta", "0"}), {"model.eta = 0", "> 0"}},
        InvalidFit{"EtaNan", minimal_plus({"--model.eta", "nan"}), {"model.eta = nan"}},
        InvalidFit{"TypeGmm2", minimal_plus({"--model.type", "gmm2"}), {"model.type = gmm2", "lda"}},
        InvalidFit{"BatchSizeZero", minimal_plus({"--solver.batch_size", "0"}), {"solver.batch_size = 0"}},
        InvalidFit{"Tau0Negative", minimal_plus({"--solver.tau0", "-1"}), {"solver.tau0 = -1", ">= 0"}},
        InvalidFit{"KappaHalf", minimal_plus({"--solver.kappa", "0.5"}), {"solver.kappa = 0.5", "(0.5, 1]"}},
        InvalidFit{"KappaBelowHalf", minimal_plus({"--solver.kappa", "0.3"}), {"solver.kappa = 0.3"}},
        InvalidFit{"KappaAboveOne", minimal_plus({"--solver.kappa", "1.5"}), {"solver.kappa = 1.5"}},
        InvalidFit{"RhoZero", minimal_plus({"--solver.rho", "0"}), {"solver.rho = 0", "(0, 1]"}},
        InvalidFit{"RhoTwo", minimal_plus({"--solver.rho", "2"}), {"solver.rho = 2"}},
        InvalidFit{"ScheduleAdam",
                   minimal_plus({"--solver.schedule", "adam"}),
                   {"solver.schedule = adam", "robbins_monro, constant or adaptive"}},
        InvalidFit{"EpochsZero", minimal_plus({"--solver.epochs", "0"}), {"solver.epochs = 0"}},
        InvalidFit{"MaxStepsZero", minimal_plus({"--solver.max_steps", "0"}), {"solver.max_steps = 0"}},
        InvalidFit{"MaxStepsNegative", minimal_plus({"--solver.max_steps", "-4"}), {"solver.max_steps = -4"}},
        InvalidFit{"LocalMaxItersZero",
                   minimal_plus({"--solver.local_max_iters", "0"}),
                   {"solver.local_max_iters = 0"}},
        InvalidFit{"LocalTolZero", minimal_plus({"--solver.local_tol", "0"}), {"solver.local_tol = 0"}},
        InvalidFit{"ThreadsZero", minimal_plus({"--solver.threads", "0"}), {"solver.threads = 0", "[1, 1024]"}},
        InvalidFit{"ThreadsTooMany", minimal_plus({"--solver.threads", "5000"}), {"solver.threads = 5000"}},
        InvalidFit{"SeedNegative", minimal_plus({"--solver.seed", "-1"}), {"solver.seed = -1"}},
        InvalidFit{
            "EvalEveryStepsNegative", minimal_plus({"--eval.every_steps", "-1"}), {"eval.every_steps = -1"}},
        InvalidFit{"OutputModelEmpty", minimal_plus({"--output.model", ""}), {"output.model"}},
        InvalidFit{"CheckpointEveryStepsNegative",
                   minimal_plus({"--checkpoint.every_steps", "-2"}),
                   {"checkpoint.every_steps = -2"}},
        InvalidFit{"CheckpointEverySecondsNegative",
                   minimal_plus({"--checkpoint.every_seconds", "-5"}),
                   {"checkpoint.every_seconds = -5"}},
        InvalidFit{"CheckpointKeepZero", minimal_plus({"--checkpoint.keep", "0"}), {"checkpoint.keep = 0"}},
        // Values of the wrong type: Boost's message names the option and the value.
        InvalidFit{"TopicsNotANumber",
                   {"--data.train", "x.h5", "--model.topics", "abc"},
                   {"'abc'", "model.topics", "invalid"}},
        InvalidFit{"TopicsNotAnInteger",
                   {"--data.train", "x.h5", "--model.topics", "2.5"},
                   {"'2.5'", "model.topics"}},
        InvalidFit{"KappaNotANumber", minimal_plus({"--solver.kappa", "fast"}), {"'fast'", "solver.kappa"}},
        InvalidFit{"BatchSizeNotANumber",
                   minimal_plus({"--solver.batch_size", "many"}),
                   {"'many'", "solver.batch_size"}},
        InvalidFit{"SeedNotAnInteger", minimal_plus({"--solver.seed", "1.5"}), {"'1.5'", "solver.seed"}},
        // Malformed command lines.
        InvalidFit{
            "UnknownOption", minimal_plus({"--model.topicz", "5"}), {"unrecognised option", "model.topicz"}},
        InvalidFit{"UnknownSection", minimal_plus({"--optimizer.kappa", "0.7"}), {"optimizer.kappa"}},
        InvalidFit{"MissingValue", minimal_plus({"--solver.kappa"}), {"solver.kappa", "missing"}},
        InvalidFit{
            "RepeatedKey", minimal_plus({"--solver.seed", "1", "--solver.seed", "2"}), {"solver.seed"}},
        InvalidFit{"StrayArgument", minimal_plus({"job.ini"}), {"unexpected argument 'job.ini'", "--config"}},
        // Required keys and keys that exclude each other.
        InvalidFit{"MissingTopics", {"--data.train", "x.h5"}, {"model.topics is required"}},
        InvalidFit{"MissingTrain", {"--model.topics", "5"}, {"data.train is required"}},
        InvalidFit{"EmptyTrain", {"--model.topics", "5", "--data.train", ""}, {"data.train"}},
        InvalidFit{"EpochsAndMaxSteps",
                   minimal_plus({"--solver.epochs", "2", "--solver.max_steps", "5"}),
                   {"solver.epochs", "solver.max_steps", "both set"}},
        InvalidFit{"RestartAutoWithoutCheckpointPath",
                   minimal_plus({"--restart", "auto"}),
                   {"--restart auto", "checkpoint.path"}}),
    [](const ::testing::TestParamInfo<InvalidFit>& p) { return p.param.name; });

// ---------------------------------------------------------------------------
// Invalid job files.

TEST(ParseFit, UnknownKeyInTheJobFileNamesTheFileAndTheKey) {
  const std::string ini = job_file("unknown_key", "[model]\ntopicz = 5\n[data]\ntrain = x.h5\n");
  const std::string message = fit_error({"--config", ini, "--model.topics", "5"});
  EXPECT_TRUE(contains(message, ini)) << message;
  EXPECT_TRUE(contains(message, "model.topicz")) << message;
}

TEST(ParseFit, UnknownSectionInTheJobFileNamesTheFileAndTheKey) {
  const std::string ini = job_file("unknown_section", "[modle]\ntopics = 5\n");
  const std::string message = fit_error({"--config", ini});
  EXPECT_TRUE(contains(message, ini)) << message;
  EXPECT_TRUE(contains(message, "modle.topics")) << message;
}

TEST(ParseFit, WrongTypeInTheJobFileNamesTheFileTheKeyAndTheValue) {
  const std::string ini = job_file("wrong_type", "[model]\ntopics = abc\n[data]\ntrain = x.h5\n");
  const std::string message = fit_error({"--config", ini});
  EXPECT_TRUE(contains(message, ini)) << message;
  EXPECT_TRUE(contains(message, "model.topics")) << message;
  EXPECT_TRUE(contains(message, "'abc'")) << message;
}

TEST(ParseFit, OutOfRangeValueInTheJobFileNamesTheKeyAndTheValue) {
  const std::string ini = job_file("out_of_range",
                                   "[model]\ntopics = 4\n[data]\ntrain = x.h5\n"
                                   "[solver]\nkappa = 1.5\n");
  EXPECT_TRUE(contains(fit_error({"--config", ini}), "solver.kappa = 1.5"));
}

TEST(ParseFit, MalformedLineInTheJobFileIsNamed) {
  const std::string ini = job_file("malformed", "[model]\ntopics 5\n");
  const std::string message = fit_error({"--config", ini});
  EXPECT_TRUE(contains(message, ini)) << message;
  EXPECT_TRUE(contains(message, "topics 5")) << message;
}

TEST(ParseFit, EpochsAndMaxStepsFromFileAndCommandLine) {
  const std::string ini = job_file("epochs_steps",
                                   "[model]\ntopics = 4\n[data]\ntrain = x.h5\n"
                                   "[solver]\nmax_steps = 9\n");
  EXPECT_EQ(parse_fit({"--config", ini}).solver.max_steps, 9);
  EXPECT_TRUE(contains(fit_error({"--config", ini, "--solver.epochs", "2"}), "both set"));
}

TEST(ParseFit, MissingJobFileIsNamed) {
  const std::string path = testing::temp_dir("config_missing") + "/nowhere.ini";
  const std::string message = fit_error({"--config", path});
  EXPECT_TRUE(contains(message, path)) << message;
  EXPECT_TRUE(contains(message, "cannot open")) << message;
}

// ---------------------------------------------------------------------------
// validate() on configurations built in code.

TEST(Validate, AcceptsAParsedConfiguration) { EXPECT_NO_THROW(validate(parse_fit(minimal()))); }

struct InvalidStruct {
  std::string name;
  std::function<void(FitConfig&)> spoil;
  std::string expected;
};

void PrintTo(const InvalidStruct& p, std::ostream* out) { *out << p.name; }

class ValidateRejects : public ::testing::TestWithParam<InvalidStruct> {};

TEST_P(ValidateRejects, NamingTheKeyAndTheValue) {
  FitConfig c = parse_fit(minimal());
  GetParam().spoil(c);
  const std::string message = error_of([&] { validate(c); });
  EXPECT_TRUE(contains(message, GetParam().expected)) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Validate, ValidateRejects,
    ::testing::Values(
        InvalidStruct{"TopicsZero", [](FitConfig& c) { c.model.values.set("model.topics", std::int64_t{0}); }, "model.topics = 0"},
        InvalidStruct{"TypeOther", [](FitConfig& c) { c.model.type = "hmm"; }, "model.type = hmm"},
        InvalidStruct{"AlphaNan",
                      [](FitConfig& c) { c.model.values.set("model.alpha", std::numeric_limits<double>::quiet_NaN()); },
                      "model.alpha = nan"},
        InvalidStruct{"EtaNegative", [](FitConfig& c) { c.model.values.set("model.eta", -0.5); }, "model.eta = -0.5"},
        InvalidStruct{"TrainEmpty", [](FitConfig& c) { c.data.train.clear(); }, "data.train"},
        InvalidStruct{"KappaAboveOne", [](FitConfig& c) { c.solver.kappa = 1.25; }, "solver.kappa = 1.25"},
        InvalidStruct{"RhoNegative", [](FitConfig& c) { c.solver.rho = -1; }, "solver.rho = -1"},
        InvalidStruct{"Tau0Infinite",
                      [](FitConfig& c) { c.solver.tau0 = std::numeric_limits<double>::infinity(); },
                      "solver.tau0 = inf"},
        InvalidStruct{"EpochsZero", [](FitConfig& c) { c.solver.epochs = 0; }, "solver.epochs = 0"},
        InvalidStruct{"MaxStepsNegative", [](FitConfig& c) { c.solver.max_steps = -1; },
                      "solver.max_steps = -1"},
        InvalidStruct{"LocalMaxItersZero", [](FitConfig& c) { c.solver.local_max_iters = 0; },
                      "solver.local_max_iters = 0"},
        InvalidStruct{"LocalTolNegative", [](FitConfig& c) { c.solver.local_tol = -1e-3; },
                      "solver.local_tol = -0.001"},
        InvalidStruct{"OutputEmpty", [](FitConfig& c) { c.output.model.clear(); }, "output.model"},
        InvalidStruct{"KeepZero", [](FitConfig& c) { c.checkpoint.keep = 0; }, "checkpoint.keep = 0"}),
    [](const ::testing::TestParamInfo<InvalidStruct>& p) { return p.param.name; });

// ---------------------------------------------------------------------------
// The resolved configuration.

TEST(Resolved, ListsEveryKeyOnceInAFixedOrder) {
  const FitConfig c = parse_fit(minimal());
  const auto pairs = resolved(c);
  std::set<std::string> keys;
  for (const auto& [key, value] : pairs) EXPECT_TRUE(keys.insert(key).second) << key << " listed twice";
  // Every key the help text describes, i.e. every key parse_fit accepts.
  std::set<std::string> documented;
  const std::string help = fit_help();
  const std::regex option("--([a-z0-9_]+\\.[a-z0-9_]+)");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), option); it != std::sregex_iterator(); ++it) {
    documented.insert((*it)[1].str());
  }
  documented.erase("section.key");  // the usage line's placeholder
  const std::set<std::string> gmm_only = {"model.components",     "model.covariance", "model.weight_concentration",
                                          "model.mean_precision", "model.mean",       "model.degrees_of_freedom",
                                          "model.scale"};
  const std::set<std::string> lda_only = {"model.topics", "model.alpha", "model.eta", "model.init_scale",
                                          "eval.coherence", "eval.coherence_top"};
  const std::set<std::string> hpf_only = {"model.factors", "model.a",       "model.a_prime", "model.b_prime",
                                          "model.c",       "model.c_prime", "model.d_prime", "model.top_k",
                                          "model.ranking_users"};
  // A job lists every documented key but the other families'.
  std::set<std::string> for_lda = documented;
  for (const auto& key : gmm_only) EXPECT_EQ(for_lda.erase(key), 1u) << key << " is not documented";
  for (const auto& key : hpf_only) EXPECT_EQ(for_lda.erase(key), 1u) << key << " is not documented";
  EXPECT_EQ(keys, for_lda);
  EXPECT_EQ(keys.size(), 27u);
  EXPECT_EQ(pairs.front().first, "model.type");
  EXPECT_EQ(resolved(parse_fit(minimal_plus({"--solver.kappa", "0.8"}))).size(), pairs.size());
  std::set<std::string> gmm_keys;
  for (const auto& [key, value] : resolved(parse_fit(gmm_fit({})))) EXPECT_TRUE(gmm_keys.insert(key).second) << key;
  std::set<std::string> for_gmm = documented;
  for (const auto& key : lda_only) for_gmm.erase(key);
  for (const auto& key : hpf_only) for_gmm.erase(key);
  EXPECT_EQ(gmm_keys, for_gmm);
}

TEST(Resolved, GmmDefaultsAndLists) {
  const auto pairs = resolved(parse_fit(gmm_fit({"--model.mean", "1, 2.5,-3", "--model.scale", "2"})));
  const auto value = [&](const std::string& key) {
    for (const auto& [k, v] : pairs) {
      if (k == key) return v;
    }
    return std::string("(absent)");
  };
  EXPECT_EQ(value("model.components"), "3");
  EXPECT_EQ(value("model.covariance"), "full");
  EXPECT_EQ(value("model.weight_concentration"), "0.3333333333333333");
  EXPECT_EQ(value("model.mean_precision"), "1");
  EXPECT_EQ(value("model.mean"), "1,2.5,-3");
  EXPECT_EQ(value("model.scale"), "2");
  EXPECT_EQ(value("model.degrees_of_freedom"), "");  // D, from the data
  EXPECT_EQ(value("model.topics"), "(absent)");
  const FitConfig c = parse_fit(gmm_fit({"--model.covariance", "diag", "--model.degrees_of_freedom", "7.5"}));
  EXPECT_EQ(c.model.values.text("model.covariance"), "diag");
  EXPECT_EQ(c.model.values.number("model.degrees_of_freedom"), 7.5);
  EXPECT_FALSE(c.model.values.has("model.mean"));
  EXPECT_FALSE(c.model.values.has("model.scale"));
}

TEST(Resolved, ShowsTheDefaults) {
  const auto pairs = resolved(parse_fit({"--model.topics", "4", "--data.train", "x.h5"}));
  const auto value = [&](const std::string& key) {
    for (const auto& [k, v] : pairs) {
      if (k == key) return v;
    }
    return std::string("(absent)");
  };
  EXPECT_EQ(value("model.alpha"), "0.25");
  EXPECT_EQ(value("solver.schedule"), "robbins_monro");
  EXPECT_EQ(value("solver.kappa"), "0.7");
  EXPECT_EQ(value("solver.local_tol"), "0.001");
  EXPECT_EQ(value("solver.max_steps"), "0");
  EXPECT_EQ(value("data.heldout"), "");
}

void expect_round_trip(const FitConfig& c) {
  const FitConfig d = parse_fit(as_args(resolved(c)));
  EXPECT_EQ(resolved(d), resolved(c));
  // Numbers are written so that they read back exactly.
  EXPECT_EQ(d.model.values.number("model.alpha"), c.model.values.number("model.alpha"));
  EXPECT_EQ(d.model.values.number("model.eta"), c.model.values.number("model.eta"));
  EXPECT_EQ(d.solver.kappa, c.solver.kappa);
  EXPECT_EQ(d.solver.local_tol, c.solver.local_tol);
  EXPECT_EQ(d.solver.max_steps, c.solver.max_steps);
  EXPECT_EQ(d.solver.epochs, c.solver.epochs);
  EXPECT_EQ(d.solver.schedule, c.solver.schedule);
}

TEST(Resolved, RoundTripOfTheDefaults) {
  // K = 3: the default priors 1/3 have no short decimal form.
  expect_round_trip(parse_fit({"--model.topics", "3", "--data.train", "x.h5"}));
}

TEST(Resolved, RoundTripWithEveryKeyChanged) {
  expect_round_trip(parse_fit(keyed({{"model.topics", "12"},
                                     {"model.alpha", "0.30000000000000004"},
                                     {"model.eta", "1e-7"},
                                     {"data.train", "dir with space/train.h5"},
                                     {"data.heldout", "test.h5"},
                                     {"solver.batch_size", "64"},
                                     {"solver.schedule", "constant"},
                                     {"solver.tau0", "2.5"},
                                     {"solver.kappa", "0.51"},
                                     {"solver.rho", "0.125"},
                                     {"solver.max_steps", "30"},
                                     {"solver.seed", "18446744073"},
                                     {"solver.local_max_iters", "20"},
                                     {"solver.local_tol", "1e-5"},
                                     {"eval.every_steps", "0"},
                                     {"output.model", "out/m.h5"},
                                     {"checkpoint.path", "ck"},
                                     {"checkpoint.every_steps", "5"},
                                     {"checkpoint.every_seconds", "0.5"},
                                     {"checkpoint.keep", "4"}})));
}

TEST(Resolved, RoundTripWithEpochs) {
  expect_round_trip(parse_fit(minimal_plus({"--solver.epochs", "7", "--model.alpha", "0.1"})));
}

TEST(Resolved, RoundTripThroughAJobFile) {
  const FitConfig c = parse_fit(minimal_plus({"--solver.kappa", "0.55", "--solver.max_steps", "9"}));
  std::string text;
  std::string section;
  const Args args = as_args(resolved(c));
  for (std::size_t i = 0; i < args.size(); i += 2) {
    const std::string key = args[i].substr(2);
    const std::string head = key.substr(0, key.find('.'));
    if (head != section) text += "[" + (section = head) + "]\n";
    text += key.substr(key.find('.') + 1) + " = " + args[i + 1] + "\n";
  }
  const FitConfig d = parse_fit({"--config", job_file("round_trip", text)});
  EXPECT_EQ(resolved(d), resolved(c));
}

// ---------------------------------------------------------------------------
// natgrad convert.

TEST(ParseConvert, UciArguments) {
  const ConvertConfig c = parse_convert({"uci", "docword.kos.txt.gz", "vocab.kos.txt", "--out", "kos.h5"});
  EXPECT_EQ(c.format, "uci");
  EXPECT_EQ(c.input, "docword.kos.txt.gz");
  EXPECT_EQ(c.vocab, "vocab.kos.txt");
  EXPECT_EQ(c.out, "kos.h5");
  EXPECT_EQ(c.split_every, 0);
  EXPECT_EQ(c.heldout_out, "");
}

TEST(ParseConvert, LdacArgumentsWithASplit) {
  const ConvertConfig c = parse_convert({"ldac", "ap.dat", "vocab.txt", "--out", "train.h5", "--split-every",
                                         "10", "--heldout-out", "test.h5"});
  EXPECT_EQ(c.format, "ldac");
  EXPECT_EQ(c.input, "ap.dat");
  EXPECT_EQ(c.vocab, "vocab.txt");
  EXPECT_EQ(c.out, "train.h5");
  EXPECT_EQ(c.split_every, 10);
  EXPECT_EQ(c.heldout_out, "test.h5");
}

TEST(ParseConvert, OptionsMayComeFirst) {
  const ConvertConfig c = parse_convert(
      {"--out", "c.h5", "--split-every", "2", "--heldout-out", "t.h5", "uci", "d.txt", "v.txt"});
  EXPECT_EQ(c.format, "uci");
  EXPECT_EQ(c.split_every, 2);
}

TEST(ParseConvert, CsvArguments) {
  const ConvertConfig c = parse_convert({"csv", "digits.csv.gz", "--out", "digits.h5"});
  EXPECT_EQ(c.format, "csv");
  EXPECT_EQ(c.input, "digits.csv.gz");
  EXPECT_EQ(c.vocab, "");
  EXPECT_EQ(c.out, "digits.h5");
  EXPECT_EQ(c.label_column, "");
  EXPECT_EQ(c.split_every, 0);
}

TEST(ParseConvert, CsvWithALabelColumnAndASplit) {
  const ConvertConfig c = parse_convert({"csv", "d.csv", "--label-column", "last", "--out", "train.h5",
                                         "--split-every", "5", "--heldout-out", "test.h5"});
  EXPECT_EQ(c.label_column, "last");
  EXPECT_EQ(c.split_every, 5);
  EXPECT_EQ(c.heldout_out, "test.h5");
  EXPECT_EQ(parse_convert({"csv", "d.csv", "--out", "o.h5", "--label-column", "first"}).label_column, "first");
  EXPECT_EQ(parse_convert({"--label-column", "3", "--out", "o.h5", "csv", "d.csv"}).label_column, "3");
}

TEST(ParseConvert, TriplesArgumentsAndTheirDefaults) {
  const ConvertConfig d = parse_convert({"triples", "t.tsv.gz", "--out", "t.h5"});
  EXPECT_EQ(d.format, "triples");
  EXPECT_EQ(d.input, "t.tsv.gz");
  EXPECT_EQ(d.vocab, "");
  EXPECT_EQ(d.triples.row_column, 1);
  EXPECT_EQ(d.triples.column_column, 2);
  EXPECT_EQ(d.triples.count_column, -1);  // the third field if there is one
  EXPECT_FALSE(d.triples.header);
  EXPECT_FALSE(d.triples.binarize);
  EXPECT_EQ(d.triples.min_count, 1);
  EXPECT_EQ(d.holdout_fraction, 0.0);
  const ConvertConfig c = parse_convert({"triples", "ml.data", "--header", "--user-column", "2", "--item-column", "1",
                                         "--count-column", "4", "--binarize", "--min-count", "3", "--out", "t.h5",
                                         "--holdout-fraction", "0.2", "--seed", "7", "--holdout-min-entries", "3",
                                         "--heldout-out", "test.h5"});
  EXPECT_TRUE(c.triples.header);
  EXPECT_EQ(c.triples.row_column, 2);
  EXPECT_EQ(c.triples.column_column, 1);
  EXPECT_EQ(c.triples.count_column, 4);
  EXPECT_TRUE(c.triples.binarize);
  EXPECT_EQ(c.triples.min_count, 3);
  EXPECT_EQ(c.holdout_fraction, 0.2);
  EXPECT_EQ(c.seed, 7u);
  EXPECT_EQ(c.holdout_min_entries, 3);
  EXPECT_EQ(c.heldout_out, "test.h5");
  EXPECT_EQ(parse_convert({"triples", "t", "--count-column", "none", "--out", "o.h5"}).triples.count_column, 0);
  // A corpus of another format may be split by entries too.
  EXPECT_EQ(parse_convert({"uci", "d", "v", "--out", "o.h5", "--holdout-fraction", "0.5", "--heldout-out", "t.h5"})
                .holdout_fraction, 0.5);
}

TEST(ParseSynth, HoldoutFractionOfEntries) {
  const SynthConfig c = parse_synth({"--out", "o.h5", "--holdout-fraction", "0.25", "--heldout-out", "t.h5"}, {},
                                    "synth hpf", "corpus", "document");
  EXPECT_EQ(c.holdout_fraction, 0.25);
  EXPECT_EQ(c.holdout_min_entries, 5);
  EXPECT_EQ(c.heldout_out, "t.h5");
}

struct InvalidConvert {
  std::string name;
  Args args;
  std::vector<std::string> expected;
};

void PrintTo(const InvalidConvert& p, std::ostream* out) { *out << p.name; }

class InvalidConvertArguments : public ::testing::TestWithParam<InvalidConvert> {};

TEST_P(InvalidConvertArguments, AreRejectedNamingTheArgument) {
  const std::string message = convert_error(GetParam().args);
  for (const auto& part : GetParam().expected) EXPECT_TRUE(contains(message, part)) << message;
}

INSTANTIATE_TEST_SUITE_P(
    ParseConvert, InvalidConvertArguments,
    ::testing::Values(
        InvalidConvert{"SplitEveryWithoutHeldoutOut",
                       {"uci", "d", "v", "--out", "c.h5", "--split-every", "10"},
                       {"--split-every", "--heldout-out"}},
        InvalidConvert{"HeldoutOutWithoutSplitEvery",
                       {"uci", "d", "v", "--out", "c.h5", "--heldout-out", "t.h5"},
                       {"--heldout-out", "--split-every"}},
        InvalidConvert{"SplitEveryOne",
                       {"uci", "d", "v", "--out", "c.h5", "--split-every", "1", "--heldout-out", "t.h5"},
                       {"--split-every 1", ">= 2"}},
        InvalidConvert{"SplitEveryNotANumber",
                       {"uci", "d", "v", "--out", "c.h5", "--split-every", "ten", "--heldout-out", "t.h5"},
                       {"'ten'", "split-every"}},
        InvalidConvert{"WrongFormatWord", {"csv", "d", "v", "--out", "c.h5"}, {"'csv'", "uci", "ldac"}},
        InvalidConvert{"MissingOut", {"uci", "d", "v"}, {"--out"}},
        InvalidConvert{
            "MissingVocabulary", {"uci", "d", "--out", "c.h5"}, {"uci DOCWORD VOCAB", "2 arguments"}},
        InvalidConvert{"ExtraArgument", {"ldac", "d", "v", "w", "--out", "c.h5"}, {"4 arguments"}},
        InvalidConvert{"NoArguments", {}, {"0 arguments"}},
        InvalidConvert{
            "UnknownOption", {"uci", "d", "v", "--outfile", "c.h5"}, {"unrecognised option", "--outfile"}},
        InvalidConvert{"UnknownFormatWord", {"tsv", "d", "--out", "c.h5"}, {"'tsv'", "uci", "ldac", "csv FILE"}},
        InvalidConvert{"CsvWithoutFile", {"csv", "--out", "c.h5"}, {"'csv FILE'", "1 arguments"}},
        InvalidConvert{"CsvMissingOut", {"csv", "d.csv"}, {"--out"}},
        InvalidConvert{"LabelColumnForUci",
                       {"uci", "d", "v", "--out", "c.h5", "--label-column", "last"},
                       {"--label-column", "only for 'csv'", "'uci'"}},
        InvalidConvert{"LabelColumnForLdac",
                       {"ldac", "d", "v", "--out", "c.h5", "--label-column", "1"},
                       {"--label-column", "only for 'csv'", "'ldac'"}},
        InvalidConvert{"LabelColumnNotAColumn",
                       {"csv", "d", "--out", "c.h5", "--label-column", "middle"},
                       {"convert: --label-column 'middle'", "first, last or a column number >= 1"}},
        InvalidConvert{"LabelColumnZero",
                       {"csv", "d", "--out", "c.h5", "--label-column", "0"},
                       {"--label-column '0'", ">= 1"}},
        InvalidConvert{"LabelColumnWithoutValue", {"csv", "d", "--out", "c.h5", "--label-column"}, {"label-column"}},
        InvalidConvert{"TriplesWithAVocabulary", {"triples", "t", "v", "--out", "c.h5"}, {"'triples FILE'", "3 arguments"}},
        InvalidConvert{"UserColumnForUci", {"uci", "d", "v", "--out", "c.h5", "--user-column", "2"},
                       {"--user-column", "only for 'triples'", "'uci'"}},
        InvalidConvert{"BinarizeForCsv", {"csv", "d", "--out", "c.h5", "--binarize"}, {"--binarize", "only for 'triples'"}},
        InvalidConvert{"HeaderForLdac", {"ldac", "d", "v", "--out", "c.h5", "--header"}, {"--header", "only for 'triples'"}},
        InvalidConvert{"UserColumnZero", {"triples", "t", "--out", "c.h5", "--user-column", "0"},
                       {"--user-column 0", "a field number >= 1"}},
        InvalidConvert{"CountColumnWord", {"triples", "t", "--out", "c.h5", "--count-column", "last"},
                       {"--count-column 'last'", "a field number >= 1 or 'none'"}},
        InvalidConvert{"SameColumnTwice", {"triples", "t", "--out", "c.h5", "--item-column", "1"},
                       {"must be different fields", "(1, 1)"}},
        InvalidConvert{"CountColumnIsTheUsers", {"triples", "t", "--out", "c.h5", "--count-column", "1"},
                       {"must be different fields", "(1, 2, 1)"}},
        InvalidConvert{"TriplesMinCountZero", {"triples", "t", "--out", "c.h5", "--min-count", "0"}, {"--min-count 0", ">= 1"}},
        InvalidConvert{"HoldoutFractionOne",
                       {"triples", "t", "--out", "c.h5", "--holdout-fraction", "1", "--heldout-out", "h.h5"},
                       {"--holdout-fraction 1", "(0, 1)"}},
        InvalidConvert{"HoldoutWithoutHeldoutOut", {"triples", "t", "--out", "c.h5", "--holdout-fraction", "0.2"},
                       {"--holdout-fraction needs --heldout-out"}},
        InvalidConvert{"BothSplits",
                       {"triples", "t", "--out", "c.h5", "--holdout-fraction", "0.2", "--split-every", "3",
                        "--heldout-out", "h.h5"},
                       {"--split-every and --holdout-fraction", "give one"}},
        InvalidConvert{"HoldoutForCsv",
                       {"csv", "d", "--out", "c.h5", "--holdout-fraction", "0.2", "--heldout-out", "h.h5"},
                       {"--holdout-fraction", "for 'csv' use --split-every"}},
        InvalidConvert{"SeedWithoutHoldout", {"triples", "t", "--out", "c.h5", "--seed", "3"},
                       {"--seed is the seed of --holdout-fraction"}},
        InvalidConvert{"MinEntriesWithoutHoldout", {"triples", "t", "--out", "c.h5", "--holdout-min-entries", "3"},
                       {"--holdout-min-entries needs --holdout-fraction"}},
        InvalidConvert{"MinEntriesOne",
                       {"triples", "t", "--out", "c.h5", "--holdout-fraction", "0.2", "--holdout-min-entries", "1",
                        "--heldout-out", "h.h5"},
                       {"--holdout-min-entries 1", ">= 2"}},
        InvalidConvert{"TextWithoutInput", {"text", "--out", "c.h5"}, {"'text INPUT...'", "1 arguments"}},
        InvalidConvert{"MmWithoutVocabulary", {"mm", "c.mm", "--out", "c.h5"}, {"'mm FILE VOCAB'"}},
        InvalidConvert{"TextOptionForUci", {"uci", "d", "v", "--out", "c.h5", "--min-df", "2"},
                       {"--min-df is only for 'text', not 'uci'"}},
        InvalidConvert{"KeepEmptyForCsv", {"csv", "d", "--out", "c.h5", "--keep-empty"},
                       {"--keep-empty is only for 'text', not 'csv'"}},
        InvalidConvert{"TextMinCountZero", {"text", "d", "--out", "c.h5", "--min-count", "0"},
                       {"convert: --min-count 0: expected an integer >= 1"}},
        InvalidConvert{"MaxDfAboveOne", {"text", "d", "--out", "c.h5", "--max-df", "1.5"},
                       {"convert: --max-df 1.5: expected a number in (0, 1]"}},
        InvalidConvert{"MaxDfZero", {"text", "d", "--out", "c.h5", "--max-df", "0"}, {"--max-df 0"}},
        InvalidConvert{"KeepTopZero", {"text", "d", "--out", "c.h5", "--keep-top", "0"}, {"--keep-top 0"}},
        InvalidConvert{"PruningWithAGivenVocabulary",
                       {"text", "d", "--out", "c.h5", "--vocab", "m.h5", "--min-df", "3"},
                       {"convert: --min-df makes a vocabulary; --vocab gives one"}},
        InvalidConvert{"NameFieldWithoutField", {"text", "d", "--out", "c.h5", "--name-field", "id"},
                       {"--name-field needs --field"}},
        InvalidConvert{"UnknownErrorsMode", {"text", "d", "--out", "c.h5", "--errors", "ignore"},
                       {"--errors ignore: expected strict or replace"}},
        InvalidConvert{"BadTokenPattern", {"text", "d", "--out", "c.h5", "--token-pattern", "\\s+"},
                       {"convert: --token-pattern '\\s+'", "not a class natgrad knows"}}),
    [](const ::testing::TestParamInfo<InvalidConvert>& p) { return p.param.name; });

TEST(ParseConvert, TextArgumentsAndOptions) {
  const ConvertConfig c = parse_convert({"text", "docs/", "more.jsonl.gz", "--out", "c.h5", "--field", "body",
                                         "--name-field", "id", "--token-pattern", "[a-z]{2,}", "--stop-words",
                                         "stop.txt", "--min-count", "3", "--min-df", "2", "--max-df", "0.5",
                                         "--keep-top", "1000", "--keep-empty", "--errors", "replace"});
  EXPECT_EQ(c.format, "text");
  EXPECT_EQ(c.text.inputs, (std::vector<std::string>{"docs/", "more.jsonl.gz"}));
  EXPECT_EQ(c.text.field, "body");
  EXPECT_EQ(c.text.name_field, "id");
  EXPECT_EQ(c.text.token_pattern, "[a-z]{2,}");
  EXPECT_EQ(c.text.stop_words, "stop.txt");
  EXPECT_EQ(c.text.min_count, 3);
  EXPECT_EQ(c.text.min_df, 2);
  EXPECT_EQ(c.text.max_df, 0.5);
  EXPECT_EQ(c.text.keep_top, 1000);
  EXPECT_TRUE(c.text.keep_empty && c.text.replace_errors);
  const ConvertConfig d = parse_convert({"text", "a.txt", "--out", "c.h5", "--vocab", "model.h5"});
  EXPECT_EQ(d.text.vocab, "model.h5");
  EXPECT_EQ(d.text.token_pattern, "\\p{L}{3,}");
  EXPECT_FALSE(d.text.keep_empty || d.text.replace_errors);
  const ConvertConfig mm = parse_convert({"mm", "c.mm", "vocab.txt", "--out", "c.h5"});
  EXPECT_EQ(mm.format, "mm");
  EXPECT_EQ(mm.vocab, "vocab.txt");
}

// ---------------------------------------------------------------------------
// natgrad evaluate: its options, and those of the model's family.

InferConfig parse_evaluate(const Args& args) { return config::parse_evaluate(args, models::catalog()); }

TEST(ParseEvaluate, DataIsOptionalAndFamilyOptionsAreKeptAsGiven) {
  const InferConfig c = parse_evaluate({"--model", "m.h5", "--coherence", "umass", "--reference", "r.h5"});
  EXPECT_EQ(c.data, "");
  EXPECT_EQ(c.measures.text("coherence"), "umass");
  EXPECT_FALSE(c.measures.has("top"));  // the family completes them
  const Values v = evaluate_measures(c.measures, models::catalog(), "lda", "m.h5");
  EXPECT_EQ(v.integer("top"), 10);
  EXPECT_EQ(v.text("reference"), "r.h5");
  EXPECT_EQ(parse_evaluate({"--model", "m.h5", "--data", "t.h5"}).data, "t.h5");
  EXPECT_TRUE(contains(error_of([] { parse_evaluate({"--data", "t.h5"}); }), "--model is required"));
  EXPECT_TRUE(contains(error_of([] { parse_evaluate({"--model", "m.h5", "--top", "x"}); }), "evaluate: "));
  EXPECT_TRUE(contains(error_of([] { parse_evaluate({"--model", "m.h5", "--out", "x.h5"}); }), "--out"));
}

TEST(ParseEvaluate, OptionsOfAnotherFamilyAndBadValuesAreRefused) {
  const InferConfig c = parse_evaluate({"--model", "g.h5", "--coherence", "umass"});
  EXPECT_TRUE(contains(error_of([&] { evaluate_measures(c.measures, models::catalog(), "gmm", "g.h5"); }),
                       "evaluate: --coherence is an option for lda models; g.h5 is a gmm model"));
  const InferConfig bad = parse_evaluate({"--model", "m.h5", "--coherence", "c_v"});
  EXPECT_TRUE(contains(error_of([&] { evaluate_measures(bad.measures, models::catalog(), "lda", "m.h5"); }),
                       "--coherence = c_v: expected none, umass, npmi or umass,npmi"));
  const InferConfig few = parse_evaluate({"--model", "m.h5", "--top", "1"});
  EXPECT_TRUE(contains(error_of([&] { evaluate_measures(few.measures, models::catalog(), "lda", "m.h5"); }),
                       "--top = 1: expected an integer >= 2"));
  EXPECT_TRUE(contains(evaluate_help(models::catalog()), "options for lda models"));
  EXPECT_TRUE(contains(evaluate_help(models::catalog()), "--coherence"));
}

// ---------------------------------------------------------------------------
// natgrad synth gmm.

TEST(ParseSynthGmm, DefaultsAndEveryOption) {
  const SynthConfig d = parse_synth_gmm({"--out", "g.h5"});
  EXPECT_EQ(d.values.integer("components"), 5);
  EXPECT_EQ(d.values.integer("dim"), 2);
  EXPECT_EQ(d.values.integer("points"), 1000);
  EXPECT_EQ(d.values.number("separation"), 6.0);
  EXPECT_EQ(d.values.text("covariance"), "full");
  EXPECT_EQ(d.values.integer("seed"), 1);
  EXPECT_EQ(d.out, "g.h5");
  EXPECT_EQ(d.split_every, 0);
  const SynthConfig c = parse_synth_gmm({"--components", "7", "--dim", "10", "--points", "123456", "--separation",
                                            "2.5", "--covariance", "diag", "--seed", "42", "--out", "train.h5",
                                            "--split-every", "4", "--heldout-out", "test.h5"});
  EXPECT_EQ(c.values.integer("components"), 7);
  EXPECT_EQ(c.values.integer("dim"), 10);
  EXPECT_EQ(c.values.integer("points"), 123456);
  EXPECT_EQ(c.values.number("separation"), 2.5);
  EXPECT_EQ(c.values.text("covariance"), "diag");
  EXPECT_EQ(c.values.integer("seed"), 42);
  EXPECT_EQ(c.out, "train.h5");
  EXPECT_EQ(c.split_every, 4);
  EXPECT_EQ(c.heldout_out, "test.h5");
}

struct InvalidSynth {
  std::string name;
  Args args;
  std::vector<std::string> expected;
};

void PrintTo(const InvalidSynth& p, std::ostream* out) { *out << p.name; }

class InvalidSynthGmmArguments : public ::testing::TestWithParam<InvalidSynth> {};

TEST_P(InvalidSynthGmmArguments, AreRejectedNamingTheOptionAndTheRule) {
  const std::string message = error_of([&] { parse_synth_gmm(GetParam().args); });
  for (const auto& part : GetParam().expected) EXPECT_TRUE(contains(message, part)) << message;
}

Args gmm_plus(const Args& extra) {
  Args args = {"--out", "g.h5"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

INSTANTIATE_TEST_SUITE_P(
    ParseSynthGmm, InvalidSynthGmmArguments,
    ::testing::Values(
        InvalidSynth{"ComponentsZero", gmm_plus({"--components", "0"}), {"--components = 0", ">= 1"}},
        InvalidSynth{"ComponentsNegative", gmm_plus({"--components", "-2"}), {"--components = -2", ">= 1"}},
        InvalidSynth{"ComponentsTooMany",
                     gmm_plus({"--components", "2147483648"}),
                     {"--components = 2147483648", "at most 2^31 - 1"}},
        InvalidSynth{"DimZero", gmm_plus({"--dim", "0"}), {"--dim = 0", ">= 1"}},
        InvalidSynth{"PointsZero", gmm_plus({"--points", "0"}), {"--points = 0", ">= 1"}},
        InvalidSynth{"SeparationZero", gmm_plus({"--separation", "0"}), {"--separation = 0", "> 0"}},
        InvalidSynth{"SeparationNegative", gmm_plus({"--separation", "-1"}), {"--separation = -1", "> 0"}},
        InvalidSynth{"SeparationInfinite", gmm_plus({"--separation", "inf"}), {"--separation = inf", "finite"}},
        InvalidSynth{"CovarianceUnknown",
                     gmm_plus({"--covariance", "spherical"}),
                     {"--covariance = spherical", "full or diag"}},
        InvalidSynth{"PointsNotANumber", gmm_plus({"--points", "many"}), {"synth gmm", "'many'", "points"}},
        InvalidSynth{"SeedNegative", gmm_plus({"--seed", "-1"}), {"--seed = -1", ">= 0"}},
        InvalidSynth{"MissingOut", {"--components", "3"}, {"synth gmm", "--out DATA.h5 is required"}},
        InvalidSynth{"SplitEveryWithoutHeldoutOut",
                     gmm_plus({"--split-every", "10"}),
                     {"synth gmm", "--split-every", "--heldout-out"}},
        InvalidSynth{"HeldoutOutWithoutSplitEvery",
                     gmm_plus({"--heldout-out", "t.h5"}),
                     {"synth gmm", "--heldout-out", "--split-every"}},
        InvalidSynth{"SplitEveryOne",
                     gmm_plus({"--split-every", "1", "--heldout-out", "t.h5"}),
                     {"--split-every 1", ">= 2"}},
        InvalidSynth{"UnknownOption", gmm_plus({"--topics", "5"}), {"synth gmm", "--topics"}}),
    [](const ::testing::TestParamInfo<InvalidSynth>& p) { return p.param.name; });

// ---------------------------------------------------------------------------
// Help.

TEST(Help, IsAskedForByEitherFlagAnywhere) {
  EXPECT_TRUE(wants_help({"--help"}));
  EXPECT_TRUE(wants_help({"--config", "a.ini", "-h"}));
  EXPECT_FALSE(wants_help({"--config", "a.ini"}));
  EXPECT_FALSE(wants_help({}));
}

TEST(Help, DescribesTheCommands) {
  EXPECT_TRUE(contains(fit_help(), "--config"));
  EXPECT_TRUE(contains(fit_help(), "solver.kappa"));
  EXPECT_TRUE(contains(convert_help(), "--split-every"));
  EXPECT_TRUE(contains(convert_help(), "ldac"));
  EXPECT_TRUE(contains(convert_help(), "convert csv FILE"));
  EXPECT_TRUE(contains(convert_help(), "--label-column"));
  EXPECT_TRUE(contains(convert_help(), "convert text INPUT..."));
  EXPECT_TRUE(contains(convert_help(), "--token-pattern"));
  EXPECT_TRUE(contains(convert_help(), "convert mm FILE VOCAB"));
  EXPECT_TRUE(contains(synth_gmm_help(), "--components"));
  EXPECT_TRUE(contains(synth_gmm_help(), "--covariance"));
  EXPECT_TRUE(contains(synth_gmm_help(), "output data HDF5"));
  EXPECT_TRUE(contains(synth_lda_help(), "output corpus HDF5"));
}

}  // namespace
}  // namespace natgrad::config
