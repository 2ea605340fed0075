#include "natgrad/solver/svi.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <span>
#include <string>

#include "natgrad/solver/schedule.hpp"

namespace natgrad::solver {

namespace {

// epochs × steps per epoch, refused where it would overflow: the same on every rank.
std::int64_t run_length(std::int64_t epochs, std::int64_t steps_per_epoch) {
  if (epochs > INT64_MAX / steps_per_epoch) {
    throw comm::AgreedError("solver.epochs = " + std::to_string(epochs) + ": expected at most 2^63 / " +
                            std::to_string(steps_per_epoch) + " (the steps of an epoch)");
  }
  return epochs * steps_per_epoch;
}

// λ's start: each rank computes its part (Model::initial_global), and the ranks share them.
Eigen::VectorXd initial_global(const models::Model& model, comm::Communicator& comm, std::uint64_t seed) {
  Eigen::VectorXd lambda = model.initial_global(seed, comm.rank(), comm.size());
  comm.share_rows(std::span(lambda.data(), static_cast<std::size_t>(lambda.size())), model.global_block_size(),
                  model.global_tail_size());
  return lambda;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Svi::Svi(models::Model& model, comm::Communicator& comm, const config::SolverConfig& solver,
         std::int64_t eval_every, std::ostream* progress, std::optional<SviState> state)
    : model_(model),
      comm_(comm),
      solver_(solver),
      eval_every_(eval_every),
      progress_(progress),
      batches_(solver.seed, model.num_train(), solver.batch_size),
      run_steps_(solver.max_steps > 0 ? solver.max_steps : run_length(solver.epochs, batches_.steps_per_epoch())),
      block_size_(model.global_block_size()),
      tail_size_(model.global_tail_size()),
      dependent_(model.dependent_prior_positions()),
      learned_(model.learned_names()),
      learned_stats_(model.learned_stats_size()),
      shortened_(learned_.size(), 0),
      lambda_(state ? std::move(state->lambda)
                    : models::GlobalParams(model.prior(), initial_global(model, comm, solver.seed), block_size_,
                                           tail_size_)),
      distinct_(lambda_.num_blocks()) {
  shifts_.assign(dependent_.size(), Eigen::VectorXd(lambda_.num_blocks()));
  if (solver.schedule == config::Schedule::kAdaptive) adaptive_.emplace(lambda_);
  for (std::size_t j = 0; j < learned_.size(); ++j) {
    learned_vector_.push_back(model.learned_value(j).size() > 1);
    prior_moves_ = prior_moves_ || model.learned_in_prior(j);
  }
  if (prior_moves_) prior_ = model.prior();
  if (state) {
    resume(std::move(*state));
  } else {
    set_global("the start");
  }
}

bool Svi::run(const RunControl& control) {
  if (history_.empty()) evaluate();
  const std::int64_t last = total_steps();
  while (step_ < last) {
    step(control);
    if (step_ == last || (eval_every_ > 0 && step_ % eval_every_ == 0)) evaluate();
    const bool by_steps = control.checkpoint_every_steps > 0 && step_ % control.checkpoint_every_steps == 0;
    if (control.checkpoint && (stop_requested_ || checkpoint_due_ || by_steps || step_ == last)) {
      control.checkpoint();
      last_checkpoint_ = std::chrono::steady_clock::now();
    }
    if (stop_requested_) return false;
  }
  return true;
}

void Svi::step(const RunControl& control) {
  const auto start = std::chrono::steady_clock::now();
  ++step_;
  const std::vector<std::int64_t> batch = batches_.batch(step_ - first_step_);
  const models::Range shard = model_.train_shard();
  const auto first = std::lower_bound(batch.begin(), batch.end(), shard.begin);
  const auto last = std::lower_bound(first, batch.end(), shard.end);
  const std::span<const std::int64_t> mine(first, last);
  // U, the same on every rank: s is zero outside it, so only U is summed and updated.
  touched_.clear();
  model_.touched_blocks(mine, touched_);
  distinct_.sort_unique(touched_);
  const auto gather_start = std::chrono::steady_clock::now();
  touched_ = comm_.allgather(touched_);
  profile_.comm_seconds += seconds_since(gather_start);
  merge_increasing_lists(touched_);
  // s of the blocks U, one after the other, then of the tail, then of the learned priors; the adaptive
  // schedule's first step has one such s per part of its minibatch, one after the other; then the two flags.
  const auto m = static_cast<Eigen::Index>(touched_.size()) * block_size_ + tail_size_ + learned_stats_;
  const std::size_t parts =
      adaptive_ && !adaptive_started_ ? std::min<std::size_t>(AdaptiveStep::kParts, batch.size()) : 1;
  const auto all = static_cast<std::size_t>(m) * parts;
  // Grown by half again when a step needs more: the steps' sizes creep up, and each new allocation is
  // fresh memory, whose first touch costs a page fault per 4 KB (12 µs each on this project's VM).
  if (all + 2 > reduced_.capacity()) reduced_.reserve(std::max(all + 2, reduced_.capacity() * 3 / 2));
  reduced_.assign(all + 2, 0.0);
  const auto local_start = std::chrono::steady_clock::now();
  {
    const Doing doing("step " + std::to_string(step_) + ": the local step");
    const auto offset = static_cast<std::size_t>(first - batch.begin());  // of this rank's data in the minibatch
    for (std::size_t part = 0; part < parts; ++part) {
      // Part `part` holds the minibatch's data at positions [part·|B|/parts, (part + 1)·|B|/parts).
      const std::size_t lo = part * batch.size() / parts, hi = (part + 1) * batch.size() / parts;
      const std::size_t from = std::clamp(lo, offset, offset + mine.size()) - offset;
      const std::size_t to = std::clamp(hi, offset, offset + mine.size()) - offset;
      Eigen::Map<Eigen::VectorXd> s_part(reduced_.data() + part * static_cast<std::size_t>(m), m);
      model_.add_local_stats(mine.subspan(from, to - from), touched_, s_part);
    }
  }
  profile_.local_seconds += seconds_since(local_start);
  reduced_[all] = control.stop != nullptr && *control.stop != 0 ? 1.0 : 0.0;
  reduced_[all + 1] = comm_.rank() == 0 && control.checkpoint_every_seconds > 0 &&
                              seconds_since(last_checkpoint_) >= control.checkpoint_every_seconds
                          ? 1.0
                          : 0.0;
  const auto reduce_start = std::chrono::steady_clock::now();
  comm_.allreduce_sum(std::span(reduced_));
  profile_.comm_seconds += seconds_since(reduce_start);
  for (std::size_t part = 0; part < parts; ++part) {  // before λ changes
    check_finite(Eigen::Map<const Eigen::VectorXd>(reduced_.data() + part * static_cast<std::size_t>(m), m),
                 "the expected sufficient statistics s");
  }
  stop_requested_ = reduced_[all] > 0;
  checkpoint_due_ = reduced_[all + 1] > 0;
  docs_seen_ += static_cast<std::int64_t>(batch.size());
  const double scale = static_cast<double>(model_.num_train()) / static_cast<double>(batch.size());
  // A hierarchical prior's terms η(λ) − η, at the λ of the step's start.
  for (std::size_t k = 0; k < dependent_.size(); ++k) model_.dependent_prior(dependent_[k], shifts_[k]);
  rho_ = step_rate(parts, m, scale);
  const Eigen::Map<const Eigen::VectorXd> s(reduced_.data(), m);
  // Natural gradient = gradient in the mean parameters: ĝ = η(λ) + N/|B|·s − λ,
  // and λ + ρ ĝ = η + (1 − ρ)(λ − η) + ρ N/|B| · s + ρ (η(λ) − η), with η(λ)
  // a hierarchical prior's term at the λ of the step's start.
  const Eigen::Index blocks_part = m - tail_size_ - learned_stats_;
  const Increments increments{touched_, s.head(blocks_part + tail_size_), scale, dependent_, shifts_};
  if (adaptive_) adaptive_->before_decay(lambda_, rho_);
  lambda_.decay(1.0 - rho_);
  if (prior_moves_) lambda_.move_base(prior_, rho_);
  bool finite = lambda_.add(touched_, s.head(blocks_part), rho_ * scale);
  finite = lambda_.add_tail(s.segment(blocks_part, tail_size_), rho_ * scale) && finite;
  for (std::size_t k = 0; k < dependent_.size(); ++k) {
    finite = lambda_.add_at(dependent_[k], shifts_[k], rho_) && finite;
  }
  // Entries that none of these reached were finite and only shrank towards η.
  if (!finite) lambda_not_finite();
  if (adaptive_) adaptive_->after_update(lambda_, increments, rho_);
  set_global("step " + std::to_string(step_));
  learn_priors(std::span<const double>(s.data() + blocks_part + tail_size_, static_cast<std::size_t>(learned_stats_)),
               static_cast<double>(batch.size()));
  const double seconds = seconds_since(start);
  train_seconds_ += seconds;
  ++profile_.steps;
  profile_.total_seconds += seconds;
  profile_.touched_blocks += static_cast<std::int64_t>(touched_.size());
  profile_.reduced_values += m;
}

double Svi::step_rate(std::size_t parts, Eigen::Index m, double scale) {
  if (!adaptive_) return step_size(solver_, step_);
  // The part of η_t − B_t that the adaptive step's gradient has besides the statistics (a moving prior).
  const Eigen::VectorXd toward = prior_moves_ ? Eigen::VectorXd(lambda_.compact(prior_) - lambda_.compact_base())
                                              : Eigen::VectorXd();
  const Eigen::Index body = m - learned_stats_;
  if (adaptive_started_) {
    return adaptive_->rate(lambda_, {touched_, Eigen::Map<const Eigen::VectorXd>(reduced_.data(), body), scale,
                                     dependent_, shifts_},
                           toward);
  }
  std::vector<Increments> each;
  for (std::size_t part = 0; part < parts; ++part) {
    each.push_back({touched_, Eigen::Map<const Eigen::VectorXd>(reduced_.data() + part * static_cast<std::size_t>(m), body),
                    scale, dependent_, shifts_});
  }
  const double rho = adaptive_->first_rate(lambda_, each, toward);
  // The step's statistics: the parts' sum, in the first part's place.
  Eigen::Map<Eigen::VectorXd> s(reduced_.data(), m);
  for (std::size_t part = 1; part < parts; ++part) {
    s += Eigen::Map<const Eigen::VectorXd>(reduced_.data() + part * static_cast<std::size_t>(m), m);
  }
  adaptive_started_ = true;
  return rho;
}

void Svi::learn_priors(std::span<const double> stats, double batch) {
  bool prior_changed = false;
  for (std::size_t j = 0; j < learned_.size(); ++j) {
    const std::unique_ptr<expfam::PriorObjective> f = model_.learned_objective(j, stats, batch);
    const Eigen::VectorXd x = model_.learned_value(j);
    const Eigen::VectorXd newton = f->newton_step(x);
    // f changes by rounding only when the step is that small: a relative slack of 1e-13 keeps such
    // steps from counting as shortened.
    const double floor = f->objective(x) - 1e-13 * std::abs(f->objective(x));
    double length = rho_;
    Eigen::VectorXd y = x + length * newton;
    int halvings = 0;
    while (!(f->objective(y) >= floor)) {  // a value ≤ 0 or not finite, or f lower: shorten
      if (++halvings > kMostHalvings) {
        y = x;
        break;
      }
      length /= 2;
      y = x + length * newton;
    }
    if (halvings > 0) ++shortened_[j];
    model_.set_learned(j, y);
    prior_changed = prior_changed || model_.learned_in_prior(j);
  }
  if (prior_changed) prior_ = model_.prior();
}

std::vector<std::string> Svi::extra_names() const {
  std::vector<std::string> names = model_.extra_names();
  for (std::size_t j = 0; j < learned_.size(); ++j) {
    if (learned_vector_[j]) {
      for (const char* part : {"_mean", "_min", "_max"}) names.push_back(learned_[j] + part);
    } else {
      names.push_back(learned_[j]);
    }
    names.push_back(learned_[j] + "_shortened");
  }
  return names;
}

std::vector<double> Svi::learned_columns() const {
  std::vector<double> out;
  for (std::size_t j = 0; j < learned_.size(); ++j) {
    const Eigen::VectorXd x = model_.learned_value(j);
    if (learned_vector_[j]) {
      out.insert(out.end(), {x.mean(), x.minCoeff(), x.maxCoeff()});
    } else {
      out.push_back(x[0]);
    }
    out.push_back(static_cast<double>(shortened_[j]));
  }
  return out;
}

io::Group Svi::solver_state() const {
  io::Group g = adaptive_started_ ? adaptive_->state() : io::Group();
  for (std::size_t j = 0; j < learned_.size(); ++j) g.set("/solver/state", learned_[j] + "_shortened", shortened_[j]);
  if (adaptive_started_) g.set("/solver/state", "rho", rho_);
  return g;
}

void Svi::check_finite(const Eigen::Ref<const Eigen::VectorXd>& values, const char* what) const {
  // The values are the same on every rank (after the allreduce), so every rank
  // throws the same error at the same point: an agreed error.
  if (models::all_finite(values)) return;
  Eigen::Index at = 0;
  while (std::isfinite(values[at])) ++at;
  const auto blocks_part = static_cast<Eigen::Index>(touched_.size()) * block_size_;
  if (at >= blocks_part + tail_size_) {
    throw comm::AgreedError("step " + std::to_string(step_) + ": " + what + " of the learned priors hold " +
                            (std::isnan(values[at]) ? "NaN" : "an infinity") + " at entry " +
                            std::to_string(at - blocks_part - tail_size_) +
                            "; the run stops here (the last checkpoint, if any, is kept)");
  }
  const Eigen::Index index = at < blocks_part
                                 ? touched_[static_cast<std::size_t>(at / block_size_)] * block_size_ + at % block_size_
                                 : lambda_.num_blocks() * block_size_ + (at - blocks_part);
  throw not_finite(values[at], index, what);
}

void Svi::lambda_not_finite() const {
  // Rare: one O(n) pass to name the entry.
  const Eigen::VectorXd all = lambda_.dense();
  Eigen::Index at = 0;
  while (std::isfinite(all[at])) ++at;
  throw not_finite(all[at], at, "the global parameters λ");
}

comm::AgreedError Svi::not_finite(double value, Eigen::Index index, const char* what) const {
  return comm::AgreedError("step " + std::to_string(step_) + ": " + what + " hold " +
                           (std::isnan(value) ? "NaN" : "an infinity") + " at " + model_.describe_index(index) +
                           "; the run stops here (the last checkpoint, if any, is kept)");
}

void Svi::set_global(const std::string& when) {
  // λ is the same on every rank, so every rank refuses it the same way, at the same point: an agreed error.
  try {
    model_.set_global(lambda_);
  } catch (const Error& e) {
    throw comm::AgreedError(when + ": the model cannot use λ: " + e.what() +
                            "; the run stops here (the last checkpoint, if any, is kept)");
  }
}

void Svi::evaluate() {
  const Doing doing("the evaluation at step " + std::to_string(step_));
  // The held-out score and the sums of the model's further columns, in one allreduce.
  const models::ScoreSum partial = model_.heldout_partial();
  std::vector<double> sums = {partial.log_score, partial.count};
  const std::vector<double> extra = model_.extra_partial();
  sums.insert(sums.end(), extra.begin(), extra.end());
  comm_.allreduce_sum(std::span(sums));
  io::HistoryRow row;
  row.step = step_;
  row.epoch = epochs_done();
  row.seconds = train_seconds_;
  row.rho = step_ == first_step_ ? std::numeric_limits<double>::quiet_NaN() : rho_;
  row.heldout = model_.heldout_metric({sums[0], sums[1]});
  row.extra = model_.extra_values({sums.begin() + 2, sums.end()});
  const std::vector<double> learned = learned_columns();
  row.extra.insert(row.extra.end(), learned.begin(), learned.end());
  history_.push_back(row);
  if (progress_ != nullptr) {
    const double seconds = train_seconds_ - seconds_at_last_eval_;
    const auto docs = static_cast<double>(docs_seen_ - docs_at_last_eval_);
    char line[200];
    std::snprintf(line, sizeof line, "step %7lld/%lld  epoch %6.2f  %s/s %9.0f  rho %6.4f  ",
                  static_cast<long long>(step_), static_cast<long long>(total_steps()), row.epoch,
                  model_.item_name().c_str(), seconds > 0 ? docs / seconds : 0.0, step_ == first_step_ ? 0.0 : row.rho);
    *progress_ << line;
    if (std::isnan(row.heldout)) {  // the held-out metric is NaN without held-out data (and only then)
      *progress_ << "no held-out data";
    } else {
      std::snprintf(line, sizeof line, "%s %.2f", model_.heldout_name().c_str(), row.heldout);
      *progress_ << line;
    }
    const std::vector<std::string> names = extra_names();
    for (std::size_t j = 0; j < names.size() && j < row.extra.size(); ++j) {
      std::snprintf(line, sizeof line, "  %s %.4g", names[j].c_str(), row.extra[j]);
      *progress_ << line;
    }
    *progress_ << "\n" << std::flush;
  }
  seconds_at_last_eval_ = train_seconds_;
  docs_at_last_eval_ = docs_seen_;
}

double Svi::elbo() {
  double local = model_.elbo_local_partial();
  comm_.allreduce_sum(std::span(&local, 1));
  return local + model_.elbo_global();
}

void Svi::restore(SviState state) {
  lambda_ = std::move(state.lambda);
  resume(std::move(state));
}

void Svi::resume(SviState state) {
  step_ = state.step;
  first_step_ = state.first_step;
  rho_ = step_ > 0 ? step_size(solver_, step_) : 0.0;
  if (adaptive_) {
    // A checkpoint of a run with this schedule has its averages; any other starts them afresh.
    adaptive_.emplace(lambda_);
    adaptive_started_ = state.solver_state.attr("/solver/state", "rho").has_value();
    if (adaptive_started_) {
      adaptive_->restore(state.solver_state, lambda_);
      rho_ = state.solver_state.attr_double("/solver/state", "rho");
    }
  }
  docs_seen_ = state.docs_seen;
  train_seconds_ = state.train_seconds;
  history_ = std::move(state.history);
  seconds_at_last_eval_ = train_seconds_;
  docs_at_last_eval_ = docs_seen_;
  for (std::size_t j = 0; j < learned_.size(); ++j) {
    const auto kept = state.solver_state.attr("/solver/state", learned_[j] + "_shortened");
    shortened_[j] = kept ? state.solver_state.attr_int("/solver/state", learned_[j] + "_shortened") : 0;
  }
  if (prior_moves_) prior_ = model_.prior();  // the learned prior the model adopted
  set_global("restart at step " + std::to_string(step_));
}

}  // namespace natgrad::solver
