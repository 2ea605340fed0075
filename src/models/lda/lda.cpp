#include "natgrad/models/lda/lda.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/error.hpp"
#include "natgrad/expfam/dirichlet.hpp"
#include "natgrad/expfam/random.hpp"
#include "natgrad/expfam/special.hpp"
#include "natgrad/memory.hpp"
#include "kernels.hpp"

namespace natgrad::models {

namespace {

// Shape of the Gamma used for initial γ and λ (Hoffman et al.'s Gamma(100, 1/100)).
constexpr double kInitShape = 100.0;

// −KL(Dir(γ) ‖ Dir(α)): the θ terms of a document's ELBO.
double theta_terms(const Eigen::ArrayXd& gamma, const Eigen::ArrayXd& elog_theta, const Eigen::ArrayXd& alpha) {
  double sum = std::lgamma(alpha.sum()) - std::lgamma(gamma.sum());
  for (Eigen::Index i = 0; i < gamma.size(); ++i) {
    sum += (alpha[i] - gamma[i]) * elog_theta[i] + std::lgamma(gamma[i]) - std::lgamma(alpha[i]);
  }
  return sum;
}

// The kernels this CPU runs (the widest version), chosen once.
const detail::LdaKernels& kernels() { return detail::lda_kernels(); }

// Rows of LdaBeta::scaled and of the local step's K-vectors: K rounded up to whole vectors of the
// kernels' width (and of 8, so that the layout is the same for the 4 and 8 lanes of most CPUs).
Eigen::Index padded(Eigen::Index topics) {
  const Eigen::Index pad = std::max<Eigen::Index>(8, kernels().width);
  return (topics + pad - 1) / pad * pad;
}

// ψ(Σ_w λ_kw) of λ's row sums, in the precision LdaBeta::set_column takes, padded as a column with 0.
Eigen::ArrayXf psi_of_rowsums(const Eigen::VectorXd& rowsums) {
  Eigen::ArrayXf out = Eigen::ArrayXf::Zero(padded(rowsums.size()));
  for (Eigen::Index k = 0; k < rowsums.size(); ++k) out[k] = static_cast<float>(expfam::digamma(rowsums[k]));
  return out;
}

void fused_pass(const Eigen::MatrixXf& b, const Eigen::ArrayXf& counts, const Eigen::ArrayXf& e,
                Eigen::ArrayXf& phinorm, Eigen::ArrayXf* t) {
  kernels().fused_pass(b.data(), b.rows(), b.cols(), counts.data(), e.data(), phinorm.data(),
                       t != nullptr ? t->data() : nullptr);
}

// e = exp(ψ(γ_k) − max_j ψ(γ_j)) in ws.exp_theta (padding 0): exp(E[log θ])
// over its largest entry, which the step's γ and statistics do not depend on; ψ(γ) in ws.psi_gamma.
void expected_theta(const Eigen::ArrayXd& gamma, LdaWorkspace& ws) {
  kernels().expected_theta(gamma.data(), gamma.size(), ws.exp_theta.size(), ws.exp_theta.data(),
                           ws.psi_gamma.data());
}

// Calls body(i, thread) for i in [0, n) on `threads` OpenMP threads (thread in
// [0, threads)), dynamically balanced; body writes only to places of its own i
// or its own thread, so that results do not depend on the thread count.
template <class Body>
void parallel_for(std::int64_t n, int threads, const Body& body) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (threads > 1)
  for (std::int64_t i = 0; i < n; ++i) body(i, static_cast<std::size_t>(omp_get_thread_num()));
}

}  // namespace

LdaBeta::LdaBeta(Eigen::Index k, Eigen::Index vocab_size)
    : topics(k),
      scaled(huge_array<Eigen::MatrixXf>(padded(k), vocab_size)),
      log_scale(Eigen::ArrayXd::Zero(vocab_size)) {
  scaled.setZero();  // its padding rows stay 0
}

void LdaBeta::finish_column(Eigen::Index w, const Eigen::ArrayXf& psi_rowsum) {
  log_scale[w] = kernels().finish_column(scaled.col(w).data(), topics, scaled.rows(), psi_rowsum.data());
}

