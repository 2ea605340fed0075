#include "natgrad/models/gmm/gmm.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "natgrad/error.hpp"
#include "natgrad/expfam/dirichlet.hpp"
#include "natgrad/expfam/random.hpp"

namespace natgrad::models {

namespace {

// Points per chunk of the whole-shard passes (held-out score, ELBO): bounds the n × K scratch.
constexpr Eigen::Index kChunk = 4096;

// k-means runs on the sample, of which the start keeps the best.
constexpr std::uint64_t kStartRuns = 4;

// log Σ_k exp(a_nk) of each row of a (n × K).
Eigen::ArrayXd log_sum_exp_rows(const Eigen::MatrixXd& a) {
  const Eigen::ArrayXd top = a.rowwise().maxCoeff();
  return top + (a.colwise() - top.matrix()).array().exp().rowwise().sum().log();
}

// The columns of `data` (D × n) in chunks: calls body(first column, columns).
template <class Body>
void for_chunks(const Eigen::Ref<const Eigen::MatrixXd>& data, Body body) {
  for (Eigen::Index first = 0; first < data.cols(); first += kChunk) {
    body(data.middleCols(first, std::min(kChunk, data.cols() - first)));
  }
}

Eigen::Map<const Eigen::MatrixXd> columns_of(const io::DenseData& data) {
  return {data.values.data(), data.cols, data.num_rows()};
}

}  // namespace

std::vector<std::int64_t> gmm_start_rows(std::int64_t num_rows, Eigen::Index components, std::uint64_t seed) {
  const std::int64_t m = std::min<std::int64_t>(num_rows, std::max<std::int64_t>(1000, 20 * components));
  expfam::CounterRng rng(seed, expfam::Purpose::kGlobalInit, 0, 1);
  std::vector<std::int64_t> rows(static_cast<std::size_t>(m));
  for (std::int64_t i = 0; i < m; ++i) {
    // Stratum i is [⌊iN/m⌋, ⌊(i+1)N/m⌋): distinct rows, spread over the whole data set.
    const std::int64_t lo = num_rows * i / m;
    const std::int64_t hi = num_rows * (i + 1) / m;
    rows[static_cast<std::size_t>(i)] = lo + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(hi - lo)));
  }
  return rows;
}

namespace {

struct Clustering {
  Eigen::MatrixXd centres;           ///< D × K
  std::vector<Eigen::Index> owner;   ///< the nearest centre of each point
  double inertia = 0.0;              ///< Σ squared distances to the nearest centre
};

// Squared distances of the columns of `points` to `centre`.
Eigen::ArrayXd squared_distances(const Eigen::MatrixXd& points, const Eigen::VectorXd& centre) {
  return (points.colwise() - centre).colwise().squaredNorm().transpose().array();
}

// Greedy k-means++ seeding (Arthur & Vassilvitskii 2007; as scikit-learn, the
// best of 2 + ⌊ln K⌋ candidates for each new centre), then Lloyd iterations.
Clustering k_means(const Eigen::MatrixXd& sample, Eigen::Index components, expfam::CounterRng& rng) {
  const Eigen::Index d = sample.rows();
  const Eigen::Index m = sample.cols();
  const int candidates = 2 + static_cast<int>(std::log(static_cast<double>(components)));
  const auto draw = [&](const Eigen::ArrayXd& weights) {
    const double total = weights.sum();
    if (!(total > 0)) return static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(m)));
    double u = rng.uniform() * total;
    Eigen::Index pick = 0;
    while (pick < m - 1 && (u -= weights[pick]) > 0) ++pick;
    return pick;
  };
  Clustering c;
  c.centres.resize(d, components);
  c.centres.col(0) = sample.col(static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(m))));
  Eigen::ArrayXd nearest = squared_distances(sample, c.centres.col(0));
  for (Eigen::Index k = 1; k < components; ++k) {
    Eigen::ArrayXd best_nearest;
    Eigen::Index best = 0;
    for (int trial = 0; trial < candidates; ++trial) {
      const Eigen::Index pick = draw(nearest);
      Eigen::ArrayXd updated = nearest.min(squared_distances(sample, sample.col(pick)));
      if (trial == 0 || updated.sum() < best_nearest.sum()) {
        best_nearest = std::move(updated);
        best = pick;
      }
    }
    c.centres.col(k) = sample.col(best);
    nearest = std::move(best_nearest);
  }
  c.owner.resize(static_cast<std::size_t>(m));
  const auto assign = [&] {
    c.inertia = 0.0;
    for (Eigen::Index j = 0; j < m; ++j) {
      c.inertia += (c.centres.colwise() - sample.col(j)).colwise().squaredNorm().minCoeff(&c.owner[static_cast<std::size_t>(j)]);
    }
  };
  for (int iteration = 0; iteration < 20; ++iteration) {
    assign();
    Eigen::MatrixXd sums = Eigen::MatrixXd::Zero(d, components);
    Eigen::VectorXd counts = Eigen::VectorXd::Zero(components);
    for (Eigen::Index j = 0; j < m; ++j) {
      sums.col(c.owner[static_cast<std::size_t>(j)]) += sample.col(j);
      counts[c.owner[static_cast<std::size_t>(j)]] += 1;
    }
    for (Eigen::Index k = 0; k < components; ++k) {
      if (counts[k] > 0) c.centres.col(k) = sums.col(k) / counts[k];  // an empty cluster keeps its centre
    }
  }
  assign();
  return c;
}

}  // namespace

