#pragma once
/// @file Hierarchical Poisson factorization as a model family (model.type = hpf):
/// factors of users × items counts, for recommendations.

#include "natgrad/models/family.hpp"

namespace natgrad::models {

/// The hpf family, for the registry.
const Family& hpf_family();

}  // namespace natgrad::models
