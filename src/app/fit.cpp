// `natgrad fit`: the data, the model of the job's family, a restart if asked,
// the SVI run with its checkpoints, and the model file.

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>

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
                const models::Model& model, const io::DataSource& data, std::int64_t first_step) {
  const auto differs = [&](const std::string& field, const std::string& in_file, const std::string& in_job) {
    if (in_file != in_job) {
      throw Error(path + ": does not fit this job: " + field + " is " + in_file + " in the checkpoint and " +
                  in_job + " in the job");
    }
  };
  differs("model.type", saved.type, config.model.type);
  // Every key of the family, and those that decide the minibatches and the random streams. A key that the
  // checkpoint's natgrad did not have yet ran at its default: that is what the job must have.
  const config::ModelOptions& family = config::family_options(models::catalog(), config.model.type);
  const auto recorded = [&](const std::string& key) {
    return std::any_of(saved.config.begin(), saved.config.end(), [&](const auto& kv) { return kv.first == key; });
  };
  for (const config::Option& o : family.options) {
    std::string in_file = saved.config_value(o.key);
    if (!recorded(o.key)) {
      config::Values defaults = config.model.values;
      defaults.erase(o.key);
      config::complete({o}, defaults, "");
      const auto d = defaults.find(o.key);
      in_file = d ? config::text_of(*d) : "";
    }
    const auto v = config.model.values.find(o.key);
    differs(o.key, in_file, v ? config::text_of(*v) : "");
  }
  for (const auto& [key, value] : config::resolved(config, models::catalog())) {
    if (key == "solver.seed" || key == "solver.batch_size") differs(key, saved.config_value(key), value);
  }
  differs("the first step (of a run continued with --init-model)", std::to_string(saved.first_step),
          std::to_string(first_step));
  const io::DataFingerprint& job = data.fingerprint();
  const io::DataNouns& n = io::nouns(data.kind());
  differs(n.column_count, std::to_string(saved.data.vocab_size), std::to_string(job.vocab_size));
  differs("the number of training " + model.item_plural(), std::to_string(saved.data.num_docs),
          std::to_string(job.num_docs));
  differs("the number of training " + n.values, std::to_string(saved.data.num_tokens), std::to_string(job.num_tokens));
  differs("the checksum of " + n.content, io::checksum_text(saved.data.checksum), io::checksum_text(job.checksum));
}

// λ of a checkpoint in the solver's form: exactly as the run kept it (M taken out of `saved`), or, in a
// file from before /solver/lambda_offset, λ = η + 1 · (λ − η) (its two copies
// of λ were cross-checked when it was read: models::load_model_file).
models::GlobalParams saved_lambda(io::ModelFile& saved, const models::Model& model, const std::string& path) {
  if (saved.lambda_offset.size() == 0) {
    return {model.prior(), saved.lambda(model.layout()), model.global_block_size(), model.global_tail_size()};
  }
  // The base as kept (a file of schema 2 has none: it was η).
  if (saved.lambda_offset.size() != model.global_size() ||
      saved.lambda_offset_block_sum.size() != model.global_block_size() ||
      saved.lambda_tail_size != model.global_tail_size()) {
    throw Error(path + ": does not fit this job: '/solver/lambda_offset' has " +
                std::to_string(saved.lambda_offset.size()) + " values in blocks of " +
                std::to_string(saved.lambda_offset_block_sum.size()) + " and a tail of " +
                std::to_string(saved.lambda_tail_size) + ", the job's λ " + std::to_string(model.global_size()) +
                " in blocks of " + std::to_string(model.global_block_size()) + " and a tail of " +
                std::to_string(model.global_tail_size()));
  }
  // The base as kept: one block and the tail, or all n entries (GlobalParams takes either).
  models::GlobalParams out(saved.lambda_base.size() == 0 ? model.prior() : saved.lambda_base,
                           std::move(saved.lambda_offset), saved.lambda_scale, saved.lambda_offset_block_sum,
                           model.global_tail_size());
  if (saved.lambda_base.size() > 0) out.set_base_block_sum(saved.lambda_base_block_sum);
  return out;
}