GmmStart gmm_start(const Eigen::MatrixXd& sample, Eigen::Index components, std::uint64_t seed) {
  const Eigen::Index d = sample.rows();
  const Eigen::Index m = sample.cols();
  if (m < components) {
    throw Error(std::to_string(m) + " data points for model.components = " + std::to_string(components) +
                "; every component needs at least one point");
  }
  // The best (least inertia) of a few k-means runs: one unlucky seeding would
  // otherwise leave two components in one cluster for the whole fit.
  Clustering best;
  for (std::uint64_t run = 0; run < kStartRuns; ++run) {
    expfam::CounterRng rng(seed, expfam::Purpose::kGlobalInit, 0, 2 + run);
    Clustering c = k_means(sample, components, rng);
    if (run == 0 || c.inertia < best.inertia) best = std::move(c);
  }
  Eigen::MatrixXd scatter = Eigen::MatrixXd::Zero(d, d);
  for (Eigen::Index j = 0; j < m; ++j) {
    const Eigen::VectorXd deviation = sample.col(j) - best.centres.col(best.owner[static_cast<std::size_t>(j)]);
    scatter.noalias() += deviation * deviation.transpose();
  }
  GmmStart start;
  start.means = best.centres;
  start.covariance = scatter / static_cast<double>(m) + 1e-6 * Eigen::MatrixXd::Identity(d, d);
  return start;
}

io::Layout gmm_layout(Eigen::Index components, Eigen::Index dim, bool diagonal) {
  const Eigen::Index q = diagonal ? dim : dim * dim;
  const Eigen::Index s = 3 + dim + q;
  const std::vector<std::int64_t> matrix = diagonal ? std::vector<std::int64_t>{components, dim}
                                                    : std::vector<std::int64_t>{components, dim, dim};
  const std::vector<std::int64_t> matrix_strides = diagonal ? std::vector<std::int64_t>{s, 1}
                                                            : std::vector<std::int64_t>{s, 1, dim};
  return {{{"weight_concentration", {components}, 0, {s}},
           {"mean_precision", {components}, 1, {s}},
           {"degrees_of_freedom", {components}, 2, {s}},
           {"beta_mean", {components, dim}, 3, {s, 1}},
           {"scatter", matrix, 3 + dim, matrix_strides}},
          components * s};
}

GmmViews::GmmViews(Eigen::Index components, Eigen::Index dim, bool diagonal)
    : layout_(gmm_layout(components, dim, diagonal)), dim_(dim), q_(diagonal ? dim : dim * dim),
      scatter_(layout_["scatter"]) {
  if (diagonal) {
    scatter_.shape.push_back(1);
    scatter_.strides.push_back(0);
  }
}

