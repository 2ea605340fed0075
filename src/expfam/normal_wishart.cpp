#include "natgrad/expfam/normal_wishart.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <utility>

#include "natgrad/error.hpp"
#include "natgrad/expfam/special.hpp"

namespace natgrad::expfam {
namespace {

constexpr double kLogPi = 1.1447298858494001741;
constexpr double kLog2Pi = 1.8378770664093454836;
constexpr double kLog2 = 0.69314718055994530942;
constexpr double kPi = 3.14159265358979323846;
// Round-off in C − βmmᵀ or in a sum of outer products leaves a matrix asymmetric at this level;
// anything larger is a caller's bug, not rounding.
constexpr double kSymmetryTolerance = 1e-10;

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string shape(Eigen::Index rows, Eigen::Index cols) {
  return std::to_string(rows) + "x" + std::to_string(cols);
}

template <typename Derived>
void require_finite(const std::string& where, const std::string& name, const Eigen::DenseBase<Derived>& values) {
  for (Eigen::Index j = 0; j < values.cols(); ++j) {
    for (Eigen::Index i = 0; i < values.rows(); ++i) {
      if (!std::isfinite(values(i, j))) {
        // Appended piecewise: GCC 12 reports a spurious -Wrestrict for "(" + std::to_string(i).
        std::string index = std::to_string(i);
        if (values.cols() != 1) index.append(", ").append(std::to_string(j)).insert(0, 1, '(').push_back(')');
        throw Error(where + ": " + name + " entry " + index + " is " + number(values(i, j)) +
                    "; expected a finite value");
      }
    }
  }
}

void require_above(const std::string& where, const std::string& name, const Eigen::ArrayXd& values, double bound) {
  for (Eigen::Index i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i]) || values[i] <= bound) {
      throw Error(where + ": " + name + " entry " + std::to_string(i) + " is " + number(values[i]) +
                  "; expected a finite value > " + number(bound));
    }
  }
}

/// ½ (a + aᵀ), after checking that a is square and symmetric up to rounding.
Eigen::MatrixXd symmetrised(const std::string& where, const std::string& name, const Eigen::MatrixXd& a) {
  const double scale = a.cwiseAbs().maxCoeff();
  const double asymmetry = (a - a.transpose()).cwiseAbs().maxCoeff();
  if (asymmetry > kSymmetryTolerance * scale) {
    throw Error(where + ": " + name + " is not symmetric (largest |a_ij − a_ji| is " + number(asymmetry) + ")");
  }
  return 0.5 * (a + a.transpose());
}

double log_det_from_llt(const Eigen::LLT<Eigen::MatrixXd>& llt) {
  return 2.0 * llt.matrixLLT().diagonal().array().log().sum();
}

/// log Γ_D(a) = D(D−1)/4 log π + Σ_{i=1..D} log Γ(a + (1−i)/2).
double log_multigamma(double a, Eigen::Index d) {
  double sum = 0.25 * static_cast<double>(d * (d - 1)) * kLogPi;
  for (Eigen::Index i = 1; i <= d; ++i) sum += std::lgamma(a + 0.5 * static_cast<double>(1 - i));
  return sum;
}

/// Σ_{i=1..D} ψ((ν+1−i)/2), the ν-dependent part of E[log|Λ|] under W(Λ | W, ν).
double sum_digamma(double dof, Eigen::Index d) {
  double sum = 0.0;
  for (Eigen::Index i = 1; i <= d; ++i) sum += digamma(0.5 * (dof + 1.0 - static_cast<double>(i)));
  return sum;
}

