// The command table: `natgrad COMMAND [options]` to the command's body.

#include <algorithm>
#include <functional>

#include "natgrad/app/commands.hpp"
#include "natgrad/models/registry.hpp"

namespace natgrad::app {

namespace {

std::string usage() {
  std::string synth;
  for (const models::Family* f : models::families()) synth += (synth.empty() ? "" : " | ") + std::string("synth ") + f->type();
  return "usage: natgrad COMMAND [options]\n"
         "commands:\n"
         "  convert   turn raw text, a bag of words (uci, ldac, mm) or CSV data into natgrad's HDF5 files\n"
         "  fit       fit a model by stochastic variational inference (run under mpirun)\n"
         "  synth     draw data from a model's generative process (" + synth + ")\n"
         "  infer     what a fitted model says of each item of a data set (topic proportions, responsibilities)\n"
         "  evaluate  the held-out score of a fitted model on a data set, and its family's measures (topic coherence)\n"
         "'natgrad COMMAND --help' describes each command.\n";
}

}  // namespace

int dispatch(const std::vector<std::string>& args, comm::Communicator& comm, std::ostream& out,
             const volatile std::sig_atomic_t* stop) {
  const bool root = comm.rank() == 0;
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    if (root) out << usage();
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    if (root) out << "natgrad " << NATGRAD_VERSION << "\n";
    return 0;
  }
  // Serial commands: rank 0 does the work, the others wait for the verdict.
  const auto on_root = [&](const std::function<void()>& body) {
    comm::agree(comm, [&] {
      if (root) body();
    });
    return 0;
  };
  struct Command {
    std::vector<std::string> words;  ///< the command's name, e.g. {"synth", TYPE}
    std::function<std::string()> help;
    std::function<int(const std::vector<std::string>&)> run;  ///< takes the options after the name
  };
  std::vector<Command> commands = {
      {{"fit"}, [] { return config::fit_help(models::catalog()); },
       [&](const std::vector<std::string>& options) {
         config::FitConfig config;
         comm::agree(comm, [&] { config = config::parse_fit(options, models::catalog()); });
         return run_fit(config, comm, out, stop).finished ? 0 : kExitPreempted;
       }},
      {{"convert"}, config::convert_help,
       [&](const std::vector<std::string>& options) {
         return on_root([&] { run_convert(config::parse_convert(options), out); });
       }},
      {{"evaluate"}, [] { return config::evaluate_help(models::catalog()); },
       [&](const std::vector<std::string>& options) {
         config::InferConfig config;
         comm::agree(comm, [&] { config = config::parse_evaluate(options, models::catalog()); });
         run_evaluate(config, comm, out);
         return 0;
       }},
      {{"infer"}, config::infer_help,
       [&](const std::vector<std::string>& options) {
         config::InferConfig config;
         comm::agree(comm, [&] { config = config::parse_infer(options); });
         run_infer(config, comm, out);
         return 0;
       }},
  };
  for (const models::Family* family : models::families()) {
    const std::string command = "synth " + family->type();
    const io::DataNouns& nouns = io::nouns(family->data_kind());
    commands.push_back(
        {{"synth", family->type()},
         [=] { return config::synth_help(family->synth_usage(), family->synth_options(), nouns.file, nouns.item); },
         [&, family, command, nouns](const std::vector<std::string>& options) {
           return on_root([&] {
             run_synth(*family, config::parse_synth(options, family->synth_options(), command, nouns.file, nouns.item), out);
           });
         }});
  }
  for (const Command& command : commands) {
    const std::size_t n = command.words.size();
    if (args.size() < n || !std::equal(command.words.begin(), command.words.end(), args.begin())) continue;
    const std::vector<std::string> options(args.begin() + static_cast<std::ptrdiff_t>(n), args.end());
    if (config::wants_help(options)) {
      if (root) out << command.help();
      return 0;
    }
    return command.run(options);
  }
  if (args[0] == "synth") {
    throw comm::AgreedError("synth: " + (args.size() < 2 ? std::string("no model type given") : "unknown model type '" + args[1] + "'") +
                            "; expected " + models::family_names() + " (natgrad synth TYPE --help)");
  }
  throw comm::AgreedError("unknown command '" + args[0] + "'\n" + usage());
}

}  // namespace natgrad::app