void lda_local_step(const LdaBeta& beta, std::span<const std::int32_t> ids, std::span<const std::int32_t> counts,
                    const Eigen::ArrayXd& alpha, int max_iters, double tol, Eigen::ArrayXd& gamma,
                    Eigen::Map<Eigen::MatrixXd>* stats, LdaWorkspace& ws) {
  const Eigen::Index k = gamma.size();
  const Eigen::Index kp = beta.scaled.rows();
  const auto n = static_cast<Eigen::Index>(ids.size());
  ws.beta_d.resize(kp, n);
  ws.counts.resize(n);
  ws.phinorm.resize(n);
  ws.exp_theta.setZero(kp);
  ws.psi_gamma.resize(kp);
  ws.t.resize(kp);
  constexpr Eigen::Index kAhead = 4;  // columns prefetched ahead
  for (Eigen::Index j = 0; j < n; ++j) {
    if (j + kAhead < n) prefetch(beta.scaled.col(ids[static_cast<std::size_t>(j + kAhead)]).data(), kp);
    ws.beta_d.col(j) = beta.scaled.col(ids[static_cast<std::size_t>(j)]);
    ws.counts[j] = static_cast<float>(counts[static_cast<std::size_t>(j)]);
  }
  // Each iteration: γ ← α + e ∘ t, then e of the new γ, then one fused pass
  // giving phinorm (for the statistics) and t for the next iteration,
  // t_k = Σ_w β_kw c_w / phinorm_w. The last pass needs no t.
  expected_theta(gamma, ws);
  fused_pass(ws.beta_d, ws.counts, ws.exp_theta, ws.phinorm, max_iters > 0 ? &ws.t : nullptr);
  for (int it = 0; it < max_iters; ++it) {
    double change = 0.0;
    for (Eigen::Index i = 0; i < k; ++i) {
      const double next = alpha[i] + static_cast<double>(ws.exp_theta[i]) * static_cast<double>(ws.t[i]);
      change += std::abs(next - gamma[i]);
      gamma[i] = next;
    }
    expected_theta(gamma, ws);
    const bool converged = change / static_cast<double>(k) < tol;  // mean |Δγ| < tol
    const bool last = converged || it + 1 == max_iters;
    fused_pass(ws.beta_d, ws.counts, ws.exp_theta, ws.phinorm, last ? nullptr : &ws.t);
    ++ws.iterations;
    ws.word_iterations += n;
    if (converged) break;
  }
  if (stats != nullptr) {
    const Eigen::ArrayXf weights = ws.counts / ws.phinorm;
    lda_add_stats(beta, ids, ids, ws.exp_theta.head(k), weights.data(), *stats);
  }
}

double lda_elbo_terms(const LdaBeta& beta, std::span<const std::int32_t> ids, const Eigen::ArrayXd& gamma,
                      const Eigen::ArrayXd& alpha, const LdaWorkspace& ws) {
  // log Σ_k exp(E[log θ_k] + E[log β_kw]) = log phinorm_w + m_w + max_k E[log θ_k].
  double sum = 0.0;
  double tokens = 0.0;
  for (std::size_t j = 0; j < ids.size(); ++j) {
    const double c = ws.counts[static_cast<Eigen::Index>(j)];
    sum += c * (std::log(static_cast<double>(ws.phinorm[static_cast<Eigen::Index>(j)])) + beta.log_scale[ids[j]]);
    tokens += c;
  }
  Eigen::ArrayXd elog_theta(gamma.size());
  expfam::dirichlet_expected_log(gamma, elog_theta);
  return sum + tokens * elog_theta.maxCoeff() + theta_terms(gamma, elog_theta, alpha);
}

void lda_add_stats(const LdaBeta& beta, std::span<const std::int32_t> ids, std::span<const std::int32_t> columns,
                   const Eigen::Ref<const Eigen::ArrayXf>& exp_theta, const float* weights,
                   Eigen::Map<Eigen::MatrixXd>& stats) {
  const Eigen::Index k = exp_theta.size();
  constexpr std::size_t kAhead = 2;  // words prefetched ahead: their columns lie anywhere in beta and stats
  for (std::size_t j = 0; j < ids.size(); ++j) {
    if (j + kAhead < ids.size()) {
      prefetch(beta.scaled.col(ids[j + kAhead]).data(), k);
      prefetch(stats.col(columns[j + kAhead]).data(), k);
    }
    kernels().add_stats(exp_theta.data(), beta.scaled.col(ids[j]).data(), weights[j], k, stats.col(columns[j]).data());
  }
}