Eigen::MatrixXd GmmCoordinates::to(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
  if (identity()) return x;
  return ((x.colwise() - shift).array().colwise() / scale.array()).matrix();
}

double GmmCoordinates::log_jacobian() const { return identity() ? 0.0 : -scale.array().log().sum(); }

GmmPrior GmmCoordinates::to(const GmmPrior& p) const {
  if (identity()) return p;
  GmmPrior q = p;
  q.mean = ((p.mean - shift).array() / scale.array()).matrix();
  q.scale = (p.scale.array() / (scale * scale.transpose()).array()).matrix();
  return q;
}

GmmPrior GmmCoordinates::from(const GmmPrior& p) const {
  if (identity()) return p;
  GmmPrior q = p;
  q.mean = mean_from(p.mean);
  q.scale = covariance_from(p.scale);
  return q;
}

Eigen::VectorXd GmmCoordinates::mean_from(const Eigen::VectorXd& m) const {
  if (identity()) return m;
  return shift + (scale.array() * m.array()).matrix();
}

Eigen::MatrixXd GmmCoordinates::covariance_from(const Eigen::MatrixXd& sigma) const {
  if (identity()) return sigma;
  if (sigma.cols() == 1) return (sigma.array() * scale.array().square()).matrix();  // a diagonal
  return (sigma.array() * (scale * scale.transpose()).array()).matrix();
}

GmmModel::GmmModel(io::DenseData train, std::optional<io::DenseData> heldout, GmmOptions options, GmmStart start)
    : components_(options.components),
      dim_(train.cols),
      options_(std::move(options)),
      views_(components_, dim_, options_.diagonal),
      start_(std::move(start)),
      train_(std::move(train)),
      heldout_(std::move(heldout)) {
  set_lambda(initial_global(0, 0, 1));
}

std::string GmmModel::describe_index(Eigen::Index index) const {
  for (const io::Tensor& t : views_.layout().tensors) {
    // The entry of t at `index`, if any: row-major indices from the strides (largest first).
    std::vector<std::int64_t> at(t.shape.size(), 0);
    std::int64_t rest = index - t.offset;
    std::vector<std::size_t> order(t.shape.size());
    for (std::size_t j = 0; j < order.size(); ++j) order[j] = j;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return t.strides[a] > t.strides[b]; });
    for (const std::size_t j : order) {
      if (t.strides[j] > 0 && rest >= 0) {
        at[j] = std::min(rest / t.strides[j], t.shape[j] - 1);
        rest -= at[j] * t.strides[j];
      }
    }
    if (rest != 0) continue;
    std::string where = "component " + std::to_string(at[0]) + ", " + t.name;
    for (std::size_t j = 1; j < at.size(); ++j) where += (j == 1 ? " entry (" : ", ") + std::to_string(at[j]);
    return where + (at.size() > 1 ? ")" : "");
  }
  return "entry " + std::to_string(index);
}

Eigen::VectorXd GmmModel::prior() const {
  const GmmPrior& p = options_.prior;
  const GmmViews& v = views_;
  const Eigen::MatrixXd scatter = p.scale + p.mean_precision * p.mean * p.mean.transpose();
  Eigen::VectorXd eta(global_size());
  for (Eigen::Index k = 0; k < components_; ++k) {
    eta[v.weight_concentration(k)] = p.weight_concentration;
    eta[v.mean_precision(k)] = p.mean_precision;
    eta[v.degrees_of_freedom(k)] = p.degrees_of_freedom;
    eta.segment(v.beta_mean(k), dim_) = p.mean_precision * p.mean;
    if (options_.diagonal) {
      eta.segment(v.scatter(k), dim_) = scatter.diagonal();
    } else {
      eta.segment(v.scatter(k), dim_ * dim_) = scatter.reshaped();
    }
  }
  return eta;
}

