#pragma once
/// @file Latent Dirichlet allocation as a model family (model.type = lda):
/// topics of a corpus.

#include "natgrad/models/family.hpp"

namespace natgrad::models {

/// The lda family, for the registry.
const Family& lda_family();

}  // namespace natgrad::models