/// The ν > D − 1 with g(ν) = Σ_{i=1..D} ψ((ν+1−i)/2) − D log(ν/2) = target, for target < 0.
/// g increases from −∞ (ν → D−1) to 0 (ν → ∞), so the root is unique. It is sought in the excess
/// x = ν − (D−1) > 0, which keeps precision when ν is close to D − 1, by Newton's method kept
/// inside a bracket by bisection. g is concave, so Newton steps from the left never overshoot.
double solve_dof(double target, Eigen::Index d, const std::string& where) {
  const double dd = static_cast<double>(d);
  double lo = 0.0;
  double hi = std::numeric_limits<double>::infinity();
  // Starting points from g ≈ −D(D+1)/(2ν) for large ν and g ≈ ψ(x/2) ≈ −2/x for small x.
  double x = std::max(dd * (dd + 1.0) / (-2.0 * target) - (dd - 1.0), -2.0 / target);
  for (int iteration = 0; iteration < 200; ++iteration) {
    const double dof = x + dd - 1.0;
    double value = -dd * std::log(0.5 * dof) - target;
    double slope = -dd / dof;
    double magnitude = std::abs(dd * std::log(0.5 * dof)) + std::abs(target);
    for (Eigen::Index i = 1; i <= d; ++i) {
      const double a = 0.5 * (x + dd - static_cast<double>(i));
      const double psi = digamma(a);
      value += psi;
      slope += 0.5 * trigamma(a);
      magnitude += std::abs(psi);
    }
    // Below this the sign of `value` is rounding noise: x is as good as g can tell.
    if (std::abs(value) <= 16.0 * std::numeric_limits<double>::epsilon() * magnitude) return dof;
    if (value < 0.0) {
      lo = x;
    } else {
      hi = x;
    }
    double next = x - value / slope;
    if (!(next > lo && next < hi)) next = std::isinf(hi) ? 2.0 * x : 0.5 * (lo + hi);
    if (std::abs(next - x) <= 1e-15 * x) return next + dd - 1.0;
    x = next;
  }
  throw Error(where + ": the degrees of freedom did not converge for E[log|Λ|] − log|E[Λ]| = " + number(target));
}

}  // namespace

// ----------------------------------------------------------------------------- NormalWishart

NormalWishart::NormalWishart(double beta, Eigen::VectorXd beta_mean, Eigen::MatrixXd scatter, double dof) {
  const std::string where = "NormalWishart";
  if (!std::isfinite(beta) || beta <= 0.0) {
    throw Error(where + ": beta is " + number(beta) + "; expected a finite value > 0");
  }
  if (beta_mean.size() == 0) throw Error(where + ": beta_mean is empty; expected D >= 1 entries");
  const Eigen::Index d = beta_mean.size();
  if (scatter.rows() != d || scatter.cols() != d) {
    throw Error(where + ": scatter is " + shape(scatter.rows(), scatter.cols()) + "; expected " + shape(d, d) +
                " to match beta_mean");
  }
  require_finite(where, "beta_mean", beta_mean);
  require_finite(where, "scatter", scatter);
  Eigen::VectorXd mean = beta_mean / beta;
  Eigen::MatrixXd scale_inv = scatter - beta_mean * mean.transpose();
  set_moments(beta, std::move(mean), std::move(scale_inv), dof);
}

void NormalWishart::set_moments(double beta, Eigen::VectorXd mean, Eigen::MatrixXd scale_inv, double dof) {
  const std::string where = "NormalWishart";
  if (!std::isfinite(beta) || beta <= 0.0) {
    throw Error(where + ": beta is " + number(beta) + "; expected a finite value > 0");
  }
  const Eigen::Index d = mean.size();
  if (d == 0) throw Error(where + ": the mean vector is empty; expected D >= 1 entries");
  if (scale_inv.rows() != d || scale_inv.cols() != d) {
    throw Error(where + ": scale_inv is " + shape(scale_inv.rows(), scale_inv.cols()) + "; expected " + shape(d, d) +
                " to match the mean vector");
  }
  if (!std::isfinite(dof) || dof <= static_cast<double>(d - 1)) {
    throw Error(where + ": dof is " + number(dof) + "; expected a finite value > D - 1 = " + std::to_string(d - 1));
  }
  require_finite(where, "mean", mean);
  require_finite(where, "scale_inv", scale_inv);
  scale_inv = symmetrised(where, "scale_inv W^{-1} (= scatter - beta m m^T)", scale_inv);
  scale_inv_llt_.compute(scale_inv);
  if (scale_inv_llt_.info() != Eigen::Success) {
    throw Error(where + ": scale_inv W^{-1} (= scatter - beta m m^T) is not positive definite");
  }
  beta_ = beta;
  mean_ = std::move(mean);
  scale_inv_ = std::move(scale_inv);
  dof_ = dof;
  log_det_scale_inv_ = log_det_from_llt(scale_inv_llt_);
}

NormalWishart NormalWishart::from_moments(double beta, const Eigen::VectorXd& mean, const Eigen::MatrixXd& scale_inv,
                                          double dof) {
  NormalWishart out;
  out.set_moments(beta, mean, scale_inv, dof);
  return out;
}