Eigen::VectorXd GmmModel::initial_global(std::uint64_t /*seed*/, int /*part*/, int /*parts*/) const {
  // start_ was computed from the seed (gmm_start); the prior plus N/K pseudo-points per component.
  // Every part is all of λ: there is little to compute.
  const double n = static_cast<double>(num_train()) / static_cast<double>(components_);
  const GmmViews& v = views_;
  Eigen::VectorXd lambda = prior();
  for (Eigen::Index k = 0; k < components_; ++k) {
    const Eigen::VectorXd c = start_.means.col(k);
    for (const Eigen::Index i : {v.weight_concentration(k), v.mean_precision(k), v.degrees_of_freedom(k)}) lambda[i] += n;
    lambda.segment(v.beta_mean(k), dim_) += n * c;
    const Eigen::MatrixXd second = n * (c * c.transpose() + start_.covariance);
    if (options_.diagonal) {
      lambda.segment(v.scatter(k), dim_) += second.diagonal();
    } else {
      lambda.segment(v.scatter(k), dim_ * dim_) += second.reshaped();
    }
  }
  return lambda;
}

void GmmModel::make_component(const Eigen::VectorXd& lambda, Eigen::Index k) {
  const GmmViews& v = views_;
  const double beta = lambda[v.mean_precision(k)];
  const double nu = lambda[v.degrees_of_freedom(k)];
  const Eigen::VectorXd b = lambda.segment(v.beta_mean(k), dim_);
  const auto slot = static_cast<std::size_t>(k);
  if (options_.diagonal) {
    expfam::NormalGamma q(Eigen::ArrayXd::Constant(dim_, beta), b.array(), lambda.segment(v.scatter(k), dim_).array(),
                          Eigen::ArrayXd::Constant(dim_, nu));
    if (diag_.size() > slot) {
      diag_[slot] = std::move(q);
    } else {
      diag_.push_back(std::move(q));
    }
  } else {
    expfam::NormalWishart q(beta, b, lambda.segment(v.scatter(k), dim_ * dim_).reshaped(dim_, dim_), nu);
    if (full_.size() > slot) {
      full_[slot] = std::move(q);
    } else {
      full_.push_back(std::move(q));
    }
  }
}

void GmmModel::touched_blocks(std::span<const std::int64_t> /*ids*/, std::vector<std::int64_t>& blocks) const {
  blocks.push_back(0);
}

void GmmModel::set_lambda(const Eigen::VectorXd& lambda) {
  lambda_ = lambda;
  Eigen::ArrayXd alpha(components_);
  for (Eigen::Index k = 0; k < components_; ++k) {
    alpha[k] = lambda[views_.weight_concentration(k)];
    make_component(lambda, k);
  }
  elog_pi_.resize(components_);
  expfam::dirichlet_expected_log(alpha, elog_pi_);
  log_pi_bar_ = (alpha / alpha.sum()).log();
}

Eigen::ArrayXd GmmModel::expected_log_normal(Eigen::Index k, const Eigen::Ref<const Eigen::MatrixXd>& x) const {
  const auto slot = static_cast<std::size_t>(k);
  return options_.diagonal ? diag_[slot].expected_log_normal(x) : full_[slot].expected_log_normal(x);
}

void GmmModel::responsibilities(const Eigen::Ref<const Eigen::MatrixXd>& x, Eigen::MatrixXd& r) const {
  responsibilities_of(options_.coordinates.to(x), r);
}

double GmmModel::responsibilities_of(const Eigen::Ref<const Eigen::MatrixXd>& x, Eigen::MatrixXd& r) const {
  r.resize(x.cols(), components_);
  for (Eigen::Index k = 0; k < components_; ++k) r.col(k) = (expected_log_normal(k, x) + elog_pi_[k]).matrix();
  const Eigen::ArrayXd norm = log_sum_exp_rows(r);
  r = (r.colwise() - norm.matrix()).array().exp().matrix();
  return norm.sum();
}

