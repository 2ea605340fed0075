#include "natgrad/expfam/dirichlet.hpp"

#include <cmath>
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

double Dirichlet::kl(const Dirichlet& other) const {
  if (other.alpha_.size() != alpha_.size()) {
    throw Error("Dirichlet KL: sizes differ (" + std::to_string(alpha_.size()) + " and " +
                std::to_string(other.alpha_.size()) + ")");
  }
  return other.log_partition() - log_partition() + ((alpha_ - other.alpha_) * mean()).sum();
}

}  // namespace natgrad::expfam
