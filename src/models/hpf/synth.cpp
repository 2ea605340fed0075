#include "natgrad/models/hpf/synth.hpp"

#include <algorithm>
#include <vector>

#include "natgrad/expfam/random.hpp"

namespace natgrad::models {

double hpf_synth_d_prime(const HpfSynthOptions& o) {
  const HpfPrior& p = o.prior;
  const double theta = p.a * p.a_prime / (p.b_prime * (p.a_prime - 1.0));
  return static_cast<double>(o.items * o.factors) * theta * p.c * p.c_prime / ((p.c_prime - 1.0) * o.counts_per_user);
}

io::Corpus hpf_synthesize(const HpfSynthOptions& o, HpfTruth& truth) {
  HpfPrior p = o.prior;
  p.d_prime = truth.d_prime = hpf_synth_d_prime(o);
  const Eigen::Index k = o.factors;
  truth.beta.resize(o.items, k);
  truth.popularity.resize(o.items);
  for (std::int64_t i = 0; i < o.items; ++i) {
    expfam::CounterRng rng(o.seed, expfam::Purpose::kSynthGlobal, static_cast<std::uint64_t>(i));
    // Gamma(shape, rate) = Gamma(shape, 1) / rate.
    const double eta = truth.popularity[i] = rng.gamma(p.c_prime) / (p.c_prime / p.d_prime);
    for (Eigen::Index f = 0; f < k; ++f) truth.beta(i, f) = rng.gamma(p.c) / eta;
  }
  const Eigen::VectorXd mass = truth.beta.colwise().sum().transpose();  // Σ_i β_ik
  std::vector<expfam::AliasTable> item_of;
  for (Eigen::Index f = 0; f < k; ++f) {
    const Eigen::VectorXd column = truth.beta.col(f);
    // A factor that every item's draw underflowed to 0 draws no counts; its table is never used.
    item_of.emplace_back(mass[f] > 0 ? std::vector<double>(column.data(), column.data() + column.size())
                                     : std::vector<double>(1, 1.0));
  }
  io::Corpus corpus;
  corpus.vocab_size = static_cast<std::int32_t>(o.items);
  // (Appending, not "i" + std::to_string(i): GCC 12 warns falsely on that, PR 105329.)
  for (std::int64_t i = 0; i < o.items; ++i) corpus.vocab.emplace_back("i").append(std::to_string(i));
  truth.theta.resize(o.users, k);
  truth.activity.resize(o.users);
  std::vector<std::int32_t> draws, ids, counts;
  for (std::int64_t u = 0; u < o.users; ++u) {
    expfam::CounterRng rng(o.seed, expfam::Purpose::kSynthDatum, static_cast<std::uint64_t>(u));
    const double xi = truth.activity[u] = rng.gamma(p.a_prime) / (p.a_prime / p.b_prime);
    draws.clear();
    for (Eigen::Index f = 0; f < k; ++f) {
      const double theta = truth.theta(u, f) = rng.gamma(p.a) / xi;
      const std::int64_t n = mass[f] > 0 ? rng.poisson(theta * mass[f]) : 0;
      for (std::int64_t j = 0; j < n; ++j) draws.push_back(item_of[static_cast<std::size_t>(f)].sample(rng));
    }
    std::sort(draws.begin(), draws.end());
    ids.clear();
    counts.clear();
    for (std::size_t j = 0; j < draws.size(); ++j) {
      if (j == 0 || draws[j] != draws[j - 1]) {
        ids.push_back(draws[j]);
        counts.push_back(0);
      }
      ++counts.back();
    }
    corpus.add_document(ids, counts, u);
    corpus.doc_names.emplace_back("u").append(std::to_string(u));
  }
  corpus.total_docs = corpus.num_docs();
  return corpus;
}

}  // namespace natgrad::models