double GmmModel::local_step(const Eigen::Ref<const Eigen::MatrixXd>& x, Eigen::VectorXd* stats) const {
  // No point (a rank's part of a small minibatch): nothing to add, and Eigen's rank update of an
  // empty matrix divides by zero.
  if (x.cols() == 0) return 0.0;
  Eigen::MatrixXd r;
  const double elbo = responsibilities_of(x, r);
  if (stats == nullptr) return elbo;
  const GmmViews& v = views_;
  const Eigen::MatrixXd first = x * r;  // D × K: Σ_n r_nk x_n
  const Eigen::MatrixXd squares = x.array().square().matrix() * r;
  for (Eigen::Index k = 0; k < components_; ++k) {
    const double n = r.col(k).sum();
    for (const Eigen::Index i : {v.weight_concentration(k), v.mean_precision(k), v.degrees_of_freedom(k)}) (*stats)[i] += n;
    stats->segment(v.beta_mean(k), dim_) += first.col(k);
    if (options_.diagonal) {
      stats->segment(v.scatter(k), dim_) += squares.col(k);
    } else {
      const Eigen::MatrixXd weighted = x * r.col(k).cwiseSqrt().asDiagonal();  // Σ_n r_nk x_n x_nᵀ = W Wᵀ
      Eigen::MatrixXd second = Eigen::MatrixXd::Zero(dim_, dim_);
      second.selfadjointView<Eigen::Lower>().rankUpdate(weighted, 1.0);
      // Only the lower triangle was formed; the scatter matrix is symmetric.
      second.triangularView<Eigen::StrictlyUpper>() = second.transpose();
      stats->segment(v.scatter(k), dim_ * dim_) += second.reshaped();
    }
  }
  return elbo;
}

void GmmModel::add_local_stats(std::span<const std::int64_t> ids,
                               std::span<const std::int64_t> /*blocks: the one block, all of λ*/,
                               Eigen::Ref<Eigen::VectorXd> stats) {
  // The responsibilities are closed-form: no local iteration and no random start.
  const auto data = columns_of(train_);
  Eigen::MatrixXd x(dim_, static_cast<Eigen::Index>(ids.size()));
  for (std::size_t j = 0; j < ids.size(); ++j) {
    x.col(static_cast<Eigen::Index>(j)) = data.col(ids[j] - train_.first_row);
  }
  Eigen::VectorXd sums = Eigen::VectorXd::Zero(stats.size());
  local_step(options_.coordinates.to(x), &sums);
  stats += sums;
}

Eigen::ArrayXd GmmModel::log_predictive(const Eigen::Ref<const Eigen::MatrixXd>& data) const {
  const Eigen::MatrixXd x = options_.coordinates.to(data);
  Eigen::MatrixXd terms(x.cols(), components_);
  for (Eigen::Index k = 0; k < components_; ++k) {
    const auto slot = static_cast<std::size_t>(k);
    const Eigen::ArrayXd density = options_.diagonal ? diag_[slot].log_predictive(x) : full_[slot].log_predictive(x);
    terms.col(k) = (density + log_pi_bar_[k]).matrix();
  }
  return log_sum_exp_rows(terms) + options_.coordinates.log_jacobian();
}

ScoreSum GmmModel::heldout_partial() {
  ScoreSum sum;
  if (!heldout_) return sum;
  for_chunks(columns_of(*heldout_), [&](const auto& x) { sum.log_score += log_predictive(x).sum(); });
  sum.count = static_cast<double>(heldout_->num_rows());
  return sum;
}

double GmmModel::heldout_metric(const ScoreSum& total) const {
  return total.count > 0 ? total.log_score / total.count : std::numeric_limits<double>::quiet_NaN();
}

double GmmModel::elbo_local_partial() {
  double sum = 0.0;
  for_chunks(columns_of(train_), [&](const auto& x) { sum += local_step(options_.coordinates.to(x), nullptr); });
  return sum;
}

double GmmModel::elbo_global() const {
  Eigen::ArrayXd alpha(components_);
  for (Eigen::Index k = 0; k < components_; ++k) alpha[k] = lambda_[views_.weight_concentration(k)];
  double kl = expfam::Dirichlet(alpha).kl(
      expfam::Dirichlet(Eigen::ArrayXd::Constant(components_, options_.prior.weight_concentration)));
  const GmmPrior& p = options_.prior;
  for (Eigen::Index k = 0; k < components_; ++k) {
    const auto slot = static_cast<std::size_t>(k);
    if (options_.diagonal) {
      kl += diag_[slot].kl(expfam::NormalGamma::from_moments(
          Eigen::ArrayXd::Constant(dim_, p.mean_precision), p.mean.array(), p.scale.diagonal().array(),
          Eigen::ArrayXd::Constant(dim_, p.degrees_of_freedom)));
    } else {
      kl += full_[slot].kl(expfam::NormalWishart::from_moments(p.mean_precision, p.mean, p.scale, p.degrees_of_freedom));
    }
  }
  return -kl;
}