NormalWishart NormalWishart::from_natural(const NormalWishartNatural& eta) {
  const std::string where = "NormalWishart::from_natural";
  const Eigen::Index d = eta.eta1.size();
  if (eta.eta3.rows() != d || eta.eta3.cols() != d) {
    throw Error(where + ": eta3 is " + shape(eta.eta3.rows(), eta.eta3.cols()) + "; expected " + shape(d, d) +
                " to match eta1");
  }
  if (!std::isfinite(eta.eta2) || eta.eta2 >= 0.0) {
    throw Error(where + ": eta2 = -beta/2 is " + number(eta.eta2) + "; expected a finite value < 0");
  }
  if (!std::isfinite(eta.eta4) || eta.eta4 <= -0.5) {
    throw Error(where + ": eta4 = (dof - D)/2 is " + number(eta.eta4) + "; expected a finite value > -1/2");
  }
  return NormalWishart(-2.0 * eta.eta2, eta.eta1, -2.0 * eta.eta3, 2.0 * eta.eta4 + static_cast<double>(d));
}

NormalWishart NormalWishart::from_mean(const NormalWishartMean& mu) {
  const std::string where = "NormalWishart::from_mean";
  const Eigen::Index d = mu.lambda_mu.size();
  if (d == 0) throw Error(where + ": lambda_mu is empty; expected D >= 1 entries");
  if (mu.lambda.rows() != d || mu.lambda.cols() != d) {
    throw Error(where + ": lambda is " + shape(mu.lambda.rows(), mu.lambda.cols()) + "; expected " + shape(d, d) +
                " to match lambda_mu");
  }
  require_finite(where, "lambda_mu", mu.lambda_mu);
  require_finite(where, "lambda", mu.lambda);
  if (!std::isfinite(mu.mu_lambda_mu)) throw Error(where + ": mu_lambda_mu is " + number(mu.mu_lambda_mu));
  if (!std::isfinite(mu.log_det)) throw Error(where + ": log_det is " + number(mu.log_det));

  const Eigen::LLT<Eigen::MatrixXd> llt(symmetrised(where, "lambda", mu.lambda));
  if (llt.info() != Eigen::Success) throw Error(where + ": lambda (E[Λ]) is not positive definite");
  const Eigen::VectorXd mean = llt.solve(mu.lambda_mu);
  // E[μᵀΛμ] − E[Λμ]ᵀ E[Λ]^{-1} E[Λμ] = D/β.
  const double quadratic = mu.lambda_mu.dot(mean);
  const double spread = mu.mu_lambda_mu - quadratic;
  if (!(spread > 0.0)) {
    throw Error(where + ": mu_lambda_mu is " + number(mu.mu_lambda_mu) +
                "; expected > E[Λμ]ᵀ E[Λ]^{-1} E[Λμ] = " + number(quadratic));
  }
  // E[log|Λ|] − log|E[Λ]| = Σ ψ((ν+1−i)/2) − D log(ν/2), negative by Jensen's inequality.
  const double log_det_lambda = log_det_from_llt(llt);
  const double gap = mu.log_det - log_det_lambda;
  if (!(gap < 0.0)) {
    throw Error(where + ": log_det is " + number(mu.log_det) + "; expected < log|E[Λ]| = " + number(log_det_lambda));
  }
  const double dof = solve_dof(gap, d, where);
  const Eigen::MatrixXd scale_inv = dof * llt.solve(Eigen::MatrixXd::Identity(d, d));
  return from_moments(static_cast<double>(d) / spread, mean, 0.5 * (scale_inv + scale_inv.transpose()), dof);
}

Eigen::MatrixXd NormalWishart::scale() const {
  const Eigen::MatrixXd w = scale_inv_llt_.solve(Eigen::MatrixXd::Identity(dim(), dim()));
  return 0.5 * (w + w.transpose());
}

Eigen::MatrixXd NormalWishart::scatter() const { return scale_inv_ + beta_ * mean_ * mean_.transpose(); }

NormalWishartNatural NormalWishart::natural() const {
  NormalWishartNatural eta;
  eta.eta1 = beta_ * mean_;
  eta.eta2 = -0.5 * beta_;
  eta.eta3 = -0.5 * scatter();
  eta.eta4 = 0.5 * (dof_ - static_cast<double>(dim()));
  return eta;
}

