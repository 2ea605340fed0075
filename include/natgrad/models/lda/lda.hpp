#pragma once
/// @file Latent Dirichlet allocation (Blei, Ng & Jordan 2003) for SVI
/// (Hoffman, Blei & Bach 2010).
///
/// Global factors: q(β_k) = Dir(λ_k) for each topic k over the V words; λ is
/// K × V, stored column-major in the flat vector (column w, the K topics'
/// parameters for word w, is contiguous: a block of λ, touched by a minibatch
/// when one of its documents has word w). Local factors of document d:
/// q(θ_d) = Dir(γ_d), q(z_dn) = Cat(φ_dn). The statistics s have λ's layout:
/// s_kw = Σ_d c_dw φ_dwk.

#include <optional>
#include <vector>

#include "natgrad/io/corpus.hpp"
#include "natgrad/models/lda/coherence.hpp"
#include "natgrad/models/model.hpp"

namespace natgrad::models {

struct LdaOptions {
  std::int64_t topics = 0;        ///< K ≥ 1
  Eigen::ArrayXd alpha;           ///< Dirichlet prior on θ, K values > 0 (all equal: symmetric)
  double eta = 0.0;               ///< symmetric Dirichlet prior on β, > 0
  int local_max_iters = 100;      ///< most iterations of the per-document step
  double local_tol = 1e-3;        ///< stop when mean |Δγ| < local_tol
  int threads = 1;                ///< OpenMP threads of the local steps (solver.threads ≥ 1)
  std::vector<Coherence> coherence = {};  ///< eval.coherence: measured at each evaluation over the training documents
  std::int64_t coherence_top = 10;    ///< eval.coherence_top: top words of each topic they look at (2 ≤ it ≤ V)
  bool learn_alpha = false;       ///< model.alpha = auto: α learned (asymmetric), from `alpha` on
  bool learn_eta = false;         ///< model.eta = auto: η learned, from `eta` on
  double init_scale = 1.0;        ///< model.init_scale: mean of λ's initial entries, > 0
};

/// model.init_scale = auto: D / (20 |B|), |B| = min(batch, D): a twentieth of
/// what one token weighs in a step's statistics (scaled by D/|B|), so that the
/// first minibatches do not fix the topics (see the README).
double lda_auto_init_scale(std::int64_t docs, std::int64_t batch);

/// Floating-point operations of lda_local_step per distinct word of a
/// document, per topic, per inner iteration: 2 (multiply, add) in the product
/// phinorm_w = Σ_k exp(E[log θ_k]) exp(E[log β_kw]) and 2 in
/// t_k = Σ_w exp(E[log β_kw]) c_w / phinorm_w. So an inner iteration of a
/// document with n distinct words counts 4·K·n; the K-wide digamma, exp and γ
/// update of the iteration and the n divisions are not counted (they are
/// below 5 % of it for n ≳ 20), so a rate computed from it is a lower bound.
inline constexpr std::int64_t kLdaFlopsPerWordTopic = 4;

/// exp(E_q[log β]) in the form the local step reads it: single precision,
/// each column scaled so that its largest entry is 1,
///     scaled_kw = exp(E[log β_kw] − m_w),  m_w = max_k E[log β_kw],
/// with K padded with zero rows to whole vectors of the kernels' width (at
/// least 8: 8 or 16 rows; src/models/lda/kernels.hpp). The local step's
/// γ and statistics do not change when a column is scaled (φ_w is normalised
/// over k), so only the ELBO needs m_w; and a word with small E[log β] in
/// every topic (one never seen in training has ≈ ψ(η) − ψ(Σ_w λ_kw) ≈ −110)
/// keeps its weight instead of underflowing in float.
struct LdaBeta {
  LdaBeta() = default;
  LdaBeta(Eigen::Index k, Eigen::Index vocab_size);  ///< K = k, V = vocab_size, all zero
  Eigen::Index topics = 0;
  Eigen::MatrixXf scaled;    ///< padded K × V
  Eigen::ArrayXd log_scale;  ///< V: m_w
  /// Sets column w from λ_w (a K-vector expression) and ψ(Σ_w λ_kw) (K).
  template <class Column>
  void set_column(Eigen::Index w, const Column& lambda_w, const Eigen::ArrayXf& psi_rowsum) {
    scaled.col(w).head(topics).array() = lambda_w.array().template cast<float>();
    finish_column(w, psi_rowsum);
  }

