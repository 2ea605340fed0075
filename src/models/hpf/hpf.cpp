#include "natgrad/models/hpf/hpf.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "natgrad/error.hpp"
#include "natgrad/expfam/gamma.hpp"
#include "natgrad/expfam/random.hpp"
#include "natgrad/expfam/special.hpp"
#include "parallel.hpp"

namespace natgrad::models {

namespace {

// The initial λˢ_ik are c times a uniform draw from 1 ± this.
constexpr double kInitSpread = 0.2;
// Items per chunk of the pass over all items: chunks, not items, go to threads,
// and their partial sums B_k are added in chunk order.
constexpr Eigen::Index kItemChunk = 512;

using detail::for_each_parallel;

double popularity_shape(const HpfPrior& p, Eigen::Index k) { return p.c_prime + static_cast<double>(k) * p.c; }
double activity_shape(const HpfPrior& p, Eigen::Index k) { return p.a_prime + static_cast<double>(k) * p.a; }

// log Poisson(y | mu).
double log_poisson(double y, double mu) { return y * std::log(mu) - mu - std::lgamma(y + 1.0); }

}  // namespace

io::Layout hpf_layout(Eigen::Index factors, Eigen::Index items) {
  const Eigen::Index block = factors + 1;
  return {{{"shape", {items, factors}, 0, {block, 1}},
           {"rate_item", {items}, factors, {block}},
           {"rate_shared", {factors}, items * block, {1}}},
          items * block + factors};
}

void hpf_items(const GlobalParams& lambda, const HpfPrior& prior, int threads, HpfItems& out) {
  const Eigen::Index k = lambda.tail_size();
  const Eigen::Index items = lambda.num_blocks();
  out.factors = k;
  out.items = items;
  out.beta_total.resize(items);
  out.popularity.resize(items);
  const Eigen::ArrayXd shared = lambda.tail().array();
  const double tau0 = prior.c_prime / prior.d_prime;
  const double eta_shape = popularity_shape(prior, k);
  const Eigen::Index chunks = (items + kItemChunk - 1) / kItemChunk;
  Eigen::MatrixXd partial = Eigen::MatrixXd::Zero(k, chunks);
  for_each_parallel(chunks, threads, [&](std::int64_t chunk, std::size_t) {
    Eigen::ArrayXd block(k + 1);
    Eigen::ArrayXd beta(k);
    auto sum = partial.col(chunk).array();
    const Eigen::Index end = std::min(items, (chunk + 1) * kItemChunk);
    for (Eigen::Index i = chunk * kItemChunk; i < end; ++i) {
      if (i + 1 < end) lambda.prefetch_block(i + 1);
      block = lambda.block(i).array();
      // E[β_ik] = λˢ_ik / (h_i + g_k).
      beta = block.head(k) / (block[k] + shared);
      sum += beta;
      out.beta_total[i] = beta.sum();
      out.popularity[i] = eta_shape / (tau0 + out.beta_total[i]);
    }
  });
  out.beta_sum = partial.rowwise().sum();
}

void hpf_set_columns(const GlobalParams& lambda, std::span<const std::int32_t> ids, HpfItems& out) {
  const Eigen::Index k = out.factors;
  const Eigen::ArrayXd shared = lambda.tail().array();
  for (std::size_t j = 0; j < ids.size(); ++j) {
    if (j + 1 < ids.size()) lambda.prefetch_block(ids[j + 1]);
    const auto block = lambda.block(ids[j]);
    auto column = out.exp_elog.col(ids[j]).array();
    column = block.head(k).array();
    // exp(ψ(λˢ) − log λʳ): E[log β] ≥ ψ(c) − log λʳ, far from underflow in double.
    expfam::exp_digamma(column, column);
    column /= block[k] + shared;
  }
}

Eigen::MatrixXd hpf_expected_beta(const GlobalParams& lambda) {
  const Eigen::Index k = lambda.tail_size();
  const Eigen::ArrayXd shared = lambda.tail().array();
  Eigen::MatrixXd out(k, lambda.num_blocks());
  for (Eigen::Index i = 0; i < out.cols(); ++i) {
    const auto block = lambda.block(i);
    out.col(i).array() = block.head(k).array() / (block[k] + shared);
  }
  return out;
}

void hpf_local_step(const HpfItems& beta, std::span<const std::int32_t> items, std::span<const std::int32_t> counts,
                    const HpfOptions& options, HpfWorkspace& ws) {
  const Eigen::Index k = beta.factors;
  const auto n = static_cast<Eigen::Index>(items.size());
  const HpfPrior& p = options.prior;
  ws.beta_u.resize(k, n);
  ws.counts.resize(n);
  ws.phinorm.resize(n);
  ws.weights.resize(n);
  ws.t.resize(k);
  ws.rate.resize(k);
  for (Eigen::Index j = 0; j < n; ++j) {
    ws.beta_u.col(j) = beta.exp_elog.col(items[static_cast<std::size_t>(j)]);
    ws.counts[j] = counts[static_cast<std::size_t>(j)];
  }
  const double xi_shape = activity_shape(p, k);
  double expected_xi = p.b_prime;  // the prior mean of ξ_u
  ws.exp_theta.setOnes(k);
  ws.shape.setConstant(k, p.a);
  // φ_ui ∝ e ∘ β̃_i: its normaliser, and t_k = Σ_i β̃_ik y_ui / phinorm_i.
  const auto pass = [&] {
    ws.phinorm.matrix().noalias() = ws.beta_u.transpose() * ws.exp_theta.matrix();
    ws.weights = ws.counts / ws.phinorm;
    ws.t.matrix().noalias() = ws.beta_u * ws.weights.matrix();
  };
  pass();
  for (int it = 0; it < options.local_max_iters; ++it) {
    double change = 0.0;
    for (Eigen::Index i = 0; i < k; ++i) {
      const double next = p.a + ws.exp_theta[i] * ws.t[i];
      change += std::abs(next - ws.shape[i]);
      ws.shape[i] = next;
    }
    ws.rate = expected_xi + beta.beta_sum.array();
    ws.activity_rate = p.a_prime / p.b_prime + (ws.shape / ws.rate).sum();
    expected_xi = xi_shape / ws.activity_rate;
    // e ∝ exp(E[log θ_uk]) = exp(ψ(γˢ_uk)) / γʳ_uk, scaled to a largest entry of 1:
    // φ is normalised over k, so nothing else changes.
    expfam::exp_digamma(ws.shape, ws.exp_theta);
    ws.exp_theta /= ws.rate;
    ws.log_scale = ws.exp_theta.maxCoeff();
    ws.exp_theta /= ws.log_scale;
    pass();
    ++ws.iterations;
    if (change / static_cast<double>(k) < options.local_tol) break;
  }
  ws.log_scale = std::log(ws.log_scale);
}

double hpf_elbo_terms(std::span<const std::int32_t> counts, const HpfItems& beta, const HpfOptions& options,
                      const HpfWorkspace& ws) {
  const HpfPrior& p = options.prior;
  const Eigen::Index k = beta.factors;
  // Σ_i y_ui log Σ_k exp(E[log θ_uk] + E[log β_ik]) = Σ_i y_ui (log phinorm_i + m).
  double sum = 0.0;
  for (std::size_t j = 0; j < counts.size(); ++j) {
    const double y = counts[j];
    sum += y * (std::log(ws.phinorm[static_cast<Eigen::Index>(j)]) + ws.log_scale) - std::lgamma(y + 1.0);
  }
  const Eigen::ArrayXd theta = ws.shape / ws.rate;
  Eigen::ArrayXd elog_theta(k);
  expfam::digamma(ws.shape, elog_theta);
  elog_theta -= ws.rate.log();
  sum -= (theta * beta.beta_sum.array()).sum();
  const expfam::Gamma xi(activity_shape(p, k), ws.activity_rate);
  for (Eigen::Index i = 0; i < k; ++i) {
    sum += expfam::gamma_expected_log_density(p.a, xi.expected_log(), xi.expected(), elog_theta[i], theta[i]) +
           expfam::Gamma(ws.shape[i], ws.rate[i]).entropy();
  }
  const double rate0 = p.a_prime / p.b_prime;
  return sum + expfam::gamma_expected_log_density(p.a_prime, std::log(rate0), rate0, xi.expected_log(), xi.expected()) +
         xi.entropy();
}

double hpf_expected_count(const GlobalParams& lambda, Eigen::Index item, const Eigen::ArrayXd& expected_theta) {
  const Eigen::Index k = expected_theta.size();
  const auto block = lambda.block(item);
  return (expected_theta * block.head(k).array() / (block[k] + lambda.tail().array())).sum();
}

namespace {

// The top n of `scores` (one per item) among the items not in the sorted
// `exclude`, best first, ties by id: one pass keeping the n best in a heap.
void top_of(const float* scores, Eigen::Index items, std::span<const std::int32_t> exclude, std::int64_t n,
            std::vector<std::int32_t>& top) {
  top.clear();
  if (n <= 0) return;
  const auto better = [&](std::int32_t a, std::int32_t b) {
    return scores[a] != scores[b] ? scores[a] > scores[b] : a < b;
  };
  // A heap whose front is the worst of the n best so far.
  std::size_t e = 0;
  for (std::int32_t i = 0; i < items; ++i) {
    while (e < exclude.size() && exclude[e] < i) ++e;
    if (e < exclude.size() && exclude[e] == i) continue;
    if (static_cast<std::int64_t>(top.size()) < n) {
      top.push_back(i);
      std::push_heap(top.begin(), top.end(), better);
    } else if (better(i, top.front())) {
      std::pop_heap(top.begin(), top.end(), better);
      top.back() = i;
      std::push_heap(top.begin(), top.end(), better);
    }
  }
  std::sort_heap(top.begin(), top.end(), better);
}

}  // namespace

void hpf_rank(const Eigen::MatrixXf& ranking_beta, const Eigen::MatrixXf& theta,
              const std::vector<std::span<const std::int32_t>>& exclude, std::int64_t n, int threads,
              std::vector<std::vector<std::int32_t>>& top) {
  // Chunks of users: I × chunk scores (about 16 MB) from one matrix product each,
  // wide enough that packing E[β] for the product costs little beside it.
  const Eigen::Index users = theta.cols();
  const Eigen::Index items = ranking_beta.cols();
  const Eigen::Index kUsers = std::clamp<Eigen::Index>((Eigen::Index{1} << 22) / std::max<Eigen::Index>(items, 1), 32, 1024);
  top.resize(static_cast<std::size_t>(users));
  const Eigen::Index chunks = (users + kUsers - 1) / kUsers;
  for_each_parallel(chunks, threads, [&](std::int64_t chunk, std::size_t) {
    const Eigen::Index first = chunk * kUsers;
    const Eigen::Index m = std::min(kUsers, users - first);
    const Eigen::MatrixXf scores = ranking_beta.transpose() * theta.middleCols(first, m);
    for (Eigen::Index u = 0; u < m; ++u) {
      top_of(scores.col(u).data(), items, exclude[static_cast<std::size_t>(first + u)], n,
             top[static_cast<std::size_t>(first + u)]);
    }
  });
}

HpfScores hpf_heldout_sums(const HpfItems& beta, const GlobalParams& lambda, const Eigen::MatrixXf& ranking_beta,
                           const io::Corpus& train, const io::Corpus& heldout, const HpfOptions& options,
                           std::vector<HpfWorkspace>& ws) {
  const std::int64_t users = train.total_docs;
  const std::int64_t stride = options.ranking_users > 0
                                  ? std::max<std::int64_t>(1, (users + options.ranking_users - 1) / options.ranking_users)
                                  : 1;
  const Eigen::Index k = beta.factors;
  const auto k_top = options.top_k;
  // The users of `heldout` with held-out entries, and which of them are ranked.
  std::vector<std::int64_t> scored, ranked;
  for (std::int64_t d = 0; d < heldout.num_docs(); ++d) {
    if (heldout.doc_words(d).empty()) continue;
    scored.push_back(d);
    if ((heldout.first_doc + d) % stride == 0) ranked.push_back(d);
  }
  // Each user's θ from its training entries; the log-likelihood of its held-out entries.
  Eigen::MatrixXf theta_ranked(k, static_cast<Eigen::Index>(ranked.size()));
  std::vector<double> loglik(scored.size(), 0.0);
  const auto n_scored = static_cast<std::int64_t>(scored.size());
  for_each_parallel(n_scored, static_cast<int>(ws.size()), [&](std::int64_t j, std::size_t thread) {
    const std::int64_t d = scored[static_cast<std::size_t>(j)];
    HpfWorkspace& w = ws[thread];
    hpf_local_step(beta, train.doc_words(d), train.doc_counts(d), options, w);
    const Eigen::ArrayXd theta = w.shape / w.rate;
    const auto held = heldout.doc_words(d);
    const auto counts = heldout.doc_counts(d);
    double& ll = loglik[static_cast<std::size_t>(j)];
    for (std::size_t i = 0; i < held.size(); ++i) ll += log_poisson(counts[i], hpf_expected_count(lambda, held[i], theta));
    const auto at = std::lower_bound(ranked.begin(), ranked.end(), d);
    if (at != ranked.end() && *at == d) theta_ranked.col(at - ranked.begin()) = theta.cast<float>().matrix();
  });
  std::vector<std::span<const std::int32_t>> exclude;
  for (const std::int64_t d : ranked) exclude.push_back(train.doc_words(d));
  std::vector<std::vector<std::int32_t>> tops;
  hpf_rank(ranking_beta, theta_ranked, exclude, k_top, static_cast<int>(ws.size()), tops);
  HpfScores total{};
  for (std::size_t j = 0; j < scored.size(); ++j) {
    total[0] += loglik[j];
    total[1] += static_cast<double>(heldout.doc_words(scored[j]).size());
  }
  for (std::size_t r = 0; r < ranked.size(); ++r) {
    const auto held = heldout.doc_words(ranked[r]);
    const std::vector<std::int32_t>& top = tops[r];
    double hits = 0.0;
    double dcg = 0.0;
    for (std::size_t p = 0; p < top.size(); ++p) {
      if (!std::binary_search(held.begin(), held.end(), top[p])) continue;
      hits += 1.0;
      dcg += 1.0 / std::log2(static_cast<double>(p) + 2.0);
    }
    const auto relevant = std::min<std::int64_t>(k_top, static_cast<std::int64_t>(held.size()));
    double ideal = 0.0;
    for (std::int64_t p = 0; p < relevant; ++p) ideal += 1.0 / std::log2(static_cast<double>(p) + 2.0);
    total[2] += hits / static_cast<double>(relevant);
    total[3] += hits / static_cast<double>(held.size());
    total[4] += dcg / ideal;
    total[5] += 1.0;
  }
  return total;
}

std::vector<std::string> hpf_metric_names(std::int64_t top_k) {
  const std::string k = std::to_string(top_k);
  return {"precision_at_" + k, "recall_at_" + k, "ndcg_at_" + k};
}

HpfModel::HpfModel(io::Corpus train, std::optional<io::Corpus> heldout, const HpfOptions& options,
                   std::int64_t total_counts)
    : factors_(options.factors),
      items_(train.vocab_size),
      total_counts_(total_counts),
      options_(options),
      train_(std::move(train)),
      heldout_(std::move(heldout)),
      ws_(static_cast<std::size_t>(options.threads)) {
  if (options.threads < 1) throw Error("HPF threads = " + std::to_string(options.threads) + ": expected >= 1");
  if (heldout_ && (heldout_->vocab_size != train_.vocab_size || heldout_->total_docs != train_.total_docs)) {
    throw Error("the held-out data has " + std::to_string(heldout_->total_docs) + " users and " +
                std::to_string(heldout_->vocab_size) + " items, the training data " +
                std::to_string(train_.total_docs) + " and " + std::to_string(train_.vocab_size) +
                "; hpf scores each user's held-out items, so both must have the same users and items (split them "
                "with --holdout-fraction)");
  }
}

std::string HpfModel::description() const {
  return "hpf, K = " + std::to_string(factors_) + ", " + std::to_string(train_.total_docs) + " users, " +
         std::to_string(items_) + " items, total count " + std::to_string(total_counts_);
}

io::Group HpfModel::file_contents(const Eigen::VectorXd& lambda) const {
  io::Group g;
  g.set("/model", "factors", static_cast<std::int64_t>(factors_));
  g.set("/model", "items", static_cast<std::int64_t>(items_));
  g.set("/model", "users", train_.total_docs);
  g.add_group("/model/prior");
  const HpfPrior& p = options_.prior;
  for (const auto& [name, value] : {std::pair{"a", p.a}, std::pair{"a_prime", p.a_prime}, std::pair{"b_prime", p.b_prime},
                                    std::pair{"c", p.c}, std::pair{"c_prime", p.c_prime}, std::pair{"d_prime", p.d_prime}}) {
    g.set("/model/prior", name, value);
  }
  const GlobalParams view(Eigen::VectorXd::Zero(lambda.size()), lambda, global_block_size(), global_tail_size());
  HpfItems sums;
  hpf_items(view, p, 1, sums);
  const auto n = static_cast<std::uint64_t>(items_);
  g.add("/model/popularity", {n}, std::vector<double>(sums.popularity.begin(), sums.popularity.end()));
  std::vector<double> rate(static_cast<std::size_t>(items_));
  for (Eigen::Index i = 0; i < items_; ++i) rate[static_cast<std::size_t>(i)] = p.c_prime / p.d_prime + sums.beta_total[i];
  g.add("/model/popularity_rate", {n}, rate);
  g.add_scalar("/model/popularity_shape", popularity_shape(p, factors_));
  return g;
}

std::string HpfModel::describe_index(Eigen::Index index) const {
  const Eigen::Index block = factors_ + 1;
  if (index >= items_ * block) return "factor " + std::to_string(index - items_ * block) + " of the rate all items share";
  const Eigen::Index k = index % block;
  return "item " + std::to_string(index / block) +
         (k < factors_ ? ", factor " + std::to_string(k) + " (shape)" : " (its part of the rate)");
}

Eigen::VectorXd hpf_prior(Eigen::Index factors, Eigen::Index items, const HpfPrior& prior) {
  // λˢ: c; the item part of the rate: 0 here, its prior term E[η_i] comes from dependent_prior;
  // the shared part: 0 (it has statistics only).
  Eigen::VectorXd eta = Eigen::VectorXd::Zero(items * (factors + 1) + factors);
  for (Eigen::Index i = 0; i < items; ++i) eta.segment(i * (factors + 1), factors).setConstant(prior.c);
  return eta;
}

Eigen::VectorXd HpfModel::prior() const { return hpf_prior(factors_, items_, options_.prior); }

Eigen::VectorXd HpfModel::initial_global(std::uint64_t seed, int /*part*/, int /*parts*/) const {
  // λˢ_ik = c · (a draw from 1 ± 0.2): the factors start apart; the rates
  // at the prior's mean popularity, h_i = d′ (g = 0: no user seen yet). Uniform draws, one an
  // entry: cheap enough that every part is all of λ.
  Eigen::VectorXd lambda = Eigen::VectorXd::Zero(global_size());
  for (Eigen::Index i = 0; i < items_; ++i) {
    expfam::CounterRng rng(seed, expfam::Purpose::kGlobalInit, static_cast<std::uint64_t>(i));
    auto block = lambda.segment(i * (factors_ + 1), factors_ + 1);
    for (Eigen::Index k = 0; k < factors_; ++k) block[k] = options_.prior.c * (1.0 + kInitSpread * (2.0 * rng.uniform() - 1.0));
    block[factors_] = options_.prior.d_prime;
  }
  return lambda;
}

void HpfModel::dependent_prior(Eigen::Index, Eigen::Ref<Eigen::VectorXd> shift) const {
  // η(λ) − η at the item part of the rate: E[η_i] − 0.
  shift = beta_.popularity;
}

void HpfModel::touched_blocks(std::span<const std::int64_t> ids, std::vector<std::int64_t>& blocks) const {
  for (const std::int64_t id : ids) {
    const auto items = train_.doc_words(id - train_.first_doc);
    blocks.insert(blocks.end(), items.begin(), items.end());
  }
}

void HpfModel::set_global(const GlobalParams& lambda) {
  lambda_ = &lambda;
  // The sums over all items (B_k for the local steps, A_i for the popularities): O(I·K).
  // A column of exp(E[log β]) is refreshed when a user of this rank first needs it.
  hpf_items(lambda, options_.prior, options_.threads, beta_);
  if (column_version_.empty()) {
    beta_.exp_elog = Eigen::MatrixXd::Zero(factors_, items_);  // touched now, not page by page in the steps
    column_version_.assign(static_cast<std::size_t>(items_), 0);
  }
  ++version_;
}

void HpfModel::refresh_columns(std::span<const std::int32_t> ids) {
  stale_.clear();
  for (const std::int32_t i : ids) {
    auto& seen = column_version_[static_cast<std::size_t>(i)];
    if (seen == version_) continue;
    stale_.push_back(i);
    seen = version_;
  }
  constexpr std::size_t kChunk = 64;
  const auto chunks = static_cast<std::int64_t>((stale_.size() + kChunk - 1) / kChunk);
  for_each_parallel(chunks, options_.threads, [&](std::int64_t chunk, std::size_t) {
    const std::size_t begin = static_cast<std::size_t>(chunk) * kChunk;
    hpf_set_columns(*lambda_, std::span(stale_).subspan(begin, std::min(kChunk, stale_.size() - begin)), beta_);
  });
}

void HpfModel::add_local_stats(std::span<const std::int64_t> ids, std::span<const std::int64_t> blocks,
                               Eigen::Ref<Eigen::VectorXd> stats) {
  // The users in parallel, each leaving e, y_ui / phinorm_i and E[θ_u]; then
  // their statistics, added in the order of `ids`, so that s is the same, bit
  // for bit, whatever the number of threads.
  const Eigen::Index k = factors_;
  const auto users = static_cast<std::int64_t>(ids.size());
  std::vector<std::size_t> offset(ids.size() + 1, 0);
  items_of_batch_.clear();
  for (std::size_t u = 0; u < ids.size(); ++u) {
    const auto items = train_.doc_words(ids[u] - train_.first_doc);
    items_of_batch_.insert(items_of_batch_.end(), items.begin(), items.end());
    offset[u + 1] = items_of_batch_.size();
  }
  refresh_columns(items_of_batch_);
  if (slot_.empty()) slot_.resize(static_cast<std::size_t>(items_));
  for (std::size_t j = 0; j < blocks.size(); ++j) slot_[static_cast<std::size_t>(blocks[j])] = static_cast<std::int32_t>(j);
  user_theta_.resize(static_cast<std::size_t>(k * users));
  user_mean_.resize(static_cast<std::size_t>(k * users));
  user_weights_.resize(items_of_batch_.size());
  for_each_parallel(users, options_.threads, [&](std::int64_t u, std::size_t thread) {
    HpfWorkspace& ws = ws_[thread];
    const std::int64_t d = ids[static_cast<std::size_t>(u)] - train_.first_doc;
    hpf_local_step(beta_, train_.doc_words(d), train_.doc_counts(d), options_, ws);
    Eigen::Map<Eigen::ArrayXd>(user_theta_.data() + u * k, k) = ws.exp_theta;
    Eigen::Map<Eigen::ArrayXd>(user_mean_.data() + u * k, k) = ws.shape / ws.rate;
    Eigen::Map<Eigen::ArrayXd>(user_weights_.data() + offset[static_cast<std::size_t>(u)], ws.counts.size()) =
        ws.counts / ws.phinorm;
  });
  const Eigen::Index block = k + 1;
  auto shared = stats.tail(k);

  for (std::size_t u = 0; u < ids.size(); ++u) {
    const Eigen::Map<const Eigen::ArrayXd> e(user_theta_.data() + static_cast<Eigen::Index>(u) * k, k);
    for (std::size_t j = offset[u]; j < offset[u + 1]; ++j) {
      const std::int32_t item = items_of_batch_[j];
      // y_ui φ_uik = e_k β̃_ik y_ui / phinorm_i
      stats.segment(slot_[static_cast<std::size_t>(item)] * block, k).array() +=
          e * beta_.exp_elog.col(item).array() * user_weights_[j];
    }
    shared += Eigen::Map<const Eigen::VectorXd>(user_mean_.data() + static_cast<Eigen::Index>(u) * k, k);
  }
}

const HpfScores& HpfModel::scores() {
  if (scores_version_ == version_) return scores_;
  scores_version_ = version_;
  scores_ = HpfScores{};
  if (!heldout_) return scores_;
  refresh_columns(train_.indices);
  scores_ = hpf_heldout_sums(beta_, *lambda_, hpf_expected_beta(*lambda_).cast<float>(), train_, *heldout_, options_, ws_);
  return scores_;
}

ScoreSum HpfModel::heldout_partial() {
  const HpfScores& s = scores();
  return {s[0], s[1]};
}

double HpfModel::heldout_metric(const ScoreSum& total) const {
  return total.count > 0 ? total.log_score / total.count : std::nan("");
}

std::vector<double> HpfModel::extra_partial() {
  const HpfScores& s = scores();
  return {s[2], s[3], s[4], s[5]};
}

std::vector<double> HpfModel::extra_values(const std::vector<double>& total) const {
  const double users = total[3];
  if (!(users > 0)) return std::vector<double>(3, std::nan(""));
  return {total[0] / users, total[1] / users, total[2] / users};
}

double HpfModel::elbo_local_partial() {
  refresh_columns(train_.indices);
  std::vector<double> users(static_cast<std::size_t>(train_.num_docs()));
  for_each_parallel(train_.num_docs(), options_.threads, [&](std::int64_t d, std::size_t thread) {
    HpfWorkspace& ws = ws_[thread];
    hpf_local_step(beta_, train_.doc_words(d), train_.doc_counts(d), options_, ws);
    users[static_cast<std::size_t>(d)] = hpf_elbo_terms(train_.doc_counts(d), beta_, options_, ws);
  });
  return std::accumulate(users.begin(), users.end(), 0.0);
}

double HpfModel::elbo_global() const {
  // Σ_i Σ_k (E[log p(β_ik | η_i)] + H[q(β_ik)]) + Σ_i (E[log p(η_i)] + H[q(η_i)]),
  // with q(η_i) at its optimum given q(β_i).
  const HpfPrior& p = options_.prior;
  const Eigen::ArrayXd shared = lambda_->tail().array();
  const double rate0 = p.c_prime / p.d_prime;
  double sum = 0.0;
  for (Eigen::Index i = 0; i < items_; ++i) {
    const Eigen::ArrayXd block = lambda_->block(i).array();
    const expfam::Gamma eta(popularity_shape(p, factors_), rate0 + beta_.beta_total[i]);
    for (Eigen::Index k = 0; k < factors_; ++k) {
      const expfam::Gamma beta(block[k], block[factors_] + shared[k]);
      sum += expfam::gamma_expected_log_density(p.c, eta.expected_log(), eta.expected(), beta.expected_log(),
                                                beta.expected()) +
             beta.entropy();
    }
    sum += expfam::gamma_expected_log_density(p.c_prime, std::log(rate0), rate0, eta.expected_log(), eta.expected()) +
           eta.entropy();
  }
  return sum;
}

}  // namespace natgrad::models