// Refuses, before λ is allocated, a model whose λ and the solver's copies of
// it would not fit in the memory this rank can have. The solver starts with 5
// vectors of λ's size (the prior, the initial λ, their difference, the offset
// it keeps, the statistics of a step that touches all of λ); rank 0, writing a
// checkpoint, holds 2 more (λ and a copy of the offset), and writing the model
// file 1 (λ's tensors; λ itself takes the offset's place). HDF5 writes them to
// disk a chunk at a time.
void check_memory(const models::Model& model, comm::Communicator& comm) {
  comm::agree(comm, [&] {
    const double n = static_cast<double>(model.global_size());
    const double need = 8.0 * n * (comm.rank() == 0 ? 7.0 : 5.0) + model.state_bytes();
    const detail::MemoryLimit can = detail::memory_limit(comm.node_size());
    if (need > can.bytes) {
      throw Error("λ and its copies need " + detail::gigabytes(need) + " on this rank (" + model.description() +
                  ": " + std::to_string(model.global_size()) + " values of λ); this rank can have " +
                  detail::gigabytes(can.bytes) + " (" + can.what + ")");
    }
  });
}

// A model that the fit continues (--init-model), and how the data's columns match its.
struct Continued {
  models::LoadedModel model;
  std::vector<std::int64_t> old_of_new;  ///< per column of the job's model: the old column, or −1
};