 private:
  /// Column w holds λ_w: makes it exp(ψ(λ_w) − ψ(Σ_w λ_kw) − m_w), and sets m_w.
  void finish_column(Eigen::Index w, const Eigen::ArrayXf& psi_rowsum);
};


/// Scratch space of the per-document step, reused across documents (no
/// allocation once it has grown to the longest document), and counters of
/// the work done with it. The step runs in single precision (γ and the
/// statistics in double); the K-vectors are padded as LdaBeta::scaled.
struct LdaWorkspace {
  Eigen::MatrixXf beta_d;     ///< padded K × n: LdaBeta::scaled of the document's words, column j contiguous
  Eigen::ArrayXf counts;      ///< n
  Eigen::ArrayXf phinorm;     ///< n: Σ_k e_k scaled_kw
  Eigen::ArrayXf exp_theta;   ///< padded K: e_k = exp(E[log θ_k] − max_j E[log θ_j]), 0 in the padding
  Eigen::ArrayXf psi_gamma;   ///< padded K: ψ(γ_k) of the γ that exp_theta is of (ψ(1) in the padding)
  Eigen::ArrayXf t;           ///< padded K: Σ_w scaled_kw c_w / phinorm_w
  Eigen::ArrayXd gamma;       ///< K: γ of the caller's document (lda_local_step leaves it alone)
  std::vector<std::int32_t> observed, heldout, observed_ids, observed_counts;  ///< scratch of lda_heldout_score
  std::int64_t iterations = 0;       ///< inner iterations run, summed over documents
  std::int64_t word_iterations = 0;  ///< Σ over those iterations of the document's n;
                                     ///< flops = kLdaFlopsPerWordTopic · K · word_iterations
};

/// One workspace per thread: the documents of a call are spread over
/// ws.size() OpenMP threads (see LdaOptions::threads).
using LdaWorkspaces = std::vector<LdaWorkspace>;

/// The per-document mean-field iteration of Hoffman, Blei & Bach (2010):
///     φ_wk ∝ exp(E[log θ_k] + E[log β_kw]),  γ = α + Σ_w c_w φ_w,
/// repeated from the given γ until mean |Δγ| < tol or max_iters iterations.
/// Leaves in ws the e and phinorm of the final γ (for lda_add_stats and lda_elbo_terms).
/// @param ids, counts   the document's distinct word ids and their counts (n each)
/// @param alpha         α, K values
/// @param gamma         in: initial γ (K); out: the final γ
/// @param stats         if not null, K × V: adds c_w φ_wk (from the final γ) at column w
///                      (lda_add_stats of ws.exp_theta and c_w / ws.phinorm)
void lda_local_step(const LdaBeta& beta, std::span<const std::int32_t> ids, std::span<const std::int32_t> counts,
                    const Eigen::ArrayXd& alpha, int max_iters, double tol, Eigen::ArrayXd& gamma,
                    Eigen::Map<Eigen::MatrixXd>* stats, LdaWorkspace& ws);

/// The document's ELBO terms after lda_local_step left γ and ws, with φ optimal:
///     Σ_w c_w log Σ_k exp(E[log θ_k] + E[log β_kw]) − KL(Dir(γ) ‖ Dir(α)).
double lda_elbo_terms(const LdaBeta& beta, std::span<const std::int32_t> ids, const Eigen::ArrayXd& gamma,
                      const Eigen::ArrayXd& alpha, const LdaWorkspace& ws);

/// Adds the statistics of a document after lda_local_step: c_w φ_wk =
/// e_k scaled_kw c_w / phinorm_w at column columns_j of `stats` for its j-th word w = ids_j.
/// @param exp_theta e of the document (K) @param weights c_w / phinorm_w of each word (n)
void lda_add_stats(const LdaBeta& beta, std::span<const std::int32_t> ids, std::span<const std::int32_t> columns,
                   const Eigen::Ref<const Eigen::ArrayXf>& exp_theta, const float* weights,
                   Eigen::Map<Eigen::MatrixXd>& stats);

/// exp(E_q[log β_kw]) = exp(ψ(λ_kw) − ψ(Σ_w λ_kw)) of λ (K × V), as LdaBeta.
LdaBeta lda_exp_elog_beta(const Eigen::MatrixXd& lambda);

/// Infers a document's γ with the local step from the fixed start γ_k = 1 (the
/// mean of the training start), so that the result is a function of λ alone.
void lda_infer(const LdaBeta& beta, std::span<const std::int32_t> ids, std::span<const std::int32_t> counts,
               const LdaOptions& options, Eigen::ArrayXd& gamma, LdaWorkspace& ws);

/// γ of every document of `corpus` by lda_infer, document d's K values at [d·K, (d + 1)·K) (a row-major
/// documents × K table), the documents spread over ws.size() threads; the same whatever the thread count.
std::vector<double> lda_infer_corpus(const LdaBeta& beta, const io::Corpus& corpus, const LdaOptions& options,
                                     LdaWorkspaces& ws);

/// The document-completion split of a held-out document: its tokens expanded
/// in increasing word-id order, position i held out when i % 5 == 4.
/// Writes the observed and held-out count of each of the document's words.
void lda_completion_split(std::span<const std::int32_t> counts, std::vector<std::int32_t>& observed,
                          std::vector<std::int32_t>& heldout);

/// The document-completion score of held-out documents (see README, Held-out
/// perplexity): Σ over held-out tokens of log Σ_k θ̄_k β̄_kw, and their count.
/// @param lambda        K × V, in blocks of K (the columns)
/// @param beta          exp(E_q[log β]) of lambda; only the columns of the
///                      held-out documents' words are read
/// @param ws            one per thread; the score is the same whatever the thread count
ScoreSum lda_heldout_score(const GlobalParams& lambda, const LdaBeta& beta,
                           const io::Corpus& heldout, const LdaOptions& options, LdaWorkspaces& ws);

/// Why data score nothing: the message of lda_perplexity without held-out tokens.
inline constexpr const char* kLdaNothingHeldOut =
    "no token is held out: document completion holds out every fifth token of each document, and documents of "
    "fewer than 5 tokens hold out none";

/// The held-out perplexity of a summed score: exp(−Σ log scores / tokens).
/// @throws natgrad::Error kLdaNothingHeldOut if no token was held out
double lda_perplexity(const ScoreSum& total);

/// λ's layout: one tensor "lambda" [K, V], stored word-major (entry (k, w) at w·K + k).
io::Layout lda_layout(Eigen::Index topics, Eigen::Index vocab_size);

class LdaModel final : public Model {
 public:
  /// @param train   this rank's shard of the training corpus
  /// @param heldout this rank's shard of the held-out corpus, if any (same V)
  /// @param total_tokens tokens of the whole training corpus (for description())
  LdaModel(io::Corpus train, std::optional<io::Corpus> heldout, const LdaOptions& options,
           std::int64_t total_tokens = 0);

