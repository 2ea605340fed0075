#include "natgrad/app/commands.hpp"

#include "fit_model.hpp"

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>

#include "natgrad/error.hpp"
#include "natgrad/io/corpus.hpp"
#include "natgrad/io/dense.hpp"
#include "natgrad/io/text_corpus.hpp"
#include "natgrad/io/theta_file.hpp"
#include "natgrad/models/lda.hpp"
#include "natgrad/models/gmm_synth.hpp"
#include "natgrad/models/lda_synth.hpp"
#include "natgrad/solver/svi.hpp"

namespace natgrad::app {

namespace {

// Fails now, not after hours of computing, if `path` cannot be written: tries
// to create the temporary file that the atomic write will use.
void check_writable(const std::string& key, const std::string& path) {
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    throw Error(key + " = " + path + ": folder '" + folder.string() + "' does not exist");
  }
  const std::string probe = path + ".tmp";
  if (!std::ofstream(probe)) throw Error(key + " = " + path + ": folder '" + folder.string() + "' is not writable");
  std::filesystem::remove(probe, ec);
}

std::string format_double(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

}  // namespace

namespace {

constexpr const char* kCheckpointPrefix = "ckpt-";

// Checkpoint files of `folder` as (step, path), newest first.
std::vector<std::pair<std::int64_t, std::string>> checkpoints_in(const std::string& folder) {
  std::vector<std::pair<std::int64_t, std::string>> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    long long step = 0;
    int used = 0;
    if (std::sscanf(name.c_str(), "ckpt-%lld.h5%n", &step, &used) == 1 && used == static_cast<int>(name.size())) {
      found.emplace_back(step, entry.path().string());
    }
  }
  std::sort(found.rbegin(), found.rend());
  return found;
}

std::string checkpoint_path(const std::string& folder, std::int64_t step) {
  char name[64];
  std::snprintf(name, sizeof name, "%s%09lld.h5", kCheckpointPrefix, static_cast<long long>(step));
  return (std::filesystem::path(folder) / name).string();
}

// Refuses a checkpoint that does not fit the job, naming the field that differs.
void check_fits(const io::ModelFileContents& saved, const std::string& path, const config::FitConfig& config,
                const detail::FitModel& fit) {
  const auto differs = [&](const std::string& field, const std::string& in_file, const std::string& in_job) {
    if (in_file != in_job) {
      throw Error(path + ": does not fit this job: " + field + " is " + in_file + " in the checkpoint and " +
                  in_job + " in the job");
    }
  };
  const auto resolved = config::resolved(config);
  const auto job_value = [&](const std::string& key) {
    for (const auto& [k, v] : resolved) {
      if (k == key) return v;
    }
    return std::string();
  };
  differs("model.type", saved.type, config.model.type);
  std::vector<std::string> keys = fit.fit_keys;
  keys.insert(keys.end(), {"solver.seed", "solver.batch_size"});
  for (const std::string& key : keys) differs(key, saved.config_value(key), job_value(key));
  const io::DataFingerprint& data = fit.data;
  const std::string items = "the number of training " + fit.items;
  differs(fit.items == "points" ? "the dimension D" : "the vocabulary size V", std::to_string(saved.data.vocab_size),
          std::to_string(data.vocab_size));
  differs(items, std::to_string(saved.data.num_docs), std::to_string(data.num_docs));
  differs(fit.items == "points" ? "the number of training values" : "the number of training tokens",
          std::to_string(saved.data.num_tokens), std::to_string(data.num_tokens));
  differs(fit.items == "points" ? "the checksum of the training data" : "the checksum of the training corpus",
          io::checksum_text(saved.data.checksum),
          io::checksum_text(data.checksum));
}

// λ of a checkpoint in the solver's form: exactly as the run kept it, or, in a
// file from before /solver/lambda_offset, λ = η + 1 · (λ − η).
models::GlobalParams saved_lambda(const io::ModelFileContents& saved, const Eigen::VectorXd& lambda,
                                  const models::Model& model, const std::string& path) {
  if (saved.lambda_offset.size() == 0) return {model.prior(), lambda, model.global_block_size()};
  if (saved.lambda_offset.size() != model.global_size() ||
      saved.lambda_offset_block_sum.size() != model.global_block_size()) {
    throw Error(path + ": does not fit this job: '/solver/lambda_offset' has " +
                std::to_string(saved.lambda_offset.size()) + " values in blocks of " +
                std::to_string(saved.lambda_offset_block_sum.size()) + ", the job's λ " +
                std::to_string(model.global_size()) + " in blocks of " + std::to_string(model.global_block_size()));
  }
  return {model.prior(), saved.lambda_offset, saved.lambda_scale, saved.lambda_offset_block_sum};
}

}  // namespace

