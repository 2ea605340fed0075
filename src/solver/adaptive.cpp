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

template <class F>
void AdaptiveStep::for_each(const models::GlobalParams& lambda, const Increments& e, F&& f) const {
  const Eigen::Index n = lambda.block_size();
  const Eigen::Index blocks = lambda.num_blocks();
  Eigen::VectorXd x(n);
  for (std::size_t j = 0; j < e.blocks.size(); ++j) {
    const Eigen::Index b = e.blocks[j];
    x = e.weight * e.stats.segment(static_cast<Eigen::Index>(j) * n, n);
    // A hierarchical prior's shifts in a touched block: on top of the statistics, where they are.
    for (std::size_t k = 0; k < e.positions.size(); ++k) x[e.positions[k]] += e.shifts[k][b];
    f(b * n, 0, x);
  }
  const auto body = static_cast<Eigen::Index>(e.blocks.size()) * n;
  if (lambda.tail_size() > 0) f(blocks * n, n, e.weight * e.stats.segment(body, lambda.tail_size()));
  // The shifts in the blocks the statistics do not touch, an entry at a time.
  Eigen::VectorXd one(1);
  for (std::size_t k = 0; k < e.positions.size(); ++k) {
    const Eigen::Index p = e.positions[k];
    for_each_untouched(blocks, e.blocks, [&](Eigen::Index b) {
      one[0] = e.shifts[k][b];
      f(b * n + p, p, one);
    });
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
  // One pass over the entries the step changes: the products with its increments, and those entries'
  // part of the kept sums, which leave them (after_update puts their new values back).
  const Eigen::VectorXd& m = lambda.offset();
  const double a = lambda.scale();
  const Eigen::VectorXd w_part = averaged_part(toward, w);
  const double u = (1 - w) * u_ - w * a;
  const double r = (1 - w) * r_;
  // The part of a vector of compact_base's form over the entries [i, i + len): from c (their place in
  // one block and the tail) when compact, else from i.
  const bool full = lambda.compact_base().size() == lambda.size();
  double ee = 0.0, em = 0.0, eq = 0.0, ev = 0.0, ew = 0.0;
  Sums old;
  for_each(lambda, e, [&](Eigen::Index i, Eigen::Index c, const Eigen::Ref<const Eigen::VectorXd>& x) {
    const auto mi = m.segment(i, x.size());
    const auto qi = q_.segment(i, x.size());
    ee += x.squaredNorm();
    em += x.dot(mi);
    eq += x.dot(qi);
    old.mm += mi.squaredNorm();
    old.qq += qi.squaredNorm();
    old.mq += mi.dot(qi);
    if (toward.size() > 0) ev += x.dot(toward.segment(full ? i : c, x.size()));
    if (w_part.size() > 0) ew += x.dot(w_part.segment(full ? i : c, x.size()));
  });
  const double vm = compact_dot(toward, m, lambda.block_sum(), lambda);
  Norms out;
  out.g2 = compact_norm2(toward, lambda) + a * a * sums_.mm + ee - 2 * a * vm + 2 * ev - 2 * a * em;
  const double wm = compact_dot(w_part, m, lambda.block_sum(), lambda);
  const double wq = compact_dot(w_part, q_, q_block_sum_, lambda);
  out.avg2 = compact_norm2(w_part, lambda) + u * u * sums_.mm + r * r * sums_.qq + 2 * u * wm + 2 * r * wq +
             2 * u * r * sums_.mq + w * w * ee + 2 * w * (ew + u * em + r * eq);
  out.old = old;
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
  r_ = 1.0;
  const Norms g = norms(lambda, step, toward, 1.0);  // ḡ = ĝ_1: the old average (none yet) has weight 0
  hbar_ = g.g2 + (parts.size() > 1 ? spread / (count * (count - 1)) : 0.0);
  const double rho = hbar_ > 0 ? std::clamp(g.avg2 / hbar_, 0.0, 1.0) : 1.0;
  commit(lambda, g, toward, 1.0);
  tau_ = count * (1 - rho) + 1;
  return rho;
}

double AdaptiveStep::rate(const models::GlobalParams& lambda, const Increments& e, const Eigen::VectorXd& toward) {
  const double w = 1.0 / tau_;
  const Norms g = norms(lambda, e, toward, w);
  hbar_ = (1 - w) * hbar_ + w * g.g2;
  const double rho = hbar_ > 0 ? std::clamp(g.avg2 / hbar_, 0.0, 1.0) : 1.0;
  commit(lambda, g, toward, w);
  tau_ = tau_ * (1 - rho) + 1;
  return rho;
}

void AdaptiveStep::commit(const models::GlobalParams& lambda, const Norms& g, const Eigen::VectorXd& toward, double w) {
  // ḡ = W + u'M + r'Q + w e, with the M and Q of now; the entries e changes leave the kept sums.
  u_part_ = averaged_part(toward, w);
  u_ = (1 - w) * u_ - w * lambda.scale();
  r_ = w == 1.0 ? 1.0 : (1 - w) * r_;  // w = 1: Q's old content has weight 0 (and is 0: the first step)
  w_ = w;
  sums_.mm -= g.old.mm;
  sums_.qq -= g.old.qq;
  sums_.mq -= g.old.mq;
}

void AdaptiveStep::before_decay(const models::GlobalParams& lambda, double rho) {
  if (lambda.scale() * (1.0 - rho) >= models::GlobalParams::kMinScale) return;
  // GlobalParams will fold its scale into M everywhere: u·M goes into Q first (O(n), rare).
  q_ += (u_ / r_) * lambda.offset();
  u_ = 0.0;
  folded_ = true;
}

void AdaptiveStep::after_update(const models::GlobalParams& lambda, const Increments& e, double rho) {
  // M changed by δ e, δ = ρ / a_{t+1}: ḡ = W + u'M_{t+1} + r'Q + (w − u'δ) e, so Q gains (w − u'δ)/r' · e;
  // the changed entries' new values go back into the kept sums, in the same pass.
  const double delta = rho / lambda.scale();
  const double k = (w_ - u_ * delta) / r_;
  const Eigen::Index n = lambda.block_size();
  const Eigen::Index body = lambda.num_blocks() * n;
  const Eigen::VectorXd& m = lambda.offset();
  Sums added;
  for_each(lambda, e, [&](Eigen::Index i, Eigen::Index c, const Eigen::Ref<const Eigen::VectorXd>& x) {
    auto qi = q_.segment(i, x.size());
    const auto mi = m.segment(i, x.size());
    qi += k * x;
    if (i < body) q_block_sum_.segment(c, x.size()) += k * x;
    added.mm += mi.squaredNorm();
    added.qq += qi.squaredNorm();
    added.mq += mi.dot(qi);
  });
  if (folded_) {
    recompute(lambda);
    folded_ = false;
  } else {
    sums_.mm += added.mm;
    sums_.qq += added.qq;
    sums_.mq += added.mq;
  }
  if (r_ < kMinScale) {
    q_ *= r_;
    q_block_sum_ *= r_;
    sums_.qq *= r_ * r_;
    sums_.mq *= r_;
    r_ = 1.0;
  }
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
