// `natgrad fit`: the data, the model of the job's family, a restart if asked,
// the SVI run with its checkpoints, and the model file.

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "checkpoints.hpp"
#include "common.hpp"
#include "natgrad/app/commands.hpp"
#include "natgrad/error.hpp"
#include "natgrad/models/registry.hpp"
#include "natgrad/solver/svi.hpp"

namespace natgrad::app {

namespace {

// Refuses a checkpoint that does not fit the job (of another run: another
// model, seed, batch size or training data), naming the field that differs.
// Needs only the checkpoint's header (io::read_model_header).
void check_fits(const io::ModelFile& saved, const std::string& path, const config::FitConfig& config,
                const models::Model& model, const io::DataSource& data) {
  const auto differs = [&](const std::string& field, const std::string& in_file, const std::string& in_job) {
    if (in_file != in_job) {
      throw Error(path + ": does not fit this job: " + field + " is " + in_file + " in the checkpoint and " +
                  in_job + " in the job");
    }
  };
  differs("model.type", saved.type, config.model.type);
  // Every key of the family, and those that decide the minibatches and the random streams.
  for (const auto& [key, value] : config::resolved(config, models::catalog())) {
    if (key.starts_with("model.") || key == "solver.seed" || key == "solver.batch_size") {
      differs(key, saved.config_value(key), value);
    }
  }
  const io::DataFingerprint& job = data.fingerprint();
  const io::DataNouns& n = io::nouns(data.kind());
  differs(n.column_count, std::to_string(saved.data.vocab_size), std::to_string(job.vocab_size));
  differs("the number of training " + model.item_plural(), std::to_string(saved.data.num_docs),
          std::to_string(job.num_docs));
  differs("the number of training " + n.values, std::to_string(saved.data.num_tokens), std::to_string(job.num_tokens));
  differs("the checksum of " + n.content, io::checksum_text(saved.data.checksum), io::checksum_text(job.checksum));
}

// λ of a checkpoint in the solver's form: exactly as the run kept it, or, in a
// file from before /solver/lambda_offset, λ = η + 1 · (λ − η) (its two copies
// of λ were cross-checked when it was read: models::load_model_file).
models::GlobalParams saved_lambda(const io::ModelFile& saved, const models::Model& model, const std::string& path) {
  const Eigen::VectorXd lambda = saved.lambda(model.layout());
  if (saved.lambda_offset.size() == 0) return {model.prior(), lambda, model.global_block_size(), model.global_tail_size()};
  if (saved.lambda_offset.size() != model.global_size() ||
      saved.lambda_offset_block_sum.size() != model.global_block_size()) {
    throw Error(path + ": does not fit this job: '/solver/lambda_offset' has " +
                std::to_string(saved.lambda_offset.size()) + " values in blocks of " +
                std::to_string(saved.lambda_offset_block_sum.size()) + ", the job's λ " +
                std::to_string(model.global_size()) + " in blocks of " + std::to_string(model.global_block_size()));
  }
  return {model.prior(), saved.lambda_offset, saved.lambda_scale, saved.lambda_offset_block_sum,
          model.global_tail_size()};
}

// Refuses, before λ is allocated, a model whose λ and the solver's copies of
// it would not fit in the memory this rank can have. The solver starts with 5
// vectors of λ's size (the prior, the initial λ, their difference, the offset
// it keeps, the statistics of a step that touches all of λ); rank 0, writing a
// model file, holds 7 more (λ, its tensors, a copy of the offset, and the
// file, twice, as HDF5 builds it in memory and as it is written).
void check_memory(const models::Model& model, comm::Communicator& comm) {
  comm::agree(comm, [&] {
    const double n = static_cast<double>(model.global_size());
    const double need = 8.0 * n * (comm.rank() == 0 ? 12.0 : 5.0) + model.state_bytes();
    const detail::MemoryLimit can = detail::memory_limit(comm.node_size());
    if (need > can.bytes) {
      throw Error("λ and its copies need " + detail::gigabytes(need) + " on this rank (" + model.description() +
                  ": " + std::to_string(model.global_size()) + " values of λ); this rank can have " +
                  detail::gigabytes(can.bytes) + " (" + can.what + ")");
    }
  });
}

// Warns when a rank may have fewer CPUs than solver.threads: mpirun binds each
// rank to one core unless told otherwise, and threads would then share it.
void warn_about_binding(const config::FitConfig& config, comm::Communicator& comm, std::ostream& out) {
  cpu_set_t cpus;
  const std::int64_t usable = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : config.solver.threads;
  const std::int64_t fewest = comm.allreduce_min(usable);
  if (comm.rank() == 0 && fewest < config.solver.threads) {
    out << "warning: solver.threads = " << config.solver.threads << " but a rank may run on only " << fewest
        << (fewest == 1 ? " CPU" : " CPUs") << " (mpirun binds each rank to a core by default; give each rank "
        << config.solver.threads << " with mpirun --map-by slot:PE=" << config.solver.threads
        << " or use --bind-to none)\n";
  }
}

// The last lines of a finished fit: time, held-out score, memory, and where a step's time went.
void print_summary(const solver::Svi& svi, const models::Model& model, const config::FitConfig& config,
                   double seconds, std::int64_t rss_min_kb, std::int64_t rss_max_kb, std::ostream& out) {
  const io::HistoryRow& last = svi.history().back();
  out << "done: " << svi.steps_done() << " steps, " << detail::format_double("%.2f", svi.epochs_done())
      << " epochs, " << detail::format_double("%.1f", seconds) << " s (" << detail::format_double("%.1f", last.seconds)
      << " s training); " << (model.heldout_name().starts_with("heldout") ? "" : "held-out ") << model.heldout_name()
      << " " << detail::format_double("%.2f", last.heldout) << "; peak memory per rank "
      << detail::format_double("%.0f", static_cast<double>(rss_min_kb) / 1024) << "–"
      << detail::format_double("%.0f", static_cast<double>(rss_max_kb) / 1024) << " MB; model written to "
      << config.output.model << "\n";
  const solver::Svi::StepProfile& p = svi.profile();
  if (p.steps == 0) return;
  const double n = static_cast<double>(p.steps);
  const double blocks = static_cast<double>(p.touched_blocks) / n;
  out << "per step (rank 0, " << p.steps << " steps): " << detail::format_double("%.4f", p.total_seconds / n)
      << " s = local step " << detail::format_double("%.4f", p.local_seconds / n) << " s + allgather and allreduce "
      << detail::format_double("%.4f", p.comm_seconds / n) << " s + the rest "
      << detail::format_double("%.4f", (p.total_seconds - p.local_seconds - p.comm_seconds) / n) << " s; "
      << detail::format_double("%.0f", blocks) << " blocks of λ touched ("
      << detail::format_double("%.2f", static_cast<double>(p.reduced_values) / n * 8 / 1e6)
      << " MB allreduced)\n";
}

}  // namespace

FitResult run_fit(const config::FitConfig& config, comm::Communicator& comm, std::ostream& out,
                  const volatile std::sig_atomic_t* stop) {
  const auto start = std::chrono::steady_clock::now();
  const bool root = comm.rank() == 0;
  comm::agree(comm, [&] { config::validate(config, models::catalog()); });
  const models::Family& family = *models::find_family(config.model.type);
  const Doing reading("reading the training data " + config.data.train);
  io::DataSource data(family.data_kind(), config.data.train, config.data.heldout, comm);
  const Doing building("building the model");
  const std::unique_ptr<models::Model> model_ptr = family.make_model(config.model, config.solver, data, comm);
  models::Model& model = *model_ptr;
  check_memory(model, comm);

  const std::string& folder = config.checkpoint.path;
  detail::CheckpointFolder checkpoints(folder);
  // Whether a checkpoint's header says it is of this job's run.
  const auto ours = [&](const io::ModelFile& header) {
    try {
      check_fits(header, "", config, model, data);
      return true;
    } catch (const Error&) {
      return false;
    }
  };
  // A checkpoint this job can continue from: of its run, readable, its family's and its own checks passed.
  const auto usable = [&](const std::string& path) {
    check_fits(io::read_model_header(path), path, config, model, data);
    models::load_model_file(path);
  };
  std::string restart = config.restart;
  comm::agree(comm, [&] {
    if (!root) return;
    const bool explicit_restart = !restart.empty() && restart != "auto";
    detail::refuse_overwrite({{"output.model", config.output.model}},
                             {{"data.train", config.data.train},
                              {"data.heldout", config.data.heldout},
                              {"--restart", explicit_restart ? restart : ""}});
    detail::check_writable("output.model", config.output.model);
    if (folder.empty()) return;
    for (const detail::NamedPath& file : std::vector<detail::NamedPath>{
             {"data.train", config.data.train}, {"data.heldout", config.data.heldout}, {"output.model", config.output.model}}) {
      if (!file.path.empty() && checkpoints.holds(file.path)) {
        throw Error(file.key + " = " + file.path + " lies in checkpoint.path = " + folder +
                    " under a checkpoint's name, where pruning would delete it; choose another path");
      }
    }
    checkpoints.open();
    if (restart == "auto") {
      restart = checkpoints.newest(usable, std::cerr);
      out << (restart.empty() ? "no checkpoint of this run in " + folder + ": starting afresh\n"
                              : "restarting from " + restart + "\n");
    }
  });
  comm.broadcast(restart, 0);

  solver::Svi svi(model, comm, config.solver, config.eval.every_steps, root ? &out : nullptr);
  if (!restart.empty()) {
    comm::agree(comm, [&] {
      io::ModelFile saved = models::load_model_file(restart).file;
      check_fits(saved, restart, config, model, data);
      model.adopt(saved);
      svi.restore({saved_lambda(saved, model, restart), saved.step, saved.docs_seen, saved.train_seconds,
                   std::move(saved.history)});
    });
  }
  if (root) {
    out << "natgrad fit: " << model.description() << ", " << comm.size() << (comm.size() == 1 ? " rank" : " ranks")
        << "; " << svi.total_steps() << " steps of " << std::min(config.solver.batch_size, data.fingerprint().num_docs)
        << " " << model.item_plural() << "\n";
  }
  warn_about_binding(config, comm, out);

  // The model file and every checkpoint hold the same: the state of the run.
  const auto snapshot = [&] {
    const models::GlobalParams& lambda = svi.lambda();
    const Eigen::VectorXd dense = lambda.dense();
    io::ModelFile contents;
    contents.type = model.type();
    contents.model = model.file_contents(dense);
    contents.set_lambda(model.layout(), dense);
    contents.vocab = data.column_names();
    contents.lambda_scale = lambda.scale();
    contents.lambda_offset = lambda.offset();
    contents.lambda_offset_block_sum = lambda.block_sum();
    contents.config = config::resolved(config, models::catalog());
    contents.step = svi.steps_done();
    contents.epoch = svi.epochs_done();
    contents.seed = config.solver.seed;
    contents.docs_seen = svi.docs_seen();
    contents.train_seconds = svi.train_seconds();
    contents.train_path = config.data.train;
    contents.data = data.fingerprint();
    contents.heldout_name = model.heldout_name();
    contents.extra_names = model.extra_names();
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
        const Doing writing("writing checkpoint " + checkpoints.path(svi.steps_done()));
        checkpoints.write(snapshot(), config.checkpoint.keep, ours);
      });
    };
  }
  const bool finished = svi.run(control);

  if (!finished) {
    if (root) {
      out << "stopped at step " << svi.steps_done() << " on request"
          << (folder.empty() ? " (no checkpoint.path: nothing saved)"
                             : "; checkpoint written to " + checkpoints.path(svi.steps_done()) +
                                   "; continue with --restart auto")
          << "\n";
    }
    return {svi.lambda().dense(), svi.history(), false};
  }
  comm::agree(comm, [&] {
    if (!root) return;
    const Doing writing("writing the model " + config.output.model);
    io::write_model_file(config.output.model, snapshot());
  });
  // The smallest and largest peak resident memory of the ranks, to size cluster jobs by.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const std::int64_t rss_kb = usage.ru_maxrss;  // kilobytes on Linux
  const std::int64_t rss_min = comm.allreduce_min(rss_kb);
  const std::int64_t rss_max = -comm.allreduce_min(-rss_kb);
  if (root) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    print_summary(svi, model, config, seconds, rss_min, rss_max, out);
  }
  return {svi.lambda().dense(), svi.history(), true};
}

}  // namespace natgrad::app