std::string newest_checkpoint(const std::string& folder, std::ostream& warnings) {
  for (const auto& [step, path] : checkpoints_in(folder)) {
    try {
      io::read_model_file(path);
      return path;
    } catch (const Error& e) {
      warnings << "natgrad: warning: skipping checkpoint " << e.what() << "\n";
    }
  }
  return "";
}

FitResult run_fit(const config::FitConfig& config, comm::Communicator& comm, std::ostream& out,
                  const volatile std::sig_atomic_t* stop) {
  const auto start = std::chrono::steady_clock::now();
  const bool root = comm.rank() == 0;
  const std::string& folder = config.checkpoint.path;
  detail::FitModel fit = detail::make_fit_model(config, comm);
  models::Model& model = *fit.model;
  std::string restart = config.restart;
  comm::agree(comm, [&] {
    if (!root) return;
    check_writable("output.model", config.output.model);
    if (!folder.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(folder, ec);
      check_writable("checkpoint.path", checkpoint_path(folder, 0));
      // Left by a job killed while writing; never read.
      for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with(kCheckpointPrefix) && name.ends_with(".h5.tmp")) std::filesystem::remove(entry.path(), ec);
      }
      if (restart == "auto") {
        restart = newest_checkpoint(folder, std::cerr);
        out << (restart.empty() ? "no checkpoint in " + folder + ": starting afresh\n"
                                : "restarting from " + restart + "\n");
      }
    }
  });
  comm.broadcast(restart, 0);

  solver::Svi svi(model, comm, config.solver, config.eval.every_steps, root ? &out : nullptr);
  if (!restart.empty()) {
    comm::agree(comm, [&] {
      io::ModelFileContents saved = io::read_model_file(restart);
      check_fits(saved, restart, config, fit);
      svi.restore({saved_lambda(saved, fit.load(saved, restart), model, restart), saved.step, saved.docs_seen,
                   saved.train_seconds, std::move(saved.history)});
    });
  }
  if (root) {
    out << "natgrad fit: " << fit.description << ", " << comm.size() << (comm.size() == 1 ? " rank" : " ranks")
        << "; " << svi.total_steps() << " steps of " << std::min(config.solver.batch_size, fit.data.num_docs) << " "
        << fit.items << "\n";
  }

  // mpirun binds each rank to one core unless told otherwise: threads would then share it.
  cpu_set_t cpus;
  const std::int64_t usable = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : config.solver.threads;
  const std::int64_t fewest = comm.allreduce_min(usable);
  if (root && fewest < config.solver.threads) {
    out << "warning: solver.threads = " << config.solver.threads << " but a rank may run on only " << fewest
        << (fewest == 1 ? " CPU" : " CPUs") << " (mpirun binds each rank to a core by default; give each rank "
        << config.solver.threads << " with mpirun --map-by slot:PE=" << config.solver.threads
        << " or use --bind-to none)\n";
  }

  // The model file and every checkpoint hold the same: the state of the run.
  const auto snapshot = [&] {
    const models::GlobalParams& lambda = svi.lambda();
    io::ModelFileContents contents;
    contents.type = model.type();
    fit.save(lambda.dense(), contents);
    contents.lambda_scale = lambda.scale();
    contents.lambda_offset = lambda.offset();
    contents.lambda_offset_block_sum = lambda.block_sum();
    contents.config = config::resolved(config);
    contents.step = svi.steps_done();
    contents.epoch = svi.epochs_done();
    contents.seed = config.solver.seed;
    contents.docs_seen = svi.docs_seen();
    contents.train_seconds = svi.train_seconds();
    contents.train_path = config.data.train;
    contents.data = fit.data;
    contents.heldout_name = model.heldout_name();
    contents.history = svi.history();
    return contents;
  };
  solver::RunControl control;
  control.stop = stop;
  control.checkpoint_every_steps = config.checkpoint.every_steps;
  control.checkpoint_every_seconds = config.checkpoint.every_seconds;
  if (!folder.empty()) {
    control.checkpoint = [&] {
      comm::agree(comm, [&] {
        if (!root) return;
        io::write_model_file(checkpoint_path(folder, svi.steps_done()), snapshot());
        // Older checkpoints go only once the new one is complete.
        const auto all = checkpoints_in(folder);
        for (std::size_t i = static_cast<std::size_t>(config.checkpoint.keep); i < all.size(); ++i) {
          std::filesystem::remove(all[i].second);
        }
      });
    };
  }
  const bool finished = svi.run(control);

  if (!finished) {
    if (root) {
      out << "stopped at step " << svi.steps_done() << " on request"
          << (folder.empty() ? " (no checkpoint.path: nothing saved)"
                             : "; checkpoint written to " + checkpoint_path(folder, svi.steps_done()) +
                                   "; continue with --restart auto")
          << "\n";
    }
    return {svi.lambda().dense(), svi.history(), false};
  }
  comm::agree(comm, [&] {
    if (root) io::write_model_file(config.output.model, snapshot());
  });
  // The smallest and largest peak resident memory of the ranks, to size cluster jobs by.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const std::int64_t rss_kb = usage.ru_maxrss;  // kilobytes on Linux
  const std::int64_t rss_min = comm.allreduce_min(rss_kb);
  const std::int64_t rss_max = -comm.allreduce_min(-rss_kb);
  if (root) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const io::HistoryRow& last = svi.history().back();
    out << "done: " << svi.steps_done() << " steps, " << format_double("%.2f", svi.epochs_done())
        << " epochs, " << format_double("%.1f", seconds) << " s (" << format_double("%.1f", last.seconds)
        << " s training); " << (model.heldout_name().starts_with("heldout") ? "" : "held-out ")
        << model.heldout_name() << " " << format_double("%.2f", last.heldout) << "; peak memory per rank "
        << format_double("%.0f", static_cast<double>(rss_min) / 1024) << "–"
        << format_double("%.0f", static_cast<double>(rss_max) / 1024) << " MB; model written to "
        << config.output.model << "\n";
    const solver::Svi::StepProfile& p = svi.profile();
    if (p.steps > 0) {
      // Rank 0's time per step; the statistics allreduced are K per touched block (lda: word).
      const double n = static_cast<double>(p.steps);
      const double blocks = static_cast<double>(p.touched_blocks) / n;
      out << "per step (rank 0, " << p.steps << " steps): " << format_double("%.4f", p.total_seconds / n)
          << " s = local step " << format_double("%.4f", p.local_seconds / n) << " s + allgather and allreduce "
          << format_double("%.4f", p.comm_seconds / n) << " s + the rest "
          << format_double("%.4f", (p.total_seconds - p.local_seconds - p.comm_seconds) / n) << " s; "
          << format_double("%.0f", blocks) << " blocks of λ touched ("
          << format_double("%.2f", blocks * static_cast<double>(model.global_block_size()) * 8 / 1e6)
          << " MB allreduced)\n";
    }
  }
  return {svi.lambda().dense(), svi.history(), true};
}