// Reads the --init-model file (every rank), matches its columns to the data's
// by name on rank 0, which has the names, and gives the data the old columns it
// lacks (unless --drop-unseen). Collective; errors are agreed.
std::optional<Continued> match_init_model(const config::FitConfig& config, io::DataSource& data,
                                          comm::Communicator& comm, std::ostream& out) {
  if (config.init_model.empty()) return std::nullopt;
  Continued c;
  io::ColumnMatch match;
  comm::agree(comm, [&] {
    c.model = models::load_model_file(config.init_model);
    const io::ModelFile& old = c.model.file;
    if (old.type != config.model.type) {
      throw Error(config.init_model + ": --init-model is a " + old.type + " model; the job's model.type is " +
                  config.model.type);
    }
    if (comm.rank() != 0) return;
    const std::int64_t old_columns = old.vocab.empty() ? old.data.vocab_size : static_cast<std::int64_t>(old.vocab.size());
    try {
      match = io::match_columns(old.vocab, old_columns, data.column_names(), data.fingerprint().vocab_size,
                                config.drop_unseen);
    } catch (const Error& e) {
      throw Error(config.init_model + ": --init-model: " + e.what());
    }
  });
  const std::vector<std::int64_t> mine = comm.rank() == 0 ? match.old_of_new : std::vector<std::int64_t>{};
  c.old_of_new = comm.allgather(mine);  // rank 0's, on every rank
  const std::int64_t added = static_cast<std::int64_t>(c.old_of_new.size()) - data.fingerprint().vocab_size;
  comm::agree(comm, [&] { data.add_columns(match.added, added); });
  if (comm.rank() == 0) {
    const io::ModelFile& old = c.model.file;
    const std::int64_t old_columns = old.vocab.empty() ? old.data.vocab_size : static_cast<std::int64_t>(old.vocab.size());
    const auto fresh = std::count(c.old_of_new.begin(), c.old_of_new.end(), -1);
    const std::int64_t unseen = old_columns - (data.fingerprint().vocab_size - fresh);
    out << "continuing " << config.init_model << " (step " << old.step << ", " << old_columns << " "
        << io::nouns(data.kind()).columns << "): " << c.old_of_new.size() << " of which " << fresh << " new, and "
        << unseen << " of the model's that the data lack " << (config.drop_unseen ? "dropped" : "kept")
        << (config.reset_schedule ? "; the schedule starts afresh" : "; the step count and schedule go on") << "\n";
  }
  return c;
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

// Rank 0's seconds outside the steps, by what it did.
struct Outside {
  double reading = 0.0;   ///< the data (and a model continued)
  double building = 0.0;  ///< the model, λ's start (or the checkpoint it restarts from)
  double running = 0.0;   ///< the run, steps included: its evaluations and checkpoints are the rest
  double writing = 0.0;   ///< the model file
  double theta = 0.0;     ///< output.theta: inferred for the training data, and written
};

// The last lines of a finished fit: time, held-out score, memory, the time outside training, and where a
// step's time went.
void print_summary(const solver::Svi& svi, const models::Model& model, const config::FitConfig& config,
                   double seconds, const Outside& outside, std::int64_t rss_min_kb, std::int64_t rss_max_kb,
                   std::ostream& out) {
  const io::HistoryRow& last = svi.history().back();
  out << "done: " << svi.steps_done() << " steps, " << detail::format_double("%.2f", svi.epochs_done())
      << " epochs, " << detail::format_double("%.1f", seconds) << " s (" << detail::format_double("%.1f", last.seconds)
      << " s training); "
      << (std::isnan(last.heldout) ? "no held-out data"
                                   : (model.heldout_name().starts_with("heldout") ? "" : "held-out ") +
                                         model.heldout_name() + " " + detail::format_double("%.2f", last.heldout))
      << "; peak memory per rank "
      << detail::format_double("%.0f", static_cast<double>(rss_min_kb) / 1024) << "–"
      << detail::format_double("%.0f", static_cast<double>(rss_max_kb) / 1024) << " MB; model written to "
      << config.output.model << "\n";
  const solver::Svi::StepProfile& p = svi.profile();
  out << "outside training (rank 0): reading the data " << detail::format_double("%.3f", outside.reading)
      << " s, building the model " << detail::format_double("%.3f", outside.building)
      << " s, evaluations and checkpoints " << detail::format_double("%.3f", outside.running - p.total_seconds)
      << " s, writing the model " << detail::format_double("%.3f", outside.writing) << " s"
      << (config.output.theta.empty() ? "" : ", output.theta " + detail::format_double("%.3f", outside.theta) + " s")
      << "\n";
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
  const std::optional<Continued> continued = match_init_model(config, data, comm, out);
  // The step the run starts from: that of the model it continues, unless the schedule restarts.
  const std::int64_t first_step = continued && !config.reset_schedule ? continued->model.file.step : 0;
  const Doing building("building the model");
  // Seconds since the last lap (at first, since the start).
  auto lap_start = start;
  const auto lap = [&lap_start] {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - lap_start).count();
    lap_start = now;
    return seconds;
  };
  Outside outside;
  outside.reading = lap();
  const std::unique_ptr<models::Model> model_ptr = family.make_model(config.model, config.solver, data, comm);
  models::Model& model = *model_ptr;
  check_memory(model, comm);

  const std::string& folder = config.checkpoint.path;
  detail::CheckpointFolder checkpoints(folder);
  // Whether a checkpoint's header says it is of this job's run.
  const auto ours = [&](const io::ModelFile& header) {
    try {
      check_fits(header, "", config, model, data, first_step);
      return true;
    } catch (const Error&) {
      return false;
    }
  };
  // A checkpoint this job can continue from: of its run, readable, its family's and its own checks passed.
  // The one chosen is kept, read, for rank 0's restart from it.
  std::optional<io::ModelFile> chosen;
  const auto usable = [&](const std::string& path) {
    check_fits(io::read_model_header(path), path, config, model, data, first_step);
    chosen = models::load_model_file(path).file;
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
    if (!config.output.theta.empty()) detail::check_writable("output.theta", config.output.theta);
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

  // A run that restarts from a checkpoint takes its λ from there, without drawing a start first.
  std::optional<solver::Svi> made;
  const auto make_svi = [&](std::optional<solver::SviState> state) {
    made.emplace(model, comm, config.solver, config.eval.every_steps, root ? &out : nullptr, std::move(state));
  };
  if (restart.empty()) {
    make_svi(std::nullopt);  // collective: the ranks share λ's start
  } else {
    comm::agree(comm, [&] {
      io::ModelFile saved = chosen ? std::move(*chosen) : models::load_model_file(restart).file;
      check_fits(saved, restart, config, model, data, first_step);
      model.adopt(saved);
      make_svi(solver::SviState{saved_lambda(saved, model, restart), saved.step, saved.docs_seen, saved.train_seconds,
                                std::move(saved.history), saved.first_step, std::move(saved.solver_state)});
    });
  }
  solver::Svi& svi = *made;
  if (continued && restart.empty()) {
    const io::ModelFile& old = continued->model.file;
    comm::agree(comm, [&] {
      model.adopt(old);  // λ is in the old model's terms (the mixture: its prior and coordinates)
      const Eigen::VectorXd lambda = family.continue_lambda(old, continued->old_of_new, svi.lambda().dense());
      svi.restore({models::GlobalParams(model.prior(), lambda, model.global_block_size(), model.global_tail_size()),
                   first_step,
                   config.reset_schedule ? 0 : old.docs_seen, config.reset_schedule ? 0.0 : old.train_seconds, {},
                   first_step, io::Group()});
    });
  }
  if (root) {
    out << "natgrad fit: " << model.description() << ", " << comm.size() << (comm.size() == 1 ? " rank" : " ranks")
        << "; " << svi.total_steps() << " steps of " << std::min(config.solver.batch_size, data.fingerprint().num_docs)
        << " " << model.item_plural() << "\n";
  }
  warn_about_binding(config, comm, out);

  // The model file and the checkpoints hold the run's λ once: the model file as the family's tensors (for
  // readers), a checkpoint as the solver keeps it, B + a · M, with what else the solver keeps (to continue
  // bit for bit). `dense` is λ in full.
  const auto snapshot = [&](const Eigen::VectorXd& dense, bool checkpoint) {
    io::ModelFile contents;
    contents.type = model.type();
    contents.model = model.file_contents(dense);
    contents.layout = model.layout();
    if (checkpoint) {
      const models::GlobalParams& lambda = svi.lambda();
      contents.lambda_scale = lambda.scale();
      contents.lambda_offset = lambda.offset();
      contents.lambda_offset_block_sum = lambda.block_sum();
      contents.lambda_tail_size = lambda.tail_size();
      contents.lambda_base = lambda.compact_base();
      contents.lambda_base_block_sum = lambda.base_block_sum();
      contents.solver_state = svi.solver_state();
    }
    contents.vocab = data.column_names();
    contents.config = config::resolved(config, models::catalog());
    contents.step = svi.steps_done();
    contents.first_step = svi.first_step();
    contents.epoch = svi.epochs_done();
    contents.seed = config.solver.seed;
    contents.docs_seen = svi.docs_seen();
    contents.train_seconds = svi.train_seconds();
    contents.train_path = config.data.train;
    contents.data = data.fingerprint();
    contents.heldout_name = model.heldout_name();
    contents.extra_names = svi.extra_names();
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
        checkpoints.write(snapshot(svi.lambda().dense(), true), config.checkpoint.keep, ours);
      });
    };
  }
  outside.building = lap();
  const bool finished = svi.run(control);
  outside.running = lap();

  if (!finished) {
    if (root) {
      out << "stopped at step " << svi.steps_done() << " on request"
          << (folder.empty() ? " (no checkpoint.path: nothing saved)"
                             : "; checkpoint written to " + checkpoints.path(svi.steps_done()) +
                                   "; continue with --restart auto")
          << "\n";
    }
    return {svi.take_lambda().take_dense(), svi.history(), false};
  }
  // The run is over: λ in full in the solver's memory, not in a copy (on this project's VM a first touch of
  // 55 MB of fresh memory took 160 ms, filling it again 3 ms).
  Eigen::VectorXd lambda = svi.take_lambda().take_dense();
  comm::agree(comm, [&] {
    if (!root) return;
    const Doing writing("writing the model " + config.output.model);
    io::write_model_file(config.output.model, snapshot(lambda, false), lambda);  // λ's tensors from λ itself
  });
  outside.writing = lap();
  if (!config.output.theta.empty()) {
    // As natgrad infer, from the file just written (every rank reads it), on the training data (V may be
    // fewer than the model's, when it was continued with more columns: the data's ids are its first ones).
    config::InferConfig infer;
    infer.model = config.output.model;
    infer.data = config.data.train;
    infer.out = config.output.theta;
    infer.local_max_iters = config.solver.local_max_iters;
    infer.local_tol = config.solver.local_tol;
    infer.threads = config.solver.threads;
    detail::write_inferred(detail::apply_model(infer, comm, false, false), infer, comm, out);
    outside.theta = lap();
  }
  // The smallest and largest peak resident memory of the ranks, to size cluster jobs by.
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const std::int64_t rss_kb = usage.ru_maxrss;  // kilobytes on Linux
  const std::int64_t rss_min = comm.allreduce_min(rss_kb);
  const std::int64_t rss_max = -comm.allreduce_min(-rss_kb);
  if (root) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    print_summary(svi, model, config, seconds, outside, rss_min, rss_max, out);
  }
  return {std::move(lambda), svi.history(), true};
}

}  // namespace natgrad::app
