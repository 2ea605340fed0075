#include "natgrad/expfam/dirichlet.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "natgrad/error.hpp"
#include "natgrad/expfam/special.hpp"

namespace natgrad::expfam {

void dirichlet_expected_log(const Eigen::Ref<const Eigen::ArrayXd>& alpha,
                            Eigen::Ref<Eigen::ArrayXd> out) {
  const double psi_total = digamma(alpha.sum());
  digamma(alpha, out);
  out -= psi_total;
}

Dirichlet::Dirichlet(Eigen::ArrayXd alpha) : alpha_(std::move(alpha)) {
  if (alpha_.size() == 0) throw Error("Dirichlet: the parameter vector is empty");
  for (Eigen::Index i = 0; i < alpha_.size(); ++i) {
    if (!std::isfinite(alpha_[i]) || alpha_[i] <= 0.0) {
      throw Error("Dirichlet: parameter " + std::to_string(i) + " is " + std::to_string(alpha_[i]) +
                  "; expected a finite value > 0");
    }
  }
}

double Dirichlet::log_partition() const {
  double sum_lgamma = 0.0;
  for (const double a : alpha_) sum_lgamma += std::lgamma(a);
  return sum_lgamma - std::lgamma(alpha_.sum());
}

Eigen::ArrayXd Dirichlet::mean() const {
  Eigen::ArrayXd out(alpha_.size());
  dirichlet_expected_log(alpha_, out);
  return out;
}

Eigen::MatrixXd Dirichlet::fisher() const {
  const Eigen::Index n = alpha_.size();
  Eigen::MatrixXd f = Eigen::MatrixXd::Constant(n, n, -trigamma(alpha_.sum()));
  for (Eigen::Index i = 0; i < n; ++i) f(i, i) += trigamma(alpha_[i]);
  return f;
}

DirichletPrior DirichletPrior::asymmetric(Eigen::VectorXd sum_log, double samples) {
  const double d = static_cast<double>(sum_log.size());
  return {std::move(sum_log), samples, d, false};
}

DirichletPrior DirichletPrior::symmetric(double sum_log, double samples, double dimension) {
  return {Eigen::VectorXd::Constant(1, sum_log), samples, dimension, true};
}

double DirichletPrior::objective(const Eigen::VectorXd& alpha) const {
  if (!(alpha.array() > 0).all() || !alpha.allFinite()) return -std::numeric_limits<double>::infinity();
  if (symmetric_) {
    const double a = alpha[0];
    return samples_ * (std::lgamma(dimension_ * a) - dimension_ * std::lgamma(a)) + (a - 1.0) * sum_log_[0];
  }
  double sum = 0.0;
  for (Eigen::Index i = 0; i < alpha.size(); ++i) sum += (alpha[i] - 1.0) * sum_log_[i] - samples_ * std::lgamma(alpha[i]);
  return sum + samples_ * std::lgamma(alpha.sum());
}

Eigen::VectorXd DirichletPrior::gradient(const Eigen::VectorXd& alpha) const {
  if (symmetric_) {
    const double a = alpha[0];
    return Eigen::VectorXd::Constant(1, samples_ * dimension_ * (digamma(dimension_ * a) - digamma(a)) + sum_log_[0]);
  }
  const double psi_total = digamma(alpha.sum());
  Eigen::VectorXd g(alpha.size());
  for (Eigen::Index i = 0; i < alpha.size(); ++i) g[i] = samples_ * (psi_total - digamma(alpha[i])) + sum_log_[i];
  return g;
}

Eigen::VectorXd DirichletPrior::newton_step(const Eigen::VectorXd& alpha) const {
  const Eigen::VectorXd g = gradient(alpha);
  if (symmetric_) {
    const double a = alpha[0];
    const double h = samples_ * dimension_ * (dimension_ * trigamma(dimension_ * a) - trigamma(a));
    return Eigen::VectorXd::Constant(1, -g[0] / h);
  }
  Eigen::VectorXd q(alpha.size());
  for (Eigen::Index i = 0; i < alpha.size(); ++i) q[i] = -samples_ * trigamma(alpha[i]);
  const double z = samples_ * trigamma(alpha.sum());
  const double b = (g.array() / q.array()).sum() / (1.0 / z + q.array().inverse().sum());
  return -((g.array() - b) / q.array()).matrix();
}

double Dirichlet::kl(const Dirichlet& other) const {
  if (other.alpha_.size() != alpha_.size()) {
    throw Error("Dirichlet KL: sizes differ (" + std::to_string(alpha_.size()) + " and " +
                std::to_string(other.alpha_.size()) + ")");
  }
  return other.log_partition() - log_partition() + ((alpha_ - other.alpha_) * mean()).sum();
}

}  // namespace natgrad::expfam