namespace {

// Writes a corpus, or its train / held-out split, and says what was written.
void write_corpora(const io::Corpus& corpus, const std::string& out_path, std::int64_t split_every,
                   const std::string& heldout_path, const std::string& source, const io::CorpusTruth* truth,
                   std::ostream& out) {
  const auto report = [&](const std::string& path, const io::Corpus& c) {
    io::write_corpus(path, c, source, truth);
    out << "wrote " << path << ": " << c.num_docs() << " documents, " << c.vocab_size << " words, "
        << c.num_tokens() << " tokens\n";
  };
  if (split_every == 0) {
    report(out_path, corpus);
    return;
  }
  const auto [train, heldout] = io::split_every(corpus, split_every);
  report(out_path, train);
  report(heldout_path, heldout);
}

// The same for dense data.
void write_dense_data(const io::DenseData& data, const std::string& out_path, std::int64_t split_every,
                      const std::string& heldout_path, const std::string& source, const io::DenseTruth* truth,
                      std::ostream& out) {
  const auto report = [&](const std::string& path, const io::DenseData& d) {
    io::write_dense(path, d, source, truth);
    out << "wrote " << path << ": " << d.num_rows() << " rows, " << d.cols << " columns\n";
  };
  if (split_every == 0) {
    report(out_path, data);
    return;
  }
  const auto [train, heldout] = io::split_every(data, split_every);
  report(out_path, train);
  report(heldout_path, heldout);
}

}  // namespace