LdaBeta lda_exp_elog_beta(const Eigen::MatrixXd& lambda) {
  LdaBeta beta(lambda.rows(), lambda.cols());
  const Eigen::ArrayXf psi_rowsum = psi_of_rowsums(lambda.rowwise().sum());
  for (Eigen::Index w = 0; w < lambda.cols(); ++w) beta.set_column(w, lambda.col(w), psi_rowsum);
  return beta;
}

void lda_infer(const LdaBeta& beta, std::span<const std::int32_t> ids, std::span<const std::int32_t> counts,
               const LdaOptions& options, Eigen::ArrayXd& gamma, LdaWorkspace& ws) {
  gamma.setOnes(beta.topics);
  lda_local_step(beta, ids, counts, options.alpha, options.local_max_iters, options.local_tol, gamma, nullptr, ws);
}

std::vector<double> lda_infer_corpus(const LdaBeta& beta, const io::Corpus& corpus, const LdaOptions& options,
                                     LdaWorkspaces& ws) {
  std::vector<double> gammas = huge_vector<double>(static_cast<std::size_t>(corpus.num_docs() * beta.topics));
  parallel_for(corpus.num_docs(), static_cast<int>(ws.size()), [&](std::int64_t d, std::size_t thread) {
    LdaWorkspace& w = ws[thread];
    lda_infer(beta, corpus.doc_words(d), corpus.doc_counts(d), options, w.gamma, w);
    Eigen::Map<Eigen::ArrayXd>(gammas.data() + d * beta.topics, beta.topics) = w.gamma;
  });
  return gammas;
}

void lda_completion_split(std::span<const std::int32_t> counts, std::vector<std::int32_t>& observed,
                          std::vector<std::int32_t>& heldout) {
  observed.resize(counts.size());
  heldout.resize(counts.size());
  std::int64_t position = 0;  // tokens expanded so far
  for (std::size_t j = 0; j < counts.size(); ++j) {
    // Positions p in [position, position + c) with p % 5 == 4 are held out.
    const std::int64_t next = position + counts[j];
    heldout[j] = static_cast<std::int32_t>(next / 5 - position / 5);
    observed[j] = counts[j] - heldout[j];
    position = next;
  }
}

double lda_perplexity(const ScoreSum& total) {
  if (!(total.count > 0)) throw Error(kLdaNothingHeldOut);
  return std::exp(-total.log_score / total.count);
}

std::int64_t LdaModel::heldout_tokens() const {
  if (!heldout_) return 0;
  std::vector<std::int32_t> observed, held;
  std::int64_t total = 0;
  for (std::int64_t d = 0; d < heldout_->num_docs(); ++d) {
    lda_completion_split(heldout_->doc_counts(d), observed, held);
    for (const std::int32_t h : held) total += h;
  }
  return total;
}

io::Layout lda_layout(Eigen::Index topics, Eigen::Index vocab_size) {
  return {{{"lambda", {topics, vocab_size}, 0, {1, topics}}}, topics * vocab_size};
}

LdaModel::LdaModel(io::Corpus train, std::optional<io::Corpus> heldout, const LdaOptions& options,
                   std::int64_t total_tokens)
    : topics_(options.topics),
      vocab_size_(train.vocab_size),
      total_tokens_(total_tokens),
      options_(options),
      train_(std::move(train)),
      heldout_(std::move(heldout)),
      ws_(static_cast<std::size_t>(options.threads)) {
  if (options.threads < 1) throw Error("LDA threads = " + std::to_string(options.threads) + ": expected >= 1");
  if (options.alpha.size() != topics_) {
    throw Error("LDA alpha has " + std::to_string(options.alpha.size()) + " values; expected K = " + std::to_string(topics_));
  }
  if (!options.coherence.empty() && (options.coherence_top < 2 || options.coherence_top > vocab_size_)) {
    throw Error("eval.coherence_top = " + std::to_string(options.coherence_top) + ": expected 2 to the V = " +
                std::to_string(vocab_size_) + " words");
  }
  if (heldout_ && heldout_->vocab_size != train_.vocab_size) {
    throw Error("held-out corpus has V = " + std::to_string(heldout_->vocab_size) +
                " words, the training corpus V = " + std::to_string(train_.vocab_size) +
                "; both must be converted with the same vocabulary");
  }
}

