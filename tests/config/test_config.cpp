// Every job key: defaults, INI files, command-line overrides, and one test per
// invalid value checking that the error names the key and the value.

#include <gtest/gtest.h>

#include <fstream>

#include "natgrad/config/config.hpp"
#include "natgrad/error.hpp"
#include "test_data.hpp"

namespace natgrad::config {
namespace {

std::vector<std::string> minimal() { return {"--model.topics", "5", "--data.train", "x.h5"}; }

TEST(ParseFit, DefaultsOfAMinimalCommandLine) {
  const FitConfig c = parse_fit(minimal());
  EXPECT_EQ(c.model.type, "lda");
  EXPECT_EQ(c.model.topics, 5);
  EXPECT_DOUBLE_EQ(c.model.alpha, 0.2);
  EXPECT_DOUBLE_EQ(c.model.eta, 0.2);
  EXPECT_EQ(c.data.train, "x.h5");
  EXPECT_EQ(c.data.heldout, "");
  EXPECT_EQ(c.solver.batch_size, 256);
  EXPECT_EQ(c.solver.schedule, Schedule::kRobbinsMonro);
  EXPECT_DOUBLE_EQ(c.solver.tau0, 10.0);
  EXPECT_DOUBLE_EQ(c.solver.kappa, 0.7);
  EXPECT_EQ(c.solver.epochs, 1);
  EXPECT_EQ(c.solver.max_steps, 0);
  EXPECT_EQ(c.solver.local_max_iters, 100);
  EXPECT_DOUBLE_EQ(c.solver.local_tol, 1e-3);
  EXPECT_EQ(c.eval.every_steps, 10);
  EXPECT_EQ(c.output.model, "model.h5");
  EXPECT_EQ(c.checkpoint.path, "");
  EXPECT_EQ(c.checkpoint.keep, 2);
  EXPECT_EQ(c.restart, "");
}

TEST(ParseFit, IniFileAndCommandLineOverride) {
  const std::string dir = testing::temp_dir("config_ini");
  const std::string ini = dir + "/job.ini";
  std::ofstream(ini) << "[model]\ntopics = 7\nalpha = 0.5\n[data]\ntrain = a.h5\n[solver]\n"
                        "kappa = 0.9\nschedule = constant\nrho = 0.5\n[checkpoint]\npath = ck\nevery_steps = 3\n";
  const FitConfig c = parse_fit({"--config", ini, "--model.alpha", "0.25", "--restart", "auto"});
  EXPECT_EQ(c.model.topics, 7);
  EXPECT_DOUBLE_EQ(c.model.alpha, 0.25);  // the command line wins over the file
  EXPECT_DOUBLE_EQ(c.model.eta, 1.0 / 7);
  EXPECT_EQ(c.data.train, "a.h5");
  EXPECT_DOUBLE_EQ(c.solver.kappa, 0.9);
  EXPECT_EQ(c.solver.schedule, Schedule::kConstant);
  EXPECT_DOUBLE_EQ(c.solver.rho, 0.5);
  EXPECT_EQ(c.checkpoint.path, "ck");
  EXPECT_EQ(c.checkpoint.every_steps, 3);
  EXPECT_EQ(c.restart, "auto");
}

TEST(ParseFit, ResolvedConfigurationParsesBackToItself) {
  std::vector<std::string> args = minimal();
  args.insert(args.end(), {"--solver.kappa", "0.55", "--model.eta", "0.01", "--solver.max_steps", "9"});
  const FitConfig c = parse_fit(args);
  std::vector<std::string> again;
  for (const auto& [key, value] : resolved(c)) {
    if (key == "solver.epochs" || (key == "solver.max_steps" && value == "0")) continue;
    again.push_back("--" + key);
    again.push_back(value);
  }
  const FitConfig d = parse_fit(again);
  EXPECT_EQ(resolved(c), resolved(d));
}

struct Invalid {
  const char* name;
  std::vector<std::string> args;  ///< added to the minimal command line
  std::vector<std::string> expected;  ///< substrings of the message
};

void PrintTo(const Invalid& p, std::ostream* out) { *out << p.name; }

class InvalidFitValue : public ::testing::TestWithParam<Invalid> {};

TEST_P(InvalidFitValue, IsRejectedNamingKeyAndValue) {
  const Invalid& p = GetParam();
  // The minimal command line, less model.topics when the case sets it.
  std::vector<std::string> args = p.args.front() == "--model.topics" ? std::vector<std::string>{"--data.train", "x.h5"}
                                                                      : minimal();
  args.insert(args.end(), p.args.begin(), p.args.end());
  try {
    parse_fit(args);
    FAIL() << "accepted";
  } catch (const Error& e) {
    for (const auto& part : p.expected) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryRule, InvalidFitValue,
    ::testing::Values(
        Invalid{"TopicsZero", {"--model.topics", "0"}, {"model.topics", "0", ">= 1"}},
        Invalid{"TopicsNegative", {"--model.topics", "-3"}, {"model.topics", "-3"}},
        Invalid{"TopicsNotANumber", {"--model.topics", "abc"}, {"model.topics", "abc"}},
        Invalid{"AlphaZero", {"--model.alpha", "0"}, {"model.alpha", "0", "> 0"}},
        Invalid{"AlphaNegative", {"--model.alpha", "-1"}, {"model.alpha", "-1"}},
        Invalid{"EtaZero", {"--model.eta", "0"}, {"model.eta", "0"}},
        Invalid{"EtaNan", {"--model.eta", "nan"}, {"model.eta", "nan"}},
        Invalid{"UnknownModelType", {"--model.type", "gmm2"}, {"model.type", "gmm2", "lda"}},
        Invalid{"BatchSizeZero", {"--solver.batch_size", "0"}, {"solver.batch_size", "0"}},
        Invalid{"BatchSizeNotANumber", {"--solver.batch_size", "many"}, {"solver.batch_size", "many"}},
        Invalid{"Tau0Negative", {"--solver.tau0", "-1"}, {"solver.tau0", "-1", ">= 0"}},
        Invalid{"KappaHalf", {"--solver.kappa", "0.5"}, {"solver.kappa", "0.5", "(0.5, 1]"}},
        Invalid{"KappaLow", {"--solver.kappa", "0.3"}, {"solver.kappa", "0.3"}},
        Invalid{"KappaHigh", {"--solver.kappa", "1.5"}, {"solver.kappa", "1.5"}},
        Invalid{"KappaNotANumber", {"--solver.kappa", "fast"}, {"solver.kappa", "fast"}},
        Invalid{"RhoZero", {"--solver.rho", "0"}, {"solver.rho", "0"}},
        Invalid{"RhoAboveOne", {"--solver.rho", "2"}, {"solver.rho", "2"}},
        Invalid{"UnknownSchedule", {"--solver.schedule", "adam"}, {"solver.schedule", "adam"}},
        Invalid{"EpochsZero", {"--solver.epochs", "0"}, {"solver.epochs", "0"}},
        Invalid{"MaxStepsZero", {"--solver.max_steps", "0"}, {"solver.max_steps", "0"}},
        Invalid{"EpochsAndMaxSteps", {"--solver.epochs", "2", "--solver.max_steps", "5"},
                {"solver.epochs", "solver.max_steps"}},
        Invalid{"LocalMaxItersZero", {"--solver.local_max_iters", "0"}, {"solver.local_max_iters", "0"}},
        Invalid{"LocalTolZero", {"--solver.local_tol", "0"}, {"solver.local_tol", "0"}},
        Invalid{"SeedNegative", {"--solver.seed", "-1"}, {"solver.seed", "-1"}},
        Invalid{"SeedNotAnInteger", {"--solver.seed", "1.5"}, {"solver.seed", "1.5"}},
        Invalid{"EvalEveryNegative", {"--eval.every_steps", "-1"}, {"eval.every_steps", "-1"}},
        Invalid{"OutputEmpty", {"--output.model", ""}, {"output.model"}},
        Invalid{"CheckpointEveryStepsNegative", {"--checkpoint.every_steps", "-2"}, {"checkpoint.every_steps", "-2"}},
        Invalid{"CheckpointEverySecondsNegative", {"--checkpoint.every_seconds", "-5"},
                {"checkpoint.every_seconds", "-5"}},
        Invalid{"CheckpointKeepZero", {"--checkpoint.keep", "0"}, {"checkpoint.keep", "0"}},
        Invalid{"RestartAutoWithoutPath", {"--restart", "auto"}, {"--restart auto", "checkpoint.path"}},
        Invalid{"UnknownOption", {"--model.topicz", "5"}, {"model.topicz"}},
        Invalid{"RepeatedOption", {"--solver.seed", "1", "--solver.seed", "2"}, {"solver.seed"}}),
    [](const ::testing::TestParamInfo<Invalid>& param_info) { return std::string(param_info.param.name); });

TEST(ParseFit, RequiredKeysAreNamed) {
  for (const auto& [args, key] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--data.train", "x.h5"}, "model.topics"}, {{"--model.topics", "3"}, "data.train"}}) {
    try {
      parse_fit(args);
      FAIL() << "accepted without " << key;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  }
}

TEST(ParseFit, UnknownKeyInTheJobFileNamesFileAndKey) {
  const std::string dir = testing::temp_dir("config_unknown");
  const std::string ini = dir + "/job.ini";
  std::ofstream(ini) << "[model]\ntopicz = 5\n";
  try {
    parse_fit({"--config", ini});
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(ini), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("model.topicz"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_fit({"--config", dir + "/missing.ini"}), Error);
}

TEST(ParseConvert, ValidArguments) {
  const ConvertConfig a = parse_convert({"uci", "docword.txt.gz", "vocab.txt", "--out", "c.h5"});
  EXPECT_EQ(a.format, "uci");
  EXPECT_EQ(a.input, "docword.txt.gz");
  EXPECT_EQ(a.vocab, "vocab.txt");
  EXPECT_EQ(a.out, "c.h5");
  EXPECT_EQ(a.split_every, 0);
  const ConvertConfig b =
      parse_convert({"ldac", "ap.dat", "vocab.txt", "--out", "c.h5", "--split-every", "10", "--heldout-out", "t.h5"});
  EXPECT_EQ(b.format, "ldac");
  EXPECT_EQ(b.split_every, 10);
  EXPECT_EQ(b.heldout_out, "t.h5");
}

TEST(ParseConvert, InvalidArgumentsAreNamed) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"uci", "d", "v", "--out", "c.h5", "--split-every", "10"}, "--heldout-out"},
      {{"uci", "d", "v", "--out", "c.h5", "--heldout-out", "t.h5"}, "--split-every"},
      {{"uci", "d", "v", "--out", "c.h5", "--split-every", "1", "--heldout-out", "t.h5"}, "--split-every 1"},
      {{"csv", "d", "v", "--out", "c.h5"}, "'csv'"},
      {{"uci", "d", "v"}, "--out"},
      {{"uci", "d", "--out", "c.h5"}, "uci DOCWORD VOCAB"},
  };
  for (const auto& [args, expected] : cases) {
    try {
      parse_convert(args);
      FAIL() << "accepted: " << expected;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace natgrad::config
