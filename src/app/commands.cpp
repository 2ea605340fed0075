#include "natgrad/app/commands.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "natgrad/error.hpp"
#include "natgrad/io/corpus.hpp"
#include "natgrad/io/text_corpus.hpp"
#include "natgrad/models/lda.hpp"
#include "natgrad/solver/svi.hpp"

namespace natgrad::app {

namespace {

// Documents [D·r/P, D·(r+1)/P): contiguous shards that differ by at most one.
models::Range shard_of(std::int64_t n, const comm::Communicator& comm) {
  return {n * comm.rank() / comm.size(), n * (comm.rank() + 1) / comm.size()};
}

// Fails now, not after hours of computing, if the model cannot be written.
void check_writable(const std::string& key, const std::string& path) {
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    throw Error(key + " = " + path + ": folder '" + folder.string() + "' does not exist");
  }
  if (::access(folder.c_str(), W_OK) != 0) {
    throw Error(key + " = " + path + ": folder '" + folder.string() + "' is not writable");
  }
}

std::string format_double(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

}  // namespace

FitResult run_fit(const config::FitConfig& config, comm::Communicator& comm, std::ostream& out) {
  const auto start = std::chrono::steady_clock::now();
  const bool root = comm.rank() == 0;
  io::CorpusInfo train_info;
  comm::agree(comm, [&] {
    train_info = io::read_corpus_info(config.data.train);
    if (train_info.num_docs < comm.size()) {
      throw Error(config.data.train + ": " + std::to_string(train_info.num_docs) + " documents for " +
                  std::to_string(comm.size()) + " ranks; every rank needs at least one document");
    }
    if (!config.data.heldout.empty()) {
      const io::CorpusInfo heldout = io::read_corpus_info(config.data.heldout);
      if (heldout.vocab_size != train_info.vocab_size) {
        throw Error(config.data.heldout + ": V = " + std::to_string(heldout.vocab_size) + " words, but " +
                    config.data.train + " has V = " + std::to_string(train_info.vocab_size) +
                    "; convert both with the same vocabulary");
      }
    }
    if (root) check_writable("output.model", config.output.model);
  });

  std::unique_ptr<models::LdaModel> model;
  std::vector<std::string> vocab;
  comm::agree(comm, [&] {
    const models::Range train = shard_of(train_info.num_docs, comm);
    io::Corpus train_shard = io::read_corpus(config.data.train, train.begin, train.end, root);
    vocab = std::move(train_shard.vocab);
    std::optional<io::Corpus> heldout_shard;
    if (!config.data.heldout.empty()) {
      const models::Range part = shard_of(io::read_corpus_info(config.data.heldout).num_docs, comm);
      heldout_shard = io::read_corpus(config.data.heldout, part.begin, part.end, false);
    }
    models::LdaOptions options;
    options.topics = config.model.topics;
    options.alpha = config.model.alpha;
    options.eta = config.model.eta;
    options.local_max_iters = static_cast<int>(config.solver.local_max_iters);
    options.local_tol = config.solver.local_tol;
    model = std::make_unique<models::LdaModel>(std::move(train_shard), std::move(heldout_shard), options);
  });

  solver::Svi svi(*model, comm, config.solver, config.eval.every_steps, root ? &out : nullptr);
  if (root) {
    out << "natgrad fit: lda, K = " << config.model.topics << ", " << train_info.num_docs << " documents, "
        << train_info.vocab_size << " words, " << train_info.num_tokens << " tokens, " << comm.size()
        << (comm.size() == 1 ? " rank" : " ranks") << "; " << svi.total_steps() << " steps of "
        << std::min(config.solver.batch_size, train_info.num_docs) << " documents\n";
  }
  svi.run();

  comm::agree(comm, [&] {
    if (!root) return;
    io::ModelFileContents contents;
    contents.type = model->type();
    contents.lambda = models::lda_topics(svi.lambda(), model->topics());
    contents.alpha = Eigen::VectorXd::Constant(model->topics(), config.model.alpha);
    contents.eta = config.model.eta;
    contents.vocab = vocab;
    contents.config = config::resolved(config);
    contents.step = svi.steps_done();
    contents.epoch = svi.epochs_done();
    contents.seed = config.solver.seed;
    contents.train_path = config.data.train;
    contents.train_docs = train_info.num_docs;
    contents.train_tokens = train_info.num_tokens;
    contents.heldout_name = model->heldout_name();
    contents.history = svi.history();
    io::write_model_file(config.output.model, contents);
  });
  if (root) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const io::HistoryRow& last = svi.history().back();
    out << "done: " << svi.steps_done() << " steps, " << format_double("%.2f", svi.epochs_done())
        << " epochs, " << format_double("%.1f", seconds) << " s (" << format_double("%.1f", last.seconds)
        << " s training); held-out " << model->heldout_name() << " " << format_double("%.2f", last.heldout)
        << "; model written to " << config.output.model << "\n";
  }
  return {svi.lambda(), svi.history()};
}

void run_convert(const config::ConvertConfig& config, std::ostream& out) {
  const io::Corpus corpus =
      config.format == "uci" ? io::read_uci(config.input, config.vocab) : io::read_ldac(config.input, config.vocab);
  const auto report = [&](const std::string& path, const io::Corpus& c) {
    io::write_corpus(path, c, config.input);
    out << "wrote " << path << ": " << c.num_docs() << " documents, " << c.vocab_size << " words, "
        << c.num_tokens() << " tokens\n";
  };
  if (config.split_every == 0) {
    report(config.out, corpus);
    return;
  }
  const auto [train, heldout] = io::split_every(corpus, config.split_every);
  report(config.out, train);
  report(config.heldout_out, heldout);
}

namespace {

constexpr const char* kUsage =
    "usage: natgrad COMMAND [options]\n"
    "commands:\n"
    "  convert   turn a UCI or LDA-C text corpus into an HDF5 corpus\n"
    "  fit       fit a model by stochastic variational inference (run under mpirun)\n"
    "'natgrad COMMAND --help' describes each command.\n";

}  // namespace

int dispatch(const std::vector<std::string>& args, comm::Communicator& comm, std::ostream& out) {
  const bool root = comm.rank() == 0;
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    if (root) out << kUsage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") {
    if (root) out << "natgrad " << NATGRAD_VERSION << "\n";
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "fit") {
    if (config::wants_help(rest)) {
      if (root) out << config::fit_help();
      return 0;
    }
    config::FitConfig config;
    comm::agree(comm, [&] { config = config::parse_fit(rest); });
    run_fit(config, comm, out);
    return 0;
  }
  if (args[0] == "convert") {
    if (config::wants_help(rest)) {
      if (root) out << config::convert_help();
      return 0;
    }
    // Conversion is serial: rank 0 does it, the others wait for the verdict.
    comm::agree(comm, [&] {
      if (root) run_convert(config::parse_convert(rest), out);
    });
    return 0;
  }
  throw comm::AgreedError("unknown command '" + args[0] + "'\n" + kUsage);
}

}  // namespace natgrad::app
