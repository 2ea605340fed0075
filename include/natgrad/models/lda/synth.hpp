#pragma once
/// @file Corpora drawn from LDA's generative model, for tests and benchmarks.
///
///   β_k ~ Dir(η 1_V), k = 1..K;  for each document d:
///   θ_d ~ Dir(α),  N_d ~ Poisson(mean length),  z_dn ~ Cat(θ_d),  w_dn ~ Cat(β_{z_dn}),
/// α symmetric (one value) or asymmetric (K values).
/// Every draw is keyed by (seed, topic) or (seed, document), so the corpus is
/// a function of the options alone.

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "natgrad/io/corpus.hpp"

namespace natgrad::models {

struct LdaSynthOptions {
  std::int64_t topics = 10;        ///< K ≥ 1
  std::int64_t vocab_size = 1000;  ///< V ≥ 1
  std::int64_t docs = 1000;        ///< D ≥ 1
  double doc_length = 100;         ///< mean tokens per document > 0
  std::vector<double> alpha = {0.1};  ///< one value (symmetric) or K, each > 0
  double eta = 0.01;               ///< > 0
  std::uint64_t seed = 1;
};

/// Draws a corpus (vocabulary "w0", "w1", ...) and the true topics β (K × V).
io::Corpus lda_synthesize(const LdaSynthOptions& options, Eigen::MatrixXd& topics);

}  // namespace natgrad::models