double NormalWishart::log_partition() const {
  const double d = static_cast<double>(dim());
  return -0.5 * d * std::log(beta_) + 0.5 * d * kLog2Pi + 0.5 * dof_ * d * kLog2 - 0.5 * dof_ * log_det_scale_inv_ +
         log_multigamma(0.5 * dof_, dim());
}

double NormalWishart::expected_log_det() const {
  return sum_digamma(dof_, dim()) + static_cast<double>(dim()) * kLog2 - log_det_scale_inv_;
}

NormalWishartMean NormalWishart::mean() const {
  const Eigen::VectorXd w_mean = scale_inv_llt_.solve(mean_);
  NormalWishartMean mu;
  mu.lambda_mu = dof_ * w_mean;
  mu.mu_lambda_mu = static_cast<double>(dim()) / beta_ + dof_ * mean_.dot(w_mean);
  mu.lambda = dof_ * scale();
  mu.log_det = expected_log_det();
  return mu;
}

double NormalWishart::kl(const NormalWishart& other) const {
  if (other.dim() != dim()) {
    throw Error("NormalWishart KL: dimensions differ (" + std::to_string(dim()) + " and " +
                std::to_string(other.dim()) + ")");
  }
  const NormalWishartNatural eta = natural();
  const NormalWishartNatural eta_other = other.natural();
  const NormalWishartMean mu = mean();
  return other.log_partition() - log_partition() + (eta.eta1 - eta_other.eta1).dot(mu.lambda_mu) +
         (eta.eta2 - eta_other.eta2) * mu.mu_lambda_mu + (eta.eta3 - eta_other.eta3).cwiseProduct(mu.lambda).sum() +
         (eta.eta4 - eta_other.eta4) * mu.log_det;
}

Eigen::ArrayXd NormalWishart::scaled_squared_distances(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
  if (x.rows() != dim()) {
    throw Error("NormalWishart: the data have " + std::to_string(x.rows()) + " rows; expected D = " +
                std::to_string(dim()));
  }
  // (x−m)ᵀ W (x−m) = |L^{-1}(x−m)|² with W^{-1} = L Lᵀ: one triangular solve for all columns.
  Eigen::MatrixXd whitened = x.colwise() - mean_;
  scale_inv_llt_.matrixL().solveInPlace(whitened);
  return whitened.colwise().squaredNorm().transpose().array();
}

Eigen::ArrayXd NormalWishart::expected_log_normal(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
  const double d = static_cast<double>(dim());
  const double constant = 0.5 * expected_log_det() - 0.5 * d * kLog2Pi - 0.5 * d / beta_;
  return constant - 0.5 * dof_ * scaled_squared_distances(x);
}

Eigen::ArrayXd NormalWishart::log_predictive(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
  const double d = static_cast<double>(dim());
  const double student_dof = dof_ + 1.0 - d;
  const double ratio = beta_ / (1.0 + beta_);
  // With L = ν' r W, r = β/(1+β): ½ log|L| − (D/2) log(ν'π) = (D/2) log(r/π) − ½ log|W^{-1}|, and
  // Δ²/ν' = r (x−m)ᵀW(x−m); written so, nothing degrades as ν' → 0.
  const double constant = std::lgamma(0.5 * (dof_ + 1.0)) - std::lgamma(0.5 * student_dof) +
                          0.5 * d * std::log(ratio / kPi) - 0.5 * log_det_scale_inv_;
  return constant - 0.5 * (dof_ + 1.0) * (ratio * scaled_squared_distances(x)).log1p();
}

// ----------------------------------------------------------------------------- NormalGamma

NormalGamma::NormalGamma(Eigen::ArrayXd beta, Eigen::ArrayXd beta_mean, Eigen::ArrayXd scatter, Eigen::ArrayXd dof) {
  const std::string where = "NormalGamma";
  const Eigen::Index d = beta.size();
  if (d == 0) throw Error(where + ": beta is empty; expected D >= 1 entries");
  if (beta_mean.size() != d || scatter.size() != d || dof.size() != d) {
    throw Error(where + ": sizes of beta, beta_mean, scatter, dof are " + std::to_string(d) + ", " +
                std::to_string(beta_mean.size()) + ", " + std::to_string(scatter.size()) + ", " +
                std::to_string(dof.size()) + "; expected all equal");
  }
  require_above(where, "beta", beta, 0.0);
  require_finite(where, "beta_mean", beta_mean);
  require_finite(where, "scatter", scatter);
  Eigen::ArrayXd mean = beta_mean / beta;
  Eigen::ArrayXd scale_inv = scatter - beta_mean * mean;
  set_moments(std::move(beta), std::move(mean), std::move(scale_inv), std::move(dof));
}

