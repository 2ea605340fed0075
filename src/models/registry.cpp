#include "natgrad/models/registry.hpp"

#include "natgrad/error.hpp"
#include "natgrad/models/gmm/family.hpp"
#include "natgrad/models/hpf/family.hpp"
#include "natgrad/models/lda/family.hpp"

namespace natgrad::models {

const std::vector<const Family*>& families() {
  // One line per family; the first is the default model.type.
  static const std::vector<const Family*> table = {
      &lda_family(),
      &gmm_family(),
      &hpf_family(),
  };
  return table;
}

const Family* find_family(const std::string& type) {
  for (const Family* f : families()) {
    if (f->type() == type) return f;
  }
  return nullptr;
}

std::string family_names() {
  std::vector<std::string> names;
  for (const Family* f : families()) names.push_back(f->type());
  return config::one_of(names).text;
}

LoadedModel load_model_file(const std::string& path) {
  LoadedModel loaded{io::read_model_file(path), nullptr};
  loaded.family = find_family(loaded.file.type);
  if (loaded.family == nullptr) {
    throw Error(path + ": '/model' type '" + loaded.file.type + "' is not a model this natgrad knows (" +
                family_names() + ")");
  }
  const Family& family = *loaded.family;
  family.check_file(loaded.file);
  const io::ModelFile& f = loaded.file;
  if (f.lambda_offset.size() == 0) return loaded;  // λ's tensors alone (a model file)
  // The block sums are kept as M changes: they differ from a fresh sum by rounding only. The blocks
  // are followed by the model's tail, if it has one (Model::global_tail_size).
  const Eigen::Index b = f.lambda_offset_block_sum.size();
  const Eigen::Map<const Eigen::MatrixXd> blocks(f.lambda_offset.data(), b, (f.lambda_offset.size() - f.lambda_tail_size) / b);
  const Eigen::VectorXd sums = blocks.rowwise().sum();
  const Eigen::VectorXd scale = blocks.cwiseAbs().rowwise().sum();
  if (!((sums - f.lambda_offset_block_sum).cwiseAbs().array() <= 1e-9 * scale.array() + 1e-300).all()) {
    throw Error(path + ": '/solver/lambda_offset_block_sum' disagrees with '/solver/lambda_offset' (a damaged file?)");
  }
  return loaded;
}

const config::ModelCatalog& catalog() {
  static const config::ModelCatalog models = [] {
    config::ModelCatalog out;
    for (const Family* f : families()) out.push_back({f->type(), f->summary(), f->options(), f->evaluate_options()});
    return out;
  }();
  return models;
}

}  // namespace natgrad::models