void run_convert(const config::ConvertConfig& config, std::ostream& out) {
  if (config.format == "csv") {
    const io::DenseData data = io::read_csv(config.input, config.label_column);
    write_dense_data(data, config.out, config.split_every, config.heldout_out, config.input, nullptr, out);
    return;
  }
  const io::Corpus corpus =
      config.format == "uci" ? io::read_uci(config.input, config.vocab) : io::read_ldac(config.input, config.vocab);
  write_corpora(corpus, config.out, config.split_every, config.heldout_out, config.input, nullptr, out);
}

void run_synth_lda(const config::SynthLdaConfig& config, std::ostream& out) {
  check_writable("--out", config.out);
  models::LdaSynthOptions options;
  options.topics = config.topics;
  options.vocab_size = config.vocab_size;
  options.docs = config.docs;
  options.doc_length = config.doc_length;
  options.alpha = config.alpha;
  options.eta = config.eta;
  options.seed = config.seed;
  Eigen::MatrixXd topics;
  const io::Corpus corpus = models::lda_synthesize(options, topics);
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row_major = topics;
  io::CorpusTruth truth;
  truth.topics.assign(row_major.data(), row_major.data() + row_major.size());
  truth.topics_count = config.topics;
  truth.alpha = config.alpha;
  truth.eta = config.eta;
  truth.seed = static_cast<std::int64_t>(config.seed);
  write_corpora(corpus, config.out, config.split_every, config.heldout_out, "natgrad synth lda", &truth, out);
}

void run_synth_gmm(const config::SynthGmmConfig& config, std::ostream& out) {
  check_writable("--out", config.out);
  models::GmmSynthOptions options;
  options.components = config.components;
  options.dim = config.dim;
  options.points = config.points;
  options.separation = config.separation;
  options.diagonal = config.covariance == "diag";
  options.seed = config.seed;
  models::GmmTruth gmm;
  const io::DenseData data = models::gmm_synthesize(options, gmm);
  io::DenseTruth truth;
  truth.weights.assign(gmm.weights.begin(), gmm.weights.end());
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> means = gmm.means;
  truth.means.assign(means.data(), means.data() + means.size());
  for (const Eigen::MatrixXd& sigma : gmm.covariances) {
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row_major = sigma;
    truth.covariances.insert(truth.covariances.end(), row_major.data(), row_major.data() + row_major.size());
  }
  truth.components = config.components;
  truth.covariance = config.covariance;
  truth.seed = static_cast<std::int64_t>(config.seed);
  write_dense_data(data, config.out, config.split_every, config.heldout_out, "natgrad synth gmm", &truth, out);
}

namespace {

// A fitted model and this rank's shard of a corpus to apply it to.
struct Applied {
  io::ModelFileContents model;
  io::Corpus shard;
  models::LdaOptions options;
  models::LdaBeta beta;  ///< exp(E[log β]) of the model's λ
};

// Reads the model file, and has rank 0 check that --out (if any) can be written.
io::ModelFileContents load_model(const config::InferConfig& config, comm::Communicator& comm) {
  io::ModelFileContents model;
  comm::agree(comm, [&] {
    model = io::read_model_file(config.model);
    if (comm.rank() == 0 && !config.out.empty()) check_writable("--out", config.out);
  });
  return model;
}

Applied load_applied(const config::InferConfig& config, comm::Communicator& comm, io::ModelFileContents model) {
  Applied a;
  a.model = std::move(model);
  comm::agree(comm, [&] {
    const io::CorpusInfo info = io::read_corpus_info(config.data);
    if (info.vocab_size != a.model.lambda.cols()) {
      throw Error(config.data + ": V = " + std::to_string(info.vocab_size) + " words, but the model " + config.model +
                  " has V = " + std::to_string(a.model.lambda.cols()) +
                  "; convert the corpus with the model's vocabulary");
    }
    const models::Range part = detail::shard_of(info.num_docs, comm);
    a.shard = io::read_corpus(config.data, part.begin, part.end, false);
  });
  a.options.topics = a.model.lambda.rows();
  a.options.alpha = a.model.alpha[0];
  a.options.local_max_iters = static_cast<int>(config.local_max_iters);
  a.options.local_tol = config.local_tol;
  a.options.threads = static_cast<int>(config.threads);
  a.beta = models::lda_exp_elog_beta(a.model.lambda);
  return a;
}

}  // namespace

