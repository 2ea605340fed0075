#pragma once
/// @file The model families this build knows, by type name
/// (src/models/registry.cpp: one line per family).

#include <string>
#include <vector>

#include "natgrad/config/config.hpp"
#include "natgrad/models/family.hpp"

namespace natgrad::models {

/// Every registered family, in the registry's order (the first is the default model.type).
const std::vector<const Family*>& families();

/// The family of type `type`, or null.
const Family* find_family(const std::string& type);

/// The type names, as messages list them: "lda or gmm".
std::string family_names();

/// A model file read and checked, with its family.
struct LoadedModel {
  io::ModelFile file;
  const Family* family = nullptr;
};

/// Reads a model file or checkpoint (io::read_model_file) and has its family
/// check it; the two copies of λ a checkpoint holds are cross-checked: λ's
/// tensors against η + a · M, and the block sums kept with M against M's own.
/// One process. @throws natgrad::Error naming the file: unreadable, malformed,
/// inconsistent, or of a type this build does not know.
LoadedModel load_model_file(const std::string& path);

/// The families' options, for parsing and checking fit jobs.
const config::ModelCatalog& catalog();

}  // namespace natgrad::models
