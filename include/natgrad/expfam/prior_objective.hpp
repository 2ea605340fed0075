#pragma once
/// @file A prior parameter learned by empirical Bayes: the terms f of an ELBO
/// that depend on it, and a Newton step of f, for the solver's damped step
/// (solver::Svi; a model family supplies them: models::Model::learned_objective).

#include <Eigen/Core>

namespace natgrad::expfam {

class PriorObjective {
 public:
  virtual ~PriorObjective() = default;
  /// f at the parameter's values x; −∞ where x is not allowed (a value ≤ 0 or not finite).
  virtual double objective(const Eigen::VectorXd& x) const = 0;
  /// The Newton step −H⁻¹∇f at x (f concave: an ascent direction).
  virtual Eigen::VectorXd newton_step(const Eigen::VectorXd& x) const = 0;
};

}  // namespace natgrad::expfam