  std::string type() const override { return "lda"; }
  std::string item_name() const override { return "docs"; }
  std::string item_plural() const override { return "documents"; }
  std::string description() const override;
  std::int64_t num_train() const override { return train_.total_docs; }
  Range train_shard() const override { return {train_.first_doc, train_.first_doc + train_.num_docs()}; }
  Eigen::Index global_size() const override { return topics_ * vocab_size_; }
  io::Layout layout() const override { return lda_layout(topics_, vocab_size_); }
  /// The float copy of exp(E[log β]) (padded K × V) and V column marks and slots.
  double state_bytes() const override;
  io::Group file_contents(const Eigen::VectorXd& lambda) const override;
  Eigen::Index global_block_size() const override { return topics_; }
  void touched_blocks(std::span<const std::int64_t> ids, std::vector<std::int64_t>& blocks) const override;
  std::string describe_index(Eigen::Index index) const override;
  Eigen::VectorXd prior() const override;
  Eigen::VectorXd initial_global(std::uint64_t seed, int part, int parts) const override;
  void set_global(const GlobalParams& lambda) override;
  void add_local_stats(std::span<const std::int64_t> ids, std::span<const std::int64_t> blocks,
                       Eigen::Ref<Eigen::VectorXd> stats) override;
  ScoreSum heldout_partial() override;
  double heldout_metric(const ScoreSum& total) const override;
  std::string heldout_name() const override { return "perplexity"; }
  /// With eval.coherence: the mean over topics of each measure (umass, npmi) over the training documents.
  std::vector<std::string> extra_names() const override;
  std::vector<double> extra_partial() override;
  std::vector<double> extra_values(const std::vector<double>& total) const override;
  double elbo_local_partial() override;
  double elbo_global() const override;
  /// model.alpha = auto: "alpha", statistics Σ_d E[log θ_dk] (K) of the minibatch's documents;
  /// model.eta = auto: "eta", from Σ_kw E[log β_kw] of λ (a pass over all of λ).
  std::vector<std::string> learned_names() const override;
  Eigen::Index learned_stats_size() const override { return options_.learn_alpha ? topics_ : 0; }
  Eigen::VectorXd learned_value(std::size_t j) const override;
  std::unique_ptr<expfam::PriorObjective> learned_objective(std::size_t j, std::span<const double> stats,
                                                            double batch) const override;
  void set_learned(std::size_t j, const Eigen::VectorXd& value) override;
  bool learned_in_prior(std::size_t j) const override { return learned_names()[j] == "eta"; }
  /// The learned α and η of a checkpoint (or of the model a fit continues).
  void adopt(const io::ModelFile& file) override;