double run_evaluate(const config::InferConfig& config, comm::Communicator& comm, std::ostream& out) {
  io::ModelFileContents model = load_model(config, comm);
  if (model.type == "gmm") {
    const models::ScoreSum part = detail::apply_gmm(model, config.data, comm, nullptr, nullptr);
    double sums[2] = {part.log_score, part.count};
    comm.allreduce_sum(sums);
    const double loglik = sums[0] / sums[1];
    if (comm.rank() == 0) {
      out << "held-out log predictive density " << format_double("%.4f", loglik) << " per point of " << config.model
          << " on " << config.data << " (" << static_cast<std::int64_t>(sums[1]) << " points)\n";
    }
    return loglik;
  }
  Applied a = load_applied(config, comm, std::move(model));
  models::LdaWorkspaces ws(static_cast<std::size_t>(a.options.threads));
  const Eigen::Map<const Eigen::VectorXd> flat(a.model.lambda.data(), a.model.lambda.size());
  // Base 0: λ exactly as the file holds it.
  const models::GlobalParams lambda(Eigen::VectorXd::Zero(flat.size()), flat, a.options.topics);
  const models::ScoreSum part = models::lda_heldout_score(lambda, a.beta, a.shard, a.options, ws);
  double sums[2] = {part.log_score, part.count};
  comm.allreduce_sum(sums);
  const double perplexity = std::exp(-sums[0] / sums[1]);
  if (comm.rank() == 0) {
    out << "held-out perplexity " << format_double("%.4f", perplexity) << " of " << config.model << " on "
        << config.data << " (" << static_cast<std::int64_t>(sums[1]) << " held-out tokens)\n";
  }
  return perplexity;
}

namespace {

// `natgrad infer` for a Gaussian mixture: the responsibilities of every point.
void infer_gmm(const config::InferConfig& config, comm::Communicator& comm, const io::ModelFileContents& model,
               std::ostream& out) {
  Eigen::MatrixXd r;
  std::vector<std::int64_t> row_ids;
  detail::apply_gmm(model, config.data, comm, &r, &row_ids);
  // Row-major N × K pieces, so that the gathered buffer is the whole matrix.
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows = r;
  const std::vector<double> ids(row_ids.begin(), row_ids.end());
  std::vector<double> all;
  std::vector<double> all_ids;
  comm.gather(std::span(rows.data(), static_cast<std::size_t>(rows.size())), all, 0);
  comm.gather(ids, all_ids, 0);
  comm::agree(comm, [&] {
    if (comm.rank() != 0) return;
    io::ThetaFileContents theta;
    theta.model_type = model.type;
    theta.model_path = config.model;
    theta.model_step = model.step;
    theta.model_checksum = model.data.checksum;
    theta.data_path = config.data;
    theta.responsibilities = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        all.data(), static_cast<Eigen::Index>(all_ids.size()), model.gmm.components());
    theta.ids.assign(all_ids.begin(), all_ids.end());
    io::write_theta_file(config.out, theta);
    out << "wrote " << config.out << ": responsibilities of " << all_ids.size() << " points under " << config.model
        << " (step " << model.step << ")\n";
  });
}

}  // namespace