double LdaModel::state_bytes() const {
  const auto v = static_cast<double>(vocab_size_);
  return static_cast<double>(padded(topics_)) * v * sizeof(float) + v * (sizeof(std::uint64_t) + sizeof(std::int32_t));
}

std::string LdaModel::description() const {
  return "lda, K = " + std::to_string(topics_) + ", " + std::to_string(train_.total_docs) + " documents, " +
         std::to_string(vocab_size_) + " words, " + std::to_string(total_tokens_) + " tokens, " + kernels().name +
         " kernels";
}

io::Group LdaModel::file_contents(const Eigen::VectorXd&) const {
  io::Group g;
  g.set("/model", "topics", static_cast<std::int64_t>(topics_));
  g.set("/model", "vocab_size", static_cast<std::int64_t>(vocab_size_));
  g.add("/model/alpha", {static_cast<std::uint64_t>(topics_)},
        std::vector<double>(options_.alpha.data(), options_.alpha.data() + topics_));
  g.add_scalar("/model/eta", options_.eta);
  return g;
}

std::string LdaModel::describe_index(Eigen::Index index) const {
  // Column-major K × V: entry (k, w) is at w·K + k.
  return "topic " + std::to_string(index % topics_) + ", word id " + std::to_string(index / topics_);
}

Eigen::VectorXd LdaModel::prior() const { return Eigen::VectorXd::Constant(topics_, options_.eta); }  // one block

double lda_auto_init_scale(std::int64_t docs, std::int64_t batch) {
  return static_cast<double>(docs) / (20.0 * static_cast<double>(std::min(batch, docs)));
}

Eigen::VectorXd LdaModel::initial_global(std::uint64_t seed, int part, int parts) const {
  auto flat = huge_array<Eigen::VectorXd>(global_size());
  Eigen::Map<Eigen::MatrixXd> lambda(flat.data(), topics_, vocab_size_);
  // The part's topics: each topic is drawn from its own stream, so that the threads, each with a run of
  // neighbouring topics (which share few cache lines with the next thread's), draw the same λ.
  const std::pair<std::int64_t, std::int64_t> topics = comm::shard_of(topics_, part, parts);
  const std::int64_t first = topics.first, last = topics.second;  // clang 14 lambdas cannot take structured bindings
  const double scale = options_.init_scale;
  parallel_for(options_.threads, options_.threads, [&](std::int64_t thread, std::size_t) {
    const auto [from, to] = comm::shard_of(last - first, static_cast<int>(thread), options_.threads);
    for (Eigen::Index k = first + from; k < first + to; ++k) {
      expfam::CounterRng rng(seed, expfam::Purpose::kGlobalInit, static_cast<std::uint64_t>(k));
      for (Eigen::Index w = 0; w < vocab_size_; ++w) lambda(k, w) = rng.gamma(kInitShape) / kInitShape * scale;
    }
  });
  return flat;
}

void LdaModel::touched_blocks(std::span<const std::int64_t> ids, std::vector<std::int64_t>& blocks) const {
  for (const std::int64_t id : ids) {
    const auto words = train_.doc_words(id - train_.first_doc);
    blocks.insert(blocks.end(), words.begin(), words.end());
  }
}

void LdaModel::set_global(const GlobalParams& lambda) {
  lambda_ = &lambda;
  // Only ψ(Σ_w λ_kw) now, from the row sums that GlobalParams keeps; a column
  // of exp(E[log β]) is refreshed when a document of this rank first needs it
  // (refresh_columns), so the cost of a step grows with the words its
  // minibatch touches on this rank, not with V.
  psi_rowsum_ = psi_of_rowsums(lambda.block_total());
  if (column_version_.empty()) {
    beta_ = LdaBeta(topics_, vocab_size_);  // touched now, not page by page in the steps
    column_version_.assign(static_cast<std::size_t>(vocab_size_), 0);
  }
  ++version_;
}

