#include "natgrad/solver/schedule.hpp"

#include <cmath>

namespace natgrad::solver {

double step_size(const config::SolverConfig& solver, std::int64_t t) {
  if (solver.schedule == config::Schedule::kConstant) return solver.rho;
  if (solver.schedule == config::Schedule::kAdaptive) return std::nan("");
  return std::pow(solver.tau0 + static_cast<double>(t), -solver.kappa);
}

}  // namespace natgrad::solver
