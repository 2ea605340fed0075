#include "natgrad/solver/adaptive.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "natgrad/error.hpp"

namespace natgrad::solver {

namespace {

// Below this, r is folded into Q (as GlobalParams folds its scale into M).
constexpr double kMinScale = models::GlobalParams::kMinScale;

// Calls f(b) for every block b in [0, count) that `touched` (increasing) does not hold.
template <class F>
void for_each_untouched(Eigen::Index count, std::span<const std::int64_t> touched, F&& f) {
  std::size_t next = 0;
  for (Eigen::Index b = 0; b < count; ++b) {
    if (next < touched.size() && touched[next] == b) {
      ++next;
      continue;
    }
    f(b);
  }
}

}  // namespace

AdaptiveStep::AdaptiveStep(const models::GlobalParams& lambda)
    : q_(Eigen::VectorXd::Zero(lambda.size())), q_block_sum_(Eigen::VectorXd::Zero(lambda.block_size())) {
  recompute(lambda);
}

void AdaptiveStep::recompute(const models::GlobalParams& lambda) {
  const Eigen::VectorXd& m = lambda.offset();
  sums_ = {m.squaredNorm(), q_.squaredNorm(), m.dot(q_)};
  const Eigen::Index n = lambda.block_size();
  q_block_sum_ = Eigen::Map<const Eigen::MatrixXd>(q_.data(), n, lambda.num_blocks()).rowwise().sum();
}

double AdaptiveStep::compact_norm2(const Eigen::VectorXd& x, const models::GlobalParams& lambda) const {
  if (x.size() == 0) return 0.0;
  if (x.size() == lambda.size()) return x.squaredNorm();
  const Eigen::Index n = lambda.block_size();
  return static_cast<double>(lambda.num_blocks()) * x.head(n).squaredNorm() + x.tail(lambda.tail_size()).squaredNorm();
}

double AdaptiveStep::compact_dot(const Eigen::VectorXd& x, const Eigen::VectorXd& vector, const Eigen::VectorXd& block_sum,
                                 const models::GlobalParams& lambda) const {
  if (x.size() == 0) return 0.0;
  if (x.size() == lambda.size()) return x.dot(vector);
  const Eigen::Index t = lambda.tail_size();
  return x.head(lambda.block_size()).dot(block_sum) + x.tail(t).dot(vector.tail(t));
}

double AdaptiveStep::compact_at(const Eigen::VectorXd& x, const models::GlobalParams& lambda, Eigen::Index index) const {
  if (x.size() == 0) return 0.0;
  if (x.size() == lambda.size()) return x[index];
  const Eigen::Index n = lambda.block_size();
  const Eigen::Index body = lambda.num_blocks() * n;
  return index < body ? x[index % n] : x[n + index - body];
}

template <class F>
void AdaptiveStep::for_each(const models::GlobalParams& lambda, const Increments& e, F&& f) const {
  const Eigen::Index n = lambda.block_size();
  const Eigen::Index blocks = lambda.num_blocks();
  for (std::size_t j = 0; j < e.blocks.size(); ++j) {
    const Eigen::Index b = e.blocks[j];
    const Eigen::Index at = b * n;
    const Eigen::Index from = static_cast<Eigen::Index>(j) * n;
    for (Eigen::Index p = 0; p < n; ++p) f(at + p, e.weight * e.stats[from + p]);
    // A hierarchical prior's shifts in a touched block: on top of the statistics, where they are.
    for (std::size_t k = 0; k < e.positions.size(); ++k) f(at + e.positions[k], e.shifts[k][b]);
  }
  const auto body = static_cast<Eigen::Index>(e.blocks.size()) * n;
  for (Eigen::Index t = 0; t < lambda.tail_size(); ++t) f(blocks * n + t, e.weight * e.stats[body + t]);
  // The shifts in the blocks the statistics do not touch.
  for (std::size_t k = 0; k < e.positions.size(); ++k) {
    for_each_untouched(blocks, e.blocks, [&](Eigen::Index b) { f(b * n + e.positions[k], e.shifts[k][b]); });
  }
}

Eigen::VectorXd AdaptiveStep::averaged_part(const Eigen::VectorXd& toward, double w) const {
  // (1 − w) U + w V, either of which may be empty (zero).
  if (toward.size() == 0) return (1 - w) * u_part_;
  if (u_part_.size() == 0) return w * toward;
  return (1 - w) * u_part_ + w * toward;
}

AdaptiveStep::Norms AdaptiveStep::norms(const models::GlobalParams& lambda, const Increments& e,
                                        const Eigen::VectorXd& toward, double w) const {
  // An entry touched twice (statistics and a shift at the same place) is visited twice by for_each:
  // its increments add, so the sums over visits are taken of the total increment per entry, which
  // for_each gives in two parts; the products below are linear in e except e², handled by keeping
  // the entry's running total.
  const Eigen::VectorXd& m = lambda.offset();
  const double a = lambda.scale();
  const Eigen::VectorXd w_part = averaged_part(toward, w);
  const double u = (1 - w) * u_ - w * a;
  const double r = (1 - w) * r_;
  double ee = 0.0, em = 0.0, eq = 0.0, ev = 0.0, ew = 0.0;
  for_each(lambda, e, [&](Eigen::Index i, double x) {
    ee += x * x;
    em += x * m[i];
    eq += x * q_[i];
    ev += x * compact_at(toward, lambda, i);
    ew += x * compact_at(w_part, lambda, i);
  });
  // (Entries visited twice add their two parts' cross term, 2 x₁x₂, to ee separately below.)
  if (!e.positions.empty()) {
    const Eigen::Index n = lambda.block_size();
    for (std::size_t j = 0; j < e.blocks.size(); ++j) {
      const Eigen::Index b = e.blocks[j];
      for (std::size_t k = 0; k < e.positions.size(); ++k) {
        ee += 2.0 * e.weight * e.stats[static_cast<Eigen::Index>(j) * n + e.positions[k]] * e.shifts[k][b];
      }
    }
  }
  const double vm = compact_dot(toward, m, lambda.block_sum(), lambda);
  Norms out;
  out.g2 = compact_norm2(toward, lambda) + a * a * sums_.mm + ee - 2 * a * vm + 2 * ev - 2 * a * em;
  const double wm = compact_dot(w_part, m, lambda.block_sum(), lambda);
  const double wq = compact_dot(w_part, q_, q_block_sum_, lambda);
  out.avg2 = compact_norm2(w_part, lambda) + u * u * sums_.mm + r * r * sums_.qq + 2 * u * wm + 2 * r * wq +
             2 * u * r * sums_.mq + w * w * ee + 2 * w * (ew + u * em + r * eq);
  return out;
}

double AdaptiveStep::first_rate(const models::GlobalParams& lambda, std::span<const Increments> parts,
                                const Eigen::VectorXd& toward) {
  // The step's increments are the parts' together: Σ_i s_i with the step's weight.
  const Increments& first = parts.front();
  Eigen::VectorXd total = Eigen::VectorXd::Zero(first.stats.size());
  for (const Increments& p : parts) total += p.stats;
  const Increments step{first.blocks, total, first.weight, first.positions, first.shifts};
  // x_i − x̄ = weight (P s_i − s): the shifts and λ cancel.
  const auto count = static_cast<double>(parts.size());
  double spread = 0.0;
  for (const Increments& p : parts) spread += (first.weight * (count * p.stats - total)).squaredNorm();
  tau_ = 1.0;  // ḡ = ĝ_1: the old average (none yet) has weight 0
  r_ = 1.0;
  const Norms g = norms(lambda, step, toward, 1.0);
  hbar_ = g.g2 + (parts.size() > 1 ? spread / (count * (count - 1)) : 0.0);
  const double rho = hbar_ > 0 ? std::clamp(g.avg2 / hbar_, 0.0, 1.0) : 1.0;
  commit(lambda, step, toward, 1.0);
  tau_ = count * (1 - rho) + 1;
  return rho;
}

double AdaptiveStep::rate(const models::GlobalParams& lambda, const Increments& e, const Eigen::VectorXd& toward) {
  const double w = 1.0 / tau_;
  const Norms g = norms(lambda, e, toward, w);
  hbar_ = (1 - w) * hbar_ + w * g.g2;
  const double rho = hbar_ > 0 ? std::clamp(g.avg2 / hbar_, 0.0, 1.0) : 1.0;
  commit(lambda, e, toward, w);
  tau_ = tau_ * (1 - rho) + 1;
  return rho;
}

void AdaptiveStep::commit(const models::GlobalParams& lambda, const Increments& e, const Eigen::VectorXd& toward,
                          double w) {
  // ḡ = W + u'M + r'Q + w e, with the M and Q of now; the entries e changes leave the kept sums
  // (after_update puts their new values back).
  u_part_ = averaged_part(toward, w);
  u_ = (1 - w) * u_ - w * lambda.scale();
  r_ = w == 1.0 ? 1.0 : (1 - w) * r_;  // w = 1: Q's old content has weight 0 (and is 0: the first step)
  w_ = w;
  const Eigen::VectorXd& m = lambda.offset();
  visit_changed(lambda, e, [&](Eigen::Index i) {
    sums_.mm -= m[i] * m[i];
    sums_.qq -= q_[i] * q_[i];
    sums_.mq -= m[i] * q_[i];
  });
}

void AdaptiveStep::before_decay(const models::GlobalParams& lambda, double rho) {
  if (lambda.scale() * (1.0 - rho) >= models::GlobalParams::kMinScale) return;
  // GlobalParams will fold its scale into M everywhere: u·M goes into Q first (O(n), rare).
  q_ += (u_ / r_) * lambda.offset();
  u_ = 0.0;
  folded_ = true;
}

void AdaptiveStep::after_update(const models::GlobalParams& lambda, const Increments& e, double rho) {
  // M changed by δ e, δ = ρ / a_{t+1}: ḡ = W + u'M_{t+1} + r'Q + (w − u'δ) e, so Q gains (w − u'δ)/r' · e.
  const double delta = rho / lambda.scale();
  const double k = (w_ - u_ * delta) / r_;
  const Eigen::Index n = lambda.block_size();
  const Eigen::Index body = lambda.num_blocks() * n;
  for_each(lambda, e, [&](Eigen::Index i, double x) {
    q_[i] += k * x;
    if (i < body) q_block_sum_[i % n] += k * x;
  });
  if (folded_) {
    recompute(lambda);
    folded_ = false;
  } else {
    const Eigen::VectorXd& m = lambda.offset();
    visit_changed(lambda, e, [&](Eigen::Index i) {
      sums_.mm += m[i] * m[i];
      sums_.qq += q_[i] * q_[i];
      sums_.mq += m[i] * q_[i];
    });
  }
  if (r_ < kMinScale) {
    q_ *= r_;
    q_block_sum_ *= r_;
    sums_.qq *= r_ * r_;
    sums_.mq *= r_;
    r_ = 1.0;
  }
}

template <class F>
void AdaptiveStep::visit_changed(const models::GlobalParams& lambda, const Increments& e, F&& f) const {
  // Each changed entry once: the touched blocks whole, the tail, and the shifts' positions elsewhere.
  const Eigen::Index n = lambda.block_size();
  const Eigen::Index blocks = lambda.num_blocks();
  for (const std::int64_t b : e.blocks) {
    for (Eigen::Index p = 0; p < n; ++p) f(b * n + p);
  }
  for (Eigen::Index t = 0; t < lambda.tail_size(); ++t) f(blocks * n + t);
  for (const Eigen::Index p : e.positions) for_each_untouched(blocks, e.blocks, [&](Eigen::Index b) { f(b * n + p); });
}

io::Group AdaptiveStep::state() const {
  io::Group g;
  const std::string at = "/solver/state/adaptive";
  g.add_group(at);
  g.set(at, "tau", tau_);
  g.set(at, "hbar", hbar_);
  g.set(at, "u", u_);
  g.set(at, "r", r_);
  g.set(at, "mm", sums_.mm);
  g.set(at, "qq", sums_.qq);
  g.set(at, "mq", sums_.mq);
  const auto vec = [](const Eigen::VectorXd& v) { return std::vector<double>(v.data(), v.data() + v.size()); };
  g.add(at + "/q", {static_cast<std::uint64_t>(q_.size())}, vec(q_));
  g.add(at + "/q_block_sum", {static_cast<std::uint64_t>(q_block_sum_.size())}, vec(q_block_sum_));
  g.add(at + "/u_part", {static_cast<std::uint64_t>(u_part_.size())}, vec(u_part_));
  return g;
}

void AdaptiveStep::restore(const io::Group& state, const models::GlobalParams& lambda) {
  const std::string at = "/solver/state/adaptive";
  tau_ = state.attr_double(at, "tau");
  hbar_ = state.attr_double(at, "hbar");
  u_ = state.attr_double(at, "u");
  r_ = state.attr_double(at, "r");
  sums_ = {state.attr_double(at, "mm"), state.attr_double(at, "qq"), state.attr_double(at, "mq")};
  const auto vec = [&](const std::string& name, Eigen::Index size) {
    const std::vector<double>& v = state.numbers(at + "/" + name, {static_cast<std::uint64_t>(size)});
    return Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(v.data(), size));
  };
  q_ = vec("q", lambda.size());
  q_block_sum_ = vec("q_block_sum", lambda.block_size());
  const io::Dataset* part = state.find(at + "/u_part");
  u_part_ = part == nullptr ? Eigen::VectorXd() : vec("u_part", static_cast<Eigen::Index>(part->shape.at(0)));
  if (!(tau_ >= 1) || !(r_ > 0) || !std::isfinite(u_) || !(hbar_ >= 0)) {
    throw Error(state.file() + ": '" + at + "' holds tau, r, u or hbar out of range (a damaged file?)");
  }
}

}  // namespace natgrad::solver