Eigen::MatrixXd GmmModel::means(const Eigen::VectorXd& lambda) const {
  Eigen::MatrixXd m(components_, dim_);
  for (Eigen::Index k = 0; k < components_; ++k) {
    const Eigen::VectorXd mk = (1.0 / lambda[views_.mean_precision(k)]) * lambda.segment(views_.beta_mean(k), dim_);
    m.row(k) = options_.coordinates.mean_from(mk).transpose();
  }
  return m;
}

std::string GmmModel::description() const {
  return "gmm (" + std::string(options_.diagonal ? "diag" : "full") + " covariances), K = " +
         std::to_string(components_) + ", " + std::to_string(num_train()) + " points of dimension " +
         std::to_string(dim_);
}

io::Group GmmModel::file_contents(const Eigen::VectorXd& lambda) const {
  const auto k = static_cast<std::uint64_t>(components_);
  const auto d = static_cast<std::uint64_t>(dim_);
  const GmmViews& v = views_;
  const bool diag = options_.diagonal;
  const std::vector<std::uint64_t> matrix = diag ? std::vector<std::uint64_t>{k, d} : std::vector<std::uint64_t>{k, d, d};
  io::Group g;
  g.set("/model", "components", static_cast<std::int64_t>(components_));
  g.set("/model", "dim", static_cast<std::int64_t>(dim_));
  g.set("/model", "covariance", std::string(diag ? "diag" : "full"));
  // Derived, for readers: E[π], m_k and W_k⁻¹/ν_k, with W_k⁻¹ = C_k − β_k m_k m_kᵀ.
  std::vector<double> weights, means, covariances;
  double alpha_sum = 0.0;
  for (Eigen::Index c = 0; c < components_; ++c) alpha_sum += lambda[v.weight_concentration(c)];
  const GmmCoordinates& coords = options_.coordinates;
  for (Eigen::Index c = 0; c < components_; ++c) {
    weights.push_back(lambda[v.weight_concentration(c)] / alpha_sum);
    const double beta = lambda[v.mean_precision(c)];
    const double nu = lambda[v.degrees_of_freedom(c)];
    // m_k and W_k⁻¹/ν_k in the fit's coordinates, then in the data's.
    const Eigen::VectorXd mc = (1.0 / beta) * lambda.segment(v.beta_mean(c), dim_);
    const Eigen::VectorXd m = coords.mean_from(mc);
    means.insert(means.end(), m.data(), m.data() + m.size());
    if (diag) {
      const Eigen::VectorXd cov =
          coords.covariance_from((lambda.segment(v.scatter(c), dim_).array() - beta * mc.array().square()) / nu);
      covariances.insert(covariances.end(), cov.data(), cov.data() + cov.size());
    } else {
      const Eigen::MatrixXd cov = coords.covariance_from(
          (lambda.segment(v.scatter(c), dim_ * dim_).reshaped(dim_, dim_) - beta * Eigen::MatrixXd(mc * mc.transpose())) /
          nu);
      const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows = cov;
      covariances.insert(covariances.end(), rows.data(), rows.data() + rows.size());
    }
  }
  g.add("/model/weights", {k}, weights);
  g.add("/model/means", {k, d}, means);
  g.add("/model/covariances", matrix, covariances);
  if (!coords.identity()) {
    g.add_group("/model/coordinates");
    g.add("/model/coordinates/shift", {d}, std::vector<double>(coords.shift.data(), coords.shift.data() + d));
    g.add("/model/coordinates/scale", {d}, std::vector<double>(coords.scale.data(), coords.scale.data() + d));
  }
  const GmmPrior p = coords.from(options_.prior);
  g.add_group("/model/prior");
  g.set("/model/prior", "weight_concentration", p.weight_concentration);
  g.set("/model/prior", "mean_precision", p.mean_precision);
  g.set("/model/prior", "degrees_of_freedom", p.degrees_of_freedom);
  g.add("/model/prior/mean", {d}, std::vector<double>(p.mean.data(), p.mean.data() + p.mean.size()));
  if (diag) {
    const Eigen::VectorXd scale = p.scale.diagonal();
    g.add("/model/prior/scale", {d}, std::vector<double>(scale.data(), scale.data() + scale.size()));
  } else {
    g.add("/model/prior/scale", {d, d}, std::vector<double>(p.scale.data(), p.scale.data() + p.scale.size()));
  }
  return g;
}