void LdaModel::add_local_stats(std::span<const std::int64_t> ids, std::span<const std::int64_t> blocks,
                               Eigen::Ref<Eigen::VectorXd> stats) {
  // The columns of exp(E[log β]) of all the documents' words first; then the
  // documents in parallel, each leaving exp(E[log θ]) and c_w / phinorm_w of
  // its words; then their statistics, added in the order of `ids`, so that s
  // is the same, bit for bit, whatever the number of threads.
  const auto n_docs = static_cast<std::int64_t>(ids.size());
  std::vector<std::size_t> offset(ids.size() + 1, 0);
  words_.clear();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto words = train_.doc_words(ids[i] - train_.first_doc);
    words_.insert(words_.end(), words.begin(), words.end());
    offset[i + 1] = words_.size();
  }
  refresh_columns(words_);
  if (slot_.empty()) slot_.resize(static_cast<std::size_t>(vocab_size_));
  for (std::size_t j = 0; j < blocks.size(); ++j) slot_[static_cast<std::size_t>(blocks[j])] = static_cast<std::int32_t>(j);
  columns_.resize(words_.size());
  for (std::size_t j = 0; j < words_.size(); ++j) columns_[j] = slot_[static_cast<std::size_t>(words_[j])];
  // std::vector keeps its capacity from step to step: no fresh pages to fault in.
  doc_theta_.resize(static_cast<std::size_t>(topics_ * n_docs));
  Eigen::Map<Eigen::MatrixXf> theta(doc_theta_.data(), topics_, n_docs);
  doc_weights_.resize(words_.size());
  if (options_.learn_alpha) doc_elog_theta_.resize(static_cast<std::size_t>(topics_ * n_docs));
  parallel_for(n_docs, options_.threads, [&](std::int64_t i, std::size_t thread) {
    LdaWorkspace& ws = ws_[thread];
    const std::int64_t d = ids[static_cast<std::size_t>(i)] - train_.first_doc;
    // γ_k = α_k + n_d / K (Blei, Ng & Jordan 2003): each topic's share of the document's tokens.
    // (A random start, γ_k ~ Gamma(100, 1/100), as in Hoffman et al.'s code, gave the same held-out
    // perplexity over 5 seeds and took 100 draws per document: a fifth of a step on short documents.)
    std::int64_t tokens = 0;
    for (const std::int32_t c : train_.doc_counts(d)) tokens += c;
    Eigen::ArrayXd& gamma = ws.gamma;
    gamma = options_.alpha + static_cast<double>(tokens) / static_cast<double>(topics_);
    lda_local_step(beta_, train_.doc_words(d), train_.doc_counts(d), options_.alpha,
                   options_.local_max_iters, options_.local_tol, gamma, nullptr, ws);
    theta.col(i) = ws.exp_theta.head(topics_).matrix();
    Eigen::Map<Eigen::ArrayXf>(doc_weights_.data() + offset[static_cast<std::size_t>(i)], ws.counts.size()) =
        ws.counts / ws.phinorm;
    if (options_.learn_alpha) {  // E[log θ] = ψ(γ) − ψ(Σ γ), ψ(γ) as the local step took it (in float)
      Eigen::Map<Eigen::ArrayXd> elog(doc_elog_theta_.data() + i * topics_, topics_);
      elog = ws.psi_gamma.head(topics_).cast<double>() - expfam::digamma(gamma.sum());
    }
  });
  if (options_.learn_alpha) {
    // Σ_d E[log θ_d], in the order of `ids`: after the blocks (LDA has no tail).
    auto sum = stats.segment(static_cast<Eigen::Index>(blocks.size()) * topics_, topics_);
    for (std::int64_t i = 0; i < n_docs; ++i) sum += Eigen::Map<const Eigen::VectorXd>(doc_elog_theta_.data() + i * topics_, topics_);
  }
  Eigen::Map<Eigen::MatrixXd> s(stats.data(), topics_, static_cast<Eigen::Index>(blocks.size()));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::size_t n = offset[i + 1] - offset[i];
    lda_add_stats(beta_, std::span(words_).subspan(offset[i], n), std::span(columns_).subspan(offset[i], n),
                  theta.col(static_cast<Eigen::Index>(i)).array(), doc_weights_.data() + offset[i], s);
  }
}