void NormalGamma::set_moments(Eigen::ArrayXd beta, Eigen::ArrayXd mean, Eigen::ArrayXd scale_inv,
                              Eigen::ArrayXd dof) {
  const std::string where = "NormalGamma";
  const Eigen::Index d = beta.size();
  if (d == 0) throw Error(where + ": beta is empty; expected D >= 1 entries");
  if (mean.size() != d || scale_inv.size() != d || dof.size() != d) {
    throw Error(where + ": sizes of beta, mean, scale_inv, dof are " + std::to_string(d) + ", " +
                std::to_string(mean.size()) + ", " + std::to_string(scale_inv.size()) + ", " +
                std::to_string(dof.size()) + "; expected all equal");
  }
  require_above(where, "beta", beta, 0.0);
  require_above(where, "dof", dof, 0.0);
  require_finite(where, "mean", mean);
  require_above(where, "scale_inv W^{-1} (= scatter - beta mean^2)", scale_inv, 0.0);
  beta_ = std::move(beta);
  mean_ = std::move(mean);
  scale_inv_ = std::move(scale_inv);
  dof_ = std::move(dof);
}

NormalGamma NormalGamma::from_moments(const Eigen::ArrayXd& beta, const Eigen::ArrayXd& mean,
                                      const Eigen::ArrayXd& variance_scale, const Eigen::ArrayXd& dof) {
  NormalGamma out;
  out.set_moments(beta, mean, variance_scale, dof);
  return out;
}

NormalGamma NormalGamma::from_natural(const NormalGammaNatural& eta) {
  const std::string where = "NormalGamma::from_natural";
  const Eigen::Index d = eta.eta1.size();
  if (eta.eta2.size() != d || eta.eta3.size() != d || eta.eta4.size() != d) {
    throw Error(where + ": sizes of eta1..eta4 are " + std::to_string(d) + ", " + std::to_string(eta.eta2.size()) +
                ", " + std::to_string(eta.eta3.size()) + ", " + std::to_string(eta.eta4.size()) +
                "; expected all equal");
  }
  require_above(where, "-eta2 = beta/2", -eta.eta2, 0.0);
  require_above(where, "eta4 = (dof - 1)/2", eta.eta4, -0.5);
  return NormalGamma(-2.0 * eta.eta2, eta.eta1, -2.0 * eta.eta3, 2.0 * eta.eta4 + 1.0);
}

NormalGamma NormalGamma::from_mean(const NormalGammaMean& mu) {
  const std::string where = "NormalGamma::from_mean";
  const Eigen::Index d = mu.tau.size();
  if (mu.tau_mu.size() != d || mu.tau_mu2.size() != d || mu.log_tau.size() != d) {
    throw Error(where + ": sizes of tau_mu, tau_mu2, tau, log_tau are " + std::to_string(mu.tau_mu.size()) + ", " +
                std::to_string(mu.tau_mu2.size()) + ", " + std::to_string(d) + ", " +
                std::to_string(mu.log_tau.size()) + "; expected all equal");
  }
  require_above(where, "tau", mu.tau, 0.0);
  require_finite(where, "tau_mu", mu.tau_mu);
  require_finite(where, "tau_mu2", mu.tau_mu2);
  require_finite(where, "log_tau", mu.log_tau);
  Eigen::ArrayXd mean = mu.tau_mu / mu.tau;
  Eigen::ArrayXd beta(d);
  Eigen::ArrayXd dof(d);
  for (Eigen::Index i = 0; i < d; ++i) {
    // E[τμ²] − E[τμ]²/E[τ] = 1/β.
    const double spread = mu.tau_mu2[i] - mu.tau_mu[i] * mean[i];
    if (!(spread > 0.0)) {
      throw Error(where + ": tau_mu2 entry " + std::to_string(i) + " is " + number(mu.tau_mu2[i]) +
                  "; expected > tau_mu^2/tau = " + number(mu.tau_mu[i] * mean[i]));
    }
    beta[i] = 1.0 / spread;
    const double gap = mu.log_tau[i] - std::log(mu.tau[i]);
    if (!(gap < 0.0)) {
      throw Error(where + ": log_tau entry " + std::to_string(i) + " is " + number(mu.log_tau[i]) +
                  "; expected < log(tau) = " + number(std::log(mu.tau[i])));
    }
    dof[i] = solve_dof(gap, 1, where);
  }
  Eigen::ArrayXd scale_inv = dof / mu.tau;
  return from_moments(beta, mean, scale_inv, dof);
}