std::vector<std::string> GmmModel::learned_names() const {
  if (!options_.learn_weight_concentration) return {};
  return {"weight_concentration"};
}

Eigen::VectorXd GmmModel::learned_value(std::size_t) const {
  return Eigen::VectorXd::Constant(1, options_.prior.weight_concentration);
}

std::unique_ptr<expfam::PriorObjective> GmmModel::learned_objective(std::size_t, std::span<const double>,
                                                                    double) const {
  return std::make_unique<expfam::DirichletPrior>(
      expfam::DirichletPrior::symmetric(elog_pi_.sum(), 1.0, static_cast<double>(components_)));
}

void GmmModel::set_learned(std::size_t, const Eigen::VectorXd& value) { options_.prior.weight_concentration = value[0]; }

GmmOptions gmm_options_of(const io::ModelFile& file) {
  const io::Group& g = file.model;
  const std::string& path = g.file();
  const std::int64_t k = g.attr_int("/model", "components");
  const std::int64_t d = g.attr_int("/model", "dim");
  if (k < 1 || d < 1 || k > (std::int64_t{1} << 24) || d > (std::int64_t{1} << 16)) {
    throw Error(path + ": '/model' components = " + std::to_string(k) + ", dim = " + std::to_string(d) +
                "; expected 1 <= components <= 2^24 and 1 <= dim <= 2^16");
  }
  const std::string covariance = g.attr_string("/model", "covariance");
  if (covariance != "full" && covariance != "diag") {
    throw Error(path + ": '/model' covariance '" + covariance + "'; expected full or diag");
  }
  GmmOptions o;
  o.components = k;
  o.diagonal = covariance == "diag";
  GmmPrior& p = o.prior;
  p.weight_concentration = g.attr_double("/model/prior", "weight_concentration");
  p.mean_precision = g.attr_double("/model/prior", "mean_precision");
  p.degrees_of_freedom = g.attr_double("/model/prior", "degrees_of_freedom");
  const auto ud = static_cast<std::uint64_t>(d);
  const std::vector<double>& mean = g.numbers("/model/prior/mean", {ud});
  p.mean = Eigen::Map<const Eigen::VectorXd>(mean.data(), d);
  const std::vector<double>& scale =
      g.numbers("/model/prior/scale", o.diagonal ? std::vector<std::uint64_t>{ud} : std::vector<std::uint64_t>{ud, ud});
  p.scale = o.diagonal ? Eigen::MatrixXd(Eigen::Map<const Eigen::VectorXd>(scale.data(), d).asDiagonal())
                       : Eigen::MatrixXd(Eigen::Map<const Eigen::MatrixXd>(scale.data(), d, d));
  // Files from before the coordinates were stored are in the data's own.
  if (g.find("/model/coordinates/shift") != nullptr) {
    const auto vector = [&](const char* name) {
      const std::vector<double>& v = g.numbers(name, {ud});
      return Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(v.data(), d));
    };
    o.coordinates = {vector("/model/coordinates/shift"), vector("/model/coordinates/scale")};
    if (!(o.coordinates.scale.array() > 0).all()) {
      throw Error(path + ": '/model/coordinates/scale' has values that are not > 0");
    }
  }
  o.prior = o.coordinates.to(p);
  return o;
}

void GmmModel::adopt(const io::ModelFile& file) {
  const GmmOptions saved = gmm_options_of(file);
  options_.prior = saved.prior;
  options_.coordinates = saved.coordinates;
}

}  // namespace natgrad::models