ScoreSum lda_heldout_score(const GlobalParams& lambda, const LdaBeta& beta,
                           const io::Corpus& heldout, const LdaOptions& options, LdaWorkspaces& ws) {
  const Eigen::ArrayXd inv_rowsum = lambda.block_total().array().inverse();
  // Each document's score, then their sum in order: the same whatever the thread count.
  std::vector<ScoreSum> docs(static_cast<std::size_t>(heldout.num_docs()));
  parallel_for(heldout.num_docs(), static_cast<int>(ws.size()), [&](std::int64_t d, std::size_t thread) {
    LdaWorkspace& w = ws[thread];
    const auto ids = heldout.doc_words(d);
    std::vector<std::int32_t>& observed = w.observed;
    std::vector<std::int32_t>& held = w.heldout;
    lda_completion_split(heldout.doc_counts(d), observed, held);
    std::vector<std::int32_t>& obs_ids = w.observed_ids;
    std::vector<std::int32_t>& obs_counts = w.observed_counts;
    obs_ids.clear();
    obs_counts.clear();
    double held_tokens = 0;
    for (std::size_t j = 0; j < ids.size(); ++j) {
      if (observed[j] > 0) {
        obs_ids.push_back(ids[j]);
        obs_counts.push_back(observed[j]);
      }
      held_tokens += held[j];
    }
    if (held_tokens == 0) return;
    // From a fixed start, so that the score is a function of λ alone, comparable across runs and systems.
    Eigen::ArrayXd& gamma = w.gamma;
    lda_infer(beta, obs_ids, obs_counts, options, gamma, w);
    // Σ_k θ̄_k β̄_kw with θ̄ = γ/Σγ and β̄_k = λ_k / Σ_w λ_kw.
    const Eigen::ArrayXd weights = gamma / gamma.sum() * inv_rowsum;
    ScoreSum& score = docs[static_cast<std::size_t>(d)];
    for (std::size_t j = 0; j < ids.size(); ++j) {
      if (held[j] == 0) continue;
      score.log_score += held[j] * std::log((weights * lambda.block(ids[j]).array()).sum());
    }
    score.count = held_tokens;
  });
  ScoreSum total;
  for (const ScoreSum& doc : docs) {
    total.log_score += doc.log_score;
    total.count += doc.count;
  }
  return total;
}

void LdaModel::refresh_columns(std::span<const std::int32_t> ids) {
  stale_.clear();
  for (const std::int32_t w : ids) {
    auto& seen = column_version_[static_cast<std::size_t>(w)];
    if (seen == version_) continue;
    stale_.push_back(w);
    seen = version_;
  }
  // In chunks of 64 columns: a column alone is too little work to hand to a thread.
  constexpr std::size_t kChunk = 64;
  constexpr std::size_t kAhead = 4;  // columns prefetched ahead
  const auto chunks = static_cast<std::int64_t>((stale_.size() + kChunk - 1) / kChunk);
  parallel_for(chunks, options_.threads, [&](std::int64_t chunk, std::size_t) {
    const std::size_t begin = static_cast<std::size_t>(chunk) * kChunk;
    const std::size_t end = std::min(begin + kChunk, stale_.size());
    for (std::size_t i = begin; i < end; ++i) {
      if (i + kAhead < end) {
        lambda_->prefetch_block(stale_[i + kAhead]);
        prefetch(beta_.scaled.col(stale_[i + kAhead]).data(), beta_.scaled.rows());
      }
      beta_.set_column(stale_[i], lambda_->block(stale_[i]), psi_rowsum_);
    }
  });
}

ScoreSum LdaModel::heldout_partial() {
  if (!heldout_) return {};
  refresh_columns(heldout_->indices);
  return lda_heldout_score(*lambda_, beta_, *heldout_, options_, ws_);
}

double LdaModel::heldout_metric(const ScoreSum& total) const {
  return total.count > 0 ? lda_perplexity(total) : std::nan("");  // NaN without held-out data
}

std::vector<std::string> LdaModel::extra_names() const {
  std::vector<std::string> names;
  for (const Coherence m : options_.coherence) names.push_back(coherence_name(m));
  return names;
}

std::vector<double> LdaModel::extra_partial() {
  if (options_.coherence.empty()) return {};
  // Every rank takes the same top words of the same λ, and counts them in its own documents.
  coherence_.emplace(lda_top_words(*lambda_, options_.coherence_top), topics_, options_.coherence_top, vocab_size_);
  std::vector<double> sums(coherence_->size(), 0.0);
  coherence_->add(train_, sums);
  return sums;
}

std::vector<double> LdaModel::extra_values(const std::vector<double>& total) const {
  std::vector<double> values;
  for (const Coherence m : options_.coherence) values.push_back(coherence_->mean(m, total.data()));
  return values;
}

