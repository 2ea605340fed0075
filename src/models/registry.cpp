#include "natgrad/models/registry.hpp"

#include "natgrad/error.hpp"
#include "natgrad/models/gmm/family.hpp"
#include "natgrad/models/lda/family.hpp"

namespace natgrad::models {

const std::vector<const Family*>& families() {
  // One line per family; the first is the default model.type.
  static const std::vector<const Family*> table = {
      &lda_family(),
      &gmm_family(),
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
  loaded.family->check_file(loaded.file);
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