NormalGammaNatural NormalGamma::natural() const {
  NormalGammaNatural eta;
  eta.eta1 = beta_ * mean_;
  eta.eta2 = -0.5 * beta_;
  eta.eta3 = -0.5 * scatter();
  eta.eta4 = 0.5 * (dof_ - 1.0);
  return eta;
}

double NormalGamma::log_partition() const {
  const Eigen::ArrayXd half_dof = 0.5 * dof_;
  const Eigen::ArrayXd log_gamma = half_dof.unaryExpr([](double a) { return std::lgamma(a); });
  return (-0.5 * beta_.log() + 0.5 * kLog2Pi + half_dof * kLog2 - half_dof * scale_inv_.log() + log_gamma).sum();
}

NormalGammaMean NormalGamma::mean() const {
  NormalGammaMean mu;
  mu.tau = dof_ / scale_inv_;
  mu.tau_mu = mu.tau * mean_;
  mu.tau_mu2 = 1.0 / beta_ + mu.tau_mu * mean_;
  mu.log_tau = (0.5 * dof_).unaryExpr([](double a) { return digamma(a); }) + kLog2 - scale_inv_.log();
  return mu;
}

double NormalGamma::kl(const NormalGamma& other) const {
  if (other.dim() != dim()) {
    throw Error("NormalGamma KL: dimensions differ (" + std::to_string(dim()) + " and " + std::to_string(other.dim()) +
                ")");
  }
  const NormalGammaNatural eta = natural();
  const NormalGammaNatural eta_other = other.natural();
  const NormalGammaMean mu = mean();
  return other.log_partition() - log_partition() +
         ((eta.eta1 - eta_other.eta1) * mu.tau_mu + (eta.eta2 - eta_other.eta2) * mu.tau_mu2 +
          (eta.eta3 - eta_other.eta3) * mu.tau + (eta.eta4 - eta_other.eta4) * mu.log_tau)
             .sum();
}

Eigen::ArrayXd NormalGamma::expected_log_normal(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
  if (x.rows() != dim()) {
    throw Error("NormalGamma: the data have " + std::to_string(x.rows()) + " rows; expected D = " +
                std::to_string(dim()));
  }
  const NormalGammaMean mu = mean();
  const double constant = (0.5 * mu.log_tau - 0.5 * kLog2Pi - 0.5 / beta_).sum();
  const Eigen::ArrayXXd squared = (x.array().colwise() - mean_).square();
  return constant - 0.5 * (squared.colwise() * mu.tau).colwise().sum().transpose();
}

Eigen::ArrayXd NormalGamma::log_predictive(const Eigen::Ref<const Eigen::MatrixXd>& x) const {
  if (x.rows() != dim()) {
    throw Error("NormalGamma: the data have " + std::to_string(x.rows()) + " rows; expected D = " +
                std::to_string(dim()));
  }
  // Per dimension the D = 1 case of NormalWishart::log_predictive, with ν' = ν.
  const Eigen::ArrayXd ratio = beta_ / (1.0 + beta_);
  const Eigen::ArrayXd lgamma_top = (0.5 * (dof_ + 1.0)).unaryExpr([](double a) { return std::lgamma(a); });
  const Eigen::ArrayXd lgamma_bottom = (0.5 * dof_).unaryExpr([](double a) { return std::lgamma(a); });
  const double constant = (lgamma_top - lgamma_bottom + 0.5 * (ratio / kPi).log() - 0.5 * scale_inv_.log()).sum();
  const Eigen::ArrayXXd squared = (x.array().colwise() - mean_).square();
  const Eigen::ArrayXXd log_terms = (squared.colwise() * (ratio / scale_inv_)).log1p();
  return constant - (log_terms.colwise() * (0.5 * (dof_ + 1.0))).colwise().sum().transpose();
}

}  // namespace natgrad::expfam