double LdaModel::elbo_local_partial() {
  refresh_columns(train_.indices);
  std::vector<double> docs(static_cast<std::size_t>(train_.num_docs()));
  parallel_for(train_.num_docs(), options_.threads, [&](std::int64_t d, std::size_t thread) {
    LdaWorkspace& ws = ws_[thread];
    const auto words = train_.doc_words(d);
    lda_infer(beta_, words, train_.doc_counts(d), options_, ws.gamma, ws);
    docs[static_cast<std::size_t>(d)] = lda_elbo_terms(beta_, words, ws.gamma, options_.alpha, ws);
  });
  double sum = 0.0;
  for (const double doc : docs) sum += doc;
  return sum;
}

std::int64_t LdaModel::local_iterations() const {
  std::int64_t sum = 0;
  for (const LdaWorkspace& ws : ws_) sum += ws.iterations;
  return sum;
}

std::int64_t LdaModel::local_word_iterations() const {
  std::int64_t sum = 0;
  for (const LdaWorkspace& ws : ws_) sum += ws.word_iterations;
  return sum;
}

std::vector<std::string> LdaModel::learned_names() const {
  std::vector<std::string> names;
  if (options_.learn_alpha) names.emplace_back("alpha");
  if (options_.learn_eta) names.emplace_back("eta");
  return names;
}

Eigen::VectorXd LdaModel::learned_value(std::size_t j) const {
  if (learned_names()[j] == "alpha") return options_.alpha.matrix();
  return Eigen::VectorXd::Constant(1, options_.eta);
}

void LdaModel::set_learned(std::size_t j, const Eigen::VectorXd& value) {
  if (learned_names()[j] == "alpha") {
    options_.alpha = value.array();
  } else {
    options_.eta = value[0];
  }
}

std::unique_ptr<expfam::PriorObjective> LdaModel::learned_objective(std::size_t j, std::span<const double> stats,
                                                                    double batch) const {
  if (learned_names()[j] == "alpha") {
    // The documents of the minibatch are the samples of Dir(α).
    return std::make_unique<expfam::DirichletPrior>(expfam::DirichletPrior::asymmetric(
        Eigen::Map<const Eigen::VectorXd>(stats.data(), topics_), batch));
  }
  // The K topics are the samples of Dir(η·1_V): Σ_k Σ_w E[log β_kw] = Σ_kw ψ(λ_kw) − V Σ_k ψ(Σ_w λ_kw),
  // a pass over all of λ, in chunks of columns, ψ in single precision (as the local step's) by the kernels.
  constexpr Eigen::Index kColumns = 64;
  Eigen::VectorXd chunk(topics_ * kColumns);
  double sum = 0.0;
  for (Eigen::Index w0 = 0; w0 < vocab_size_; w0 += kColumns) {
    const Eigen::Index n = std::min(kColumns, vocab_size_ - w0);
    for (Eigen::Index c = 0; c < n; ++c) chunk.segment(c * topics_, topics_) = lambda_->block(w0 + c);
    sum += kernels().sum_digamma(chunk.data(), n * topics_);
  }
  const Eigen::VectorXd rowsum = lambda_->block_total();
  for (Eigen::Index k = 0; k < topics_; ++k) sum -= static_cast<double>(vocab_size_) * expfam::digamma(rowsum[k]);
  return std::make_unique<expfam::DirichletPrior>(
      expfam::DirichletPrior::symmetric(sum, static_cast<double>(topics_), static_cast<double>(vocab_size_)));
}

void LdaModel::adopt(const io::ModelFile& file) {
  const auto k = static_cast<std::uint64_t>(topics_);
  if (options_.learn_alpha) {
    const std::vector<double>& alpha = file.model.numbers("/model/alpha", {k});
    options_.alpha = Eigen::Map<const Eigen::ArrayXd>(alpha.data(), topics_);
  }
  if (options_.learn_eta) options_.eta = file.model.numbers("/model/eta", {})[0];
}

double LdaModel::elbo_global() const {
  const expfam::Dirichlet prior(Eigen::ArrayXd::Constant(vocab_size_, options_.eta));
  const Eigen::VectorXd flat = lambda_->dense();
  const auto lambda = lda_topics(flat, topics_);
  double sum = 0.0;
  for (Eigen::Index k = 0; k < topics_; ++k) {
    sum -= expfam::Dirichlet(lambda.row(k).transpose().array()).kl(prior);
  }
  return sum;
}

}  // namespace natgrad::models