  /// Whether the model has held-out documents, and the tokens document completion
  /// holds out of this rank's (lda_completion_split).
  bool has_heldout() const { return heldout_.has_value(); }
  std::int64_t heldout_tokens() const;

  Eigen::Index topics() const { return topics_; }
  Eigen::Index vocab_size() const { return vocab_size_; }
  const LdaOptions& options() const { return options_; }
  /// Work of this rank's local steps so far (training, held-out scoring and
  /// ELBO alike, all threads): inner iterations and Σ n over them (see kLdaFlopsPerWordTopic).
  std::int64_t local_iterations() const;
  std::int64_t local_word_iterations() const;

 private:
  Eigen::Index topics_;
  Eigen::Index vocab_size_;
  std::int64_t total_tokens_;
  LdaOptions options_;
  io::Corpus train_;
  std::optional<io::Corpus> heldout_;
  const GlobalParams* lambda_ = nullptr;  ///< the current λ (set_global), K × V in blocks of K
  /// Makes the columns `ids` of beta_ current for the current λ.
  void refresh_columns(std::span<const std::int32_t> ids);

  std::optional<CoherenceCounts> coherence_;  ///< of the top words at the last evaluation (eval.coherence)
  LdaBeta beta_;                   ///< exp(E[log β]); column w valid when column_version_[w] == version_
  Eigen::ArrayXf psi_rowsum_;      ///< K: ψ(Σ_w λ_kw), from the sums kept by GlobalParams
  std::vector<std::uint64_t> column_version_;
  std::uint64_t version_ = 0;      ///< incremented by set_global
  LdaWorkspaces ws_;               ///< one per thread
  std::vector<std::int32_t> stale_;    ///< scratch of refresh_columns
  std::vector<std::int32_t> words_;    ///< scratch of add_local_stats: the documents' words, one after the other
  std::vector<std::int32_t> columns_;  ///< scratch of add_local_stats: the column of `stats` of each of words_
  std::vector<std::int32_t> slot_;     ///< V: column of word w in the last add_local_stats' `stats`
  std::vector<float> doc_theta_;       ///< scratch of add_local_stats: K × documents, e of lda_local_step
  std::vector<float> doc_weights_;     ///< scratch of add_local_stats: c_w / phinorm_w of their words
  std::vector<double> doc_elog_theta_;  ///< scratch of add_local_stats (model.alpha = auto): K × documents, E[log θ_d]
};

/// λ (or s) as the K × V matrix it is.
inline Eigen::Map<const Eigen::MatrixXd> lda_topics(const Eigen::VectorXd& flat, Eigen::Index topics) {
  return {flat.data(), topics, flat.size() / topics};
}

}  // namespace natgrad::models