void run_infer(const config::InferConfig& config, comm::Communicator& comm, std::ostream& out) {
  const bool root = comm.rank() == 0;
  io::ModelFileContents loaded = load_model(config, comm);
  if (loaded.type == "gmm") {
    infer_gmm(config, comm, loaded, out);
    return;
  }
  Applied a = load_applied(config, comm, std::move(loaded));
  const io::ModelFileContents& model = a.model;
  const io::Corpus& shard = a.shard;
  const models::LdaOptions& options = a.options;
  // Row-major D × K pieces, so that the gathered buffer is the whole matrix.
  models::LdaWorkspaces ws(static_cast<std::size_t>(options.threads));
  const auto gammas = models::lda_infer_corpus(a.beta, shard, options, ws);
  const std::span<const double> mine(gammas.data(), static_cast<std::size_t>(gammas.size()));
  std::vector<double> lengths;
  for (std::int64_t d = 0; d < shard.num_docs(); ++d) {
    const auto counts = shard.doc_counts(d);
    lengths.push_back(static_cast<double>(std::accumulate(counts.begin(), counts.end(), std::int64_t{0})));
  }
  std::vector<double> doc_ids(shard.doc_ids.begin(), shard.doc_ids.end());
  std::vector<double> all;
  std::vector<double> all_ids;
  std::vector<double> all_lengths;
  comm.gather(mine, all, 0);
  comm.gather(doc_ids, all_ids, 0);
  comm.gather(lengths, all_lengths, 0);
  comm::agree(comm, [&] {
    if (!root) return;
    io::ThetaFileContents theta;
    theta.model_path = config.model;
    theta.model_step = model.step;
    theta.model_checksum = model.data.checksum;
    theta.data_path = config.data;
    theta.gamma = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        all.data(), static_cast<Eigen::Index>(all_ids.size()), options.topics);
    theta.ids.assign(all_ids.begin(), all_ids.end());
    theta.doc_lengths.assign(all_lengths.begin(), all_lengths.end());
    io::write_theta_file(config.out, theta);
    out << "wrote " << config.out << ": topic proportions of " << all_ids.size() << " documents under "
        << config.model << " (step " << model.step << ")\n";
  });
}

namespace {

constexpr const char* kUsage =
    "usage: natgrad COMMAND [options]\n"
    "commands:\n"
    "  convert   turn a UCI or LDA-C text corpus into an HDF5 corpus\n"
    "  fit       fit a model by stochastic variational inference (run under mpirun)\n"
    "  synth     draw data from LDA's or a Gaussian mixture's generative model (synth lda | synth gmm)\n"
    "  infer     topic proportions of a corpus's documents under a fitted model\n"
    "  evaluate  held-out perplexity of a fitted model on a corpus\n"
    "'natgrad COMMAND --help' describes each command.\n";

}  // namespace

int dispatch(const std::vector<std::string>& args, comm::Communicator& comm, std::ostream& out,
             const volatile std::sig_atomic_t* stop) {
  const bool root = comm.rank() == 0;
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    if (root) out << kUsage;
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
    std::vector<std::string> words;  ///< the command's name, e.g. {"synth", "lda"}
    std::string (*help)();
    std::function<int(const std::vector<std::string>&)> run;  ///< takes the options after the name
  };
  const std::vector<Command> commands = {
      {{"fit"}, config::fit_help,
       [&](const std::vector<std::string>& options) {
         config::FitConfig config;
         comm::agree(comm, [&] { config = config::parse_fit(options); });
         return run_fit(config, comm, out, stop).finished ? 0 : kExitPreempted;
       }},
      {{"convert"}, config::convert_help,
       [&](const std::vector<std::string>& options) {
         return on_root([&] { run_convert(config::parse_convert(options), out); });
       }},
      {{"synth", "lda"}, config::synth_lda_help,
       [&](const std::vector<std::string>& options) {
         return on_root([&] { run_synth_lda(config::parse_synth_lda(options), out); });
       }},
      {{"synth", "gmm"}, config::synth_gmm_help,
       [&](const std::vector<std::string>& options) {
         return on_root([&] { run_synth_gmm(config::parse_synth_gmm(options), out); });
       }},
      {{"evaluate"}, config::evaluate_help,
       [&](const std::vector<std::string>& options) {
         config::InferConfig config;
         comm::agree(comm, [&] { config = config::parse_infer(options, false); });
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
  throw comm::AgreedError("unknown command '" + args[0] + "'\n" + kUsage);
}

}  // namespace natgrad::app
