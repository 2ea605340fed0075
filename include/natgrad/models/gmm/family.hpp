#pragma once
/// @file The Bayesian Gaussian mixture as a model family (model.type = gmm):
/// a mixture of full or diagonal Gaussians of dense data.

#include "natgrad/models/family.hpp"

namespace natgrad::models {

/// The gmm family, for the registry.
const Family& gmm_family();

}  // namespace natgrad::models
