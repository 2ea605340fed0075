#include "natgrad/models/family.hpp"

#include "natgrad/error.hpp"

namespace natgrad::models {

Eigen::VectorXd Family::continue_lambda(const io::ModelFile& old, std::span<const std::int64_t> old_of_new,
                                        const Eigen::VectorXd& fresh) const {
  for (std::size_t j = 0; j < old_of_new.size(); ++j) {
    if (old_of_new[j] != static_cast<std::int64_t>(j)) {
      throw Error(old.model.file() + ": a " + type() + " model continues only on data with its columns, in its order");
    }
  }
  Eigen::VectorXd lambda = old.lambda(file_layout(old));
  if (lambda.size() != fresh.size()) {
    throw Error(old.model.file() + ": its λ has " + std::to_string(lambda.size()) + " entries, the job's model " +
                std::to_string(fresh.size()) + " (another number of components?)");
  }
  return lambda;
}

}  // namespace natgrad::models
