// Latent Dirichlet allocation as a model family: its job keys, its model, its
// model file and predictor, and `natgrad synth lda`.

#include "natgrad/models/lda/family.hpp"

#include <cmath>
#include <cstdio>
#include <optional>
#include <numeric>

#include "natgrad/error.hpp"
#include "natgrad/memory.hpp"
#include "natgrad/models/lda/lda.hpp"
#include "natgrad/models/lda/synth.hpp"

namespace natgrad::models {

namespace {

using config::Type;

// Lists of numbers each > 0.
config::Rule all_positive() {
  config::Rule rule;
  rule.text = "finite numbers > 0";
  rule.check = [text = rule.text](const config::Value& v) {
    for (const double x : std::get<std::vector<double>>(v)) {
      if (!(x > 0) || !std::isfinite(x)) return text;
    }
    return std::string();
  };
  return rule;
}

// 1/K, the default of both priors.
std::optional<config::Value> one_over_topics(const config::Values& v) {
  return 1.0 / static_cast<double>(v.integer("model.topics"));
}

// The sizes a model file of this family gives in /model's attributes.
struct Sizes {
  std::int64_t topics = 0;
  std::int64_t vocab_size = 0;
};

Sizes file_sizes(const io::ModelFile& file) {
  const Sizes s{file.model.attr_int("/model", "topics"), file.model.attr_int("/model", "vocab_size")};
  if (s.topics < 1 || s.vocab_size < 1 || s.topics > (std::int64_t{1} << 24) || s.vocab_size > INT32_MAX) {
    throw Error(file.model.file() + ": '/model' topics = " + std::to_string(s.topics) + ", vocab_size = " +
                std::to_string(s.vocab_size) + "; expected 1 <= topics <= 2^24 and 1 <= vocab_size < 2^31");
  }
  return s;
}

// λ of a checked model file as the K × V matrix it is.
Eigen::MatrixXd file_topics(const io::ModelFile& file) {
  const Sizes s = file_sizes(file);
  const Eigen::VectorXd flat = file.lambda(lda_layout(s.topics, s.vocab_size));
  return Eigen::Map<const Eigen::MatrixXd>(flat.data(), s.topics, s.vocab_size);
}

class LdaPredictor final : public Predictor {
 public:
  LdaPredictor(const io::ModelFile& file, const LocalOptions& local)
      : lambda_(file_topics(file)), vocab_(file.vocab), beta_(lda_exp_elog_beta(lambda_)),
        ws_(static_cast<std::size_t>(local.threads)) {
    options_.topics = lambda_.rows();
    const std::vector<double>& alpha = file.model.numbers("/model/alpha", {static_cast<std::uint64_t>(lambda_.rows())});
    options_.alpha = Eigen::Map<const Eigen::ArrayXd>(alpha.data(), lambda_.rows());
    options_.local_max_iters = local.max_iters;
    options_.local_tol = local.tol;
    options_.threads = local.threads;
  }

  std::int64_t columns() const override { return lambda_.cols(); }

  std::vector<double> score(const io::Shard& shard) override {
    const ScoreSum s = lda_heldout_score(params(), beta_, std::get<io::Corpus>(shard), options_, ws_);
    return {s.log_score, s.count};
  }

  double metric(const std::vector<double>& total) const override { return lda_perplexity({total[0], total[1]}); }

  std::string report(const std::vector<double>& total, const std::string& model, const std::string& data) const override {
    char line[64];
    std::snprintf(line, sizeof line, "%.4f", metric(total));
    return std::string("held-out perplexity ") + line + " of " + model + " on " + data + " (" +
           std::to_string(static_cast<std::int64_t>(total[1])) + " held-out tokens)";
  }

  std::vector<io::ItemTable> infer(const io::Shard& shard) override {
    const auto& corpus = std::get<io::Corpus>(shard);
    using Rows = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    std::vector<double> gammas = lda_infer_corpus(beta_, corpus, options_, ws_);
    const Eigen::Index k = options_.topics;
    const Eigen::Map<const Rows> gamma(gammas.data(), corpus.num_docs(), k);
    std::vector<double> theta = huge_vector<double>(gammas.size());
    Eigen::Map<Rows>(theta.data(), corpus.num_docs(), k) =
        (gamma.array().colwise() / gamma.rowwise().sum().array()).matrix();
    std::vector<double> lengths;
    for (std::int64_t d = 0; d < corpus.num_docs(); ++d) {
      const auto counts = corpus.doc_counts(d);
      lengths.push_back(static_cast<double>(std::accumulate(counts.begin(), counts.end(), std::int64_t{0})));
    }
    // Moved in one by one: a braced list's elements are copied (each table of θ and γ is D·K values).
    std::vector<io::ItemTable> tables;
    tables.push_back({"theta", k, false, std::move(theta)});
    tables.push_back({"gamma", k, false, std::move(gammas)});
    tables.push_back({"doc_ids", 0, true, {corpus.doc_ids.begin(), corpus.doc_ids.end()}});
    tables.push_back({"doc_lengths", 0, true, std::move(lengths)});
    return tables;
  }

  io::Group theta_attributes(std::int64_t items) const override {
    io::Group g;
    g.set("/", "num_docs", items);
    g.set("/", "topics", static_cast<std::int64_t>(options_.topics));
    return g;
  }

  std::string inferred(std::int64_t items) const override {
    return "topic proportions of " + std::to_string(items) + " documents";
  }

  std::vector<double> measure_partial(const config::Values& options, int rank, int size) override {
    if (!options.has("coherence")) return {};
    measures_ = coherence_measures("--coherence", options.text("coherence"));
    if (measures_.empty()) return {};
    if (!options.has("reference")) {
      throw Error("evaluate: --coherence needs --reference CORPUS.h5, the corpus whose documents it counts "
                  "co-occurrences in (with the model's vocabulary)");
    }
    const std::int64_t top = options.integer("top");
    if (top > lambda_.cols()) {
      throw Error("evaluate: --top " + std::to_string(top) + ": the model has " + std::to_string(lambda_.cols()) +
                  " words");
    }
    reference_ = options.text("reference");
    const io::DataInfo info = io::read_info(io::DataKind::kCorpus, reference_);
    io::require_columns(io::DataKind::kCorpus, reference_, info.columns, lambda_.cols(), "the model");
    const io::Shard shard = io::read_shard(io::DataKind::kCorpus, reference_, info.items, rank, size, false);
    counts_.emplace(lda_top_words(params(), top), lambda_.rows(), top, lambda_.cols());
    std::vector<double> sums(counts_->size(), 0.0);
    counts_->add(std::get<io::Corpus>(shard), sums);
    return sums;
  }

  std::string measure_report(const config::Values&, const std::vector<double>& total,
                             const std::string& model) const override {
    const CoherenceCounts& c = *counts_;
    std::string out = "coherence of the top " + std::to_string(c.top()) + " words of each of the " +
                      std::to_string(c.topics()) + " topics of " + model + " over document co-occurrence in " +
                      reference_ + " (" + std::to_string(static_cast<std::int64_t>(total[0])) + " documents)\ntopic";
    char cell[32];
    for (const Coherence m : measures_) {
      std::snprintf(cell, sizeof cell, " %9s", coherence_name(m).c_str());
      out += cell;
    }
    out += "  top words\n";
    for (std::int64_t k = 0; k < c.topics(); ++k) {
      std::snprintf(cell, sizeof cell, "%5lld", static_cast<long long>(k));
      out += cell;
      for (const Coherence m : measures_) {
        std::snprintf(cell, sizeof cell, " %9.4f", c.topic(m, total.data(), k));
        out += cell;
      }
      out += " ";
      for (std::int64_t i = 0; i < c.top(); ++i) {
        out += " " + vocab_[static_cast<std::size_t>(c.top_words()[static_cast<std::size_t>(k * c.top() + i)])];
      }
      out += "\n";
    }
    out += " mean";
    for (const Coherence m : measures_) {
      std::snprintf(cell, sizeof cell, " %9.4f", c.mean(m, total.data()));
      out += cell;
    }
    return out + "\n";
  }

 private:
  // λ as the solver's form of it, with base 0: exactly as the file holds it.
  GlobalParams params() const {
    const Eigen::Map<const Eigen::VectorXd> flat(lambda_.data(), lambda_.size());
    return {Eigen::VectorXd::Zero(flat.size()), flat, options_.topics};
  }

  Eigen::MatrixXd lambda_;  ///< K × V
  std::vector<std::string> vocab_;
  std::vector<Coherence> measures_;         ///< of the last measure_partial
  std::string reference_;
  std::optional<CoherenceCounts> counts_;
  LdaBeta beta_;
  LdaOptions options_;
  LdaWorkspaces ws_;
};

class Lda final : public Family {
 public:
  std::string type() const override { return "lda"; }
  std::string summary() const override { return "topics of a corpus, latent Dirichlet allocation"; }

  std::vector<config::Option> options() const override {
    return {config::required_option("model.topics", Type::kInteger, config::at_least(1), "number of topics K"),
            config::derived_option("model.alpha", Type::kNumberOrAuto, one_over_topics, "1/K",
                                   config::positive_or_auto(),
                                   "Dirichlet prior on each document's topic proportions θ: symmetric, or auto: "
                                   "learned (K values, from 1/K on; see the README)"),
            config::derived_option("model.eta", Type::kNumberOrAuto, one_over_topics, "1/K",
                                   config::positive_or_auto(),
                                   "symmetric Dirichlet prior on each topic β_k, or auto: learned (from 1/K on)"),
            config::option("model.init_scale", Type::kNumberOrAuto, 1.0, config::positive_or_auto(),
                           "mean of λ's initial entries (K × V draws of Gamma(100, 1/100) times it), or auto: "
                           "D / (20 B), D training documents, B solver.batch_size capped at D (see the README)"),
            config::option("eval.coherence", Type::kText, std::string("none"), coherence_rule(),
                           "topic coherence of each evaluation over the training documents, its mean over topics "
                           "in /history and the progress lines (see the README)"),
            config::option("eval.coherence_top", Type::kInteger, std::int64_t{10}, config::at_least(2),
                           "the top words of each topic that eval.coherence looks at")};
  }

  std::vector<config::Option> evaluate_options() const override {
    return {config::unset_option("coherence", Type::kText, "none", coherence_rule(),
                                 "topic coherence of each topic's top words over document co-occurrence in "
                                 "--reference"),
            config::option("top", Type::kInteger, std::int64_t{10}, config::at_least(2),
                           "the top words of each topic that --coherence looks at"),
            config::unset_option("reference", Type::kText, "none", {},
                                 "the corpus (with the model's vocabulary) in whose documents --coherence counts "
                                 "co-occurrences")};
  }

  io::DataKind data_kind() const override { return io::DataKind::kCorpus; }

  std::unique_ptr<Model> make_model(const config::ModelConfig& model, const config::SolverConfig& solver,
                                    io::DataSource& data, comm::Communicator& comm) const override {
    LdaOptions options;
    options.topics = model.values.integer("model.topics");
    // λ has K × V entries: K must not overflow what it is multiplied into.
    const std::int64_t v = data.fingerprint().vocab_size;
    comm::agree(comm, [&] {
      if (options.topics > (std::int64_t{1} << 50) / v) {
        config::bad("model.topics", std::to_string(options.topics),
                    "at most 2^50 / V = " + std::to_string((std::int64_t{1} << 50) / v) +
                        " (K × V entries of λ, V = " + std::to_string(v) + " words)");
      }
    });
    // A learned prior starts from the default, 1/K.
    const double start = 1.0 / static_cast<double>(options.topics);
    options.learn_alpha = model.values.is_auto("model.alpha");
    options.learn_eta = model.values.is_auto("model.eta");
    options.alpha = Eigen::ArrayXd::Constant(options.topics, options.learn_alpha ? start : model.values.number("model.alpha"));
    options.eta = options.learn_eta ? start : model.values.number("model.eta");
    options.init_scale = model.values.is_auto("model.init_scale")
                             ? lda_auto_init_scale(data.fingerprint().num_docs, solver.batch_size)
                             : model.values.number("model.init_scale");
    options.local_max_iters = static_cast<int>(solver.local_max_iters);
    options.local_tol = solver.local_tol;
    options.threads = static_cast<int>(solver.threads);
    options.coherence = coherence_measures("eval.coherence", model.values.text("eval.coherence"));
    options.coherence_top = model.values.integer("eval.coherence_top");
    std::unique_ptr<LdaModel> out;
    comm::agree(comm, [&] {
      out = std::make_unique<LdaModel>(data.take_train<io::Corpus>(), data.take_heldout<io::Corpus>(), options,
                                       data.fingerprint().num_tokens);
    });
    // Held-out documents that hold out no token would score nothing.
    std::uint64_t held[2] = {static_cast<std::uint64_t>(out->heldout_tokens()), out->has_heldout() ? 1u : 0u};
    comm.allreduce_sum(held);
    comm::agree(comm, [&] {
      if (held[1] > 0 && held[0] == 0) throw Error(std::string("data.heldout: ") + kLdaNothingHeldOut);
    });
    return out;
  }

  void check_file(const io::ModelFile& file) const override {
    const Sizes s = file_sizes(file);
    const Eigen::VectorXd lambda = file.lambda(lda_layout(s.topics, s.vocab_size));  // flat: no copy made
    if (!(lambda.array() > 0).all()) throw Error(file.model.file() + ": '/model/lambda' has values that are not > 0");
    const auto k = static_cast<std::uint64_t>(s.topics);
    for (const double a : file.model.numbers("/model/alpha", {k})) {
      if (!(a > 0)) throw Error(file.model.file() + ": '/model/alpha' has values that are not > 0");
    }
    if (!(file.model.numbers("/model/eta", {})[0] > 0)) throw Error(file.model.file() + ": '/model/eta' is not > 0");
    if (static_cast<std::int64_t>(file.vocab.size()) != s.vocab_size) {
      throw Error(file.model.file() + ": '/vocab' does not have vocab_size = " + std::to_string(s.vocab_size) +
                  " words");
    }
  }

  io::Layout file_layout(const io::ModelFile& file) const override {
    const Sizes s = file_sizes(file);
    return lda_layout(s.topics, s.vocab_size);
  }


  std::unique_ptr<Predictor> make_predictor(const io::ModelFile& file, const LocalOptions& local) const override {
    return std::make_unique<LdaPredictor>(file, local);
  }

  Eigen::VectorXd continue_lambda(const io::ModelFile& old, std::span<const std::int64_t> old_of_new,
                                  const Eigen::VectorXd& fresh) const override {
    // A column of λ is a word's K topics: known words keep theirs, new ones the fresh model's.
    const Eigen::MatrixXd before = file_topics(old);
    const auto v = static_cast<Eigen::Index>(old_of_new.size());
    const Eigen::Index k = fresh.size() / v;
    if (before.rows() != k) {
      throw Error(old.model.file() + ": --init-model has K = " + std::to_string(before.rows()) +
                  " topics; the job has model.topics = " + std::to_string(k));
    }
    Eigen::VectorXd out = fresh;
    Eigen::Map<Eigen::MatrixXd> after(out.data(), k, v);
    for (Eigen::Index j = 0; j < v; ++j) {
      if (old_of_new[static_cast<std::size_t>(j)] >= 0) after.col(j) = before.col(old_of_new[static_cast<std::size_t>(j)]);
    }
    return out;
  }

  std::string synth_usage() const override {
    return "usage: natgrad synth lda --topics K --vocab V --docs D --out CORPUS.h5 [options]\n"
           "Draws a corpus from LDA's generative model; the true topics go to /truth in the file.\n";
  }

  std::vector<config::Option> synth_options() const override {
    return {config::option("topics", Type::kInteger, std::int64_t{10}, config::at_least(1), "topics K"),
            config::option("vocab", Type::kInteger, std::int64_t{1000}, config::int32_count(), "vocabulary size V"),
            config::option("docs", Type::kInteger, std::int64_t{1000}, config::at_least(1), "documents D"),
            config::option("doc-length", Type::kNumber, 100.0, config::positive(),
                           "mean tokens per document (Poisson)"),
            config::option("alpha", Type::kNumbers, std::vector<double>{0.1}, all_positive(),
                           "Dirichlet concentration of theta: one number (symmetric) or K (one per topic)"),
            config::option("eta", Type::kNumber, 0.01, config::positive(), "Dirichlet concentration of the topics"),
            config::option("seed", Type::kInteger, std::int64_t{1}, config::at_least(0), "random seed")};
  }

  Synthetic synthesize(const config::Values& v) const override {
    LdaSynthOptions o;
    o.topics = v.integer("topics");
    o.vocab_size = v.integer("vocab");
    o.docs = v.integer("docs");
    o.doc_length = v.number("doc-length");
    o.alpha = v.numbers("alpha");
    if (o.alpha.size() != 1 && static_cast<std::int64_t>(o.alpha.size()) != o.topics) {
      throw Error("synth lda: --alpha has " + std::to_string(o.alpha.size()) + " numbers; expected 1 or K = " +
                  std::to_string(o.topics));
    }
    o.eta = v.number("eta");
    o.seed = static_cast<std::uint64_t>(v.integer("seed"));
    Eigen::MatrixXd topics;
    Synthetic out{lda_synthesize(o, topics), io::Group()};
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows = topics;
    out.truth.add_group("/truth");
    out.truth.add("/truth/topics", {static_cast<std::uint64_t>(o.topics), static_cast<std::uint64_t>(o.vocab_size)},
                  std::vector<double>(rows.data(), rows.data() + rows.size()));
    // α as K values whether given as one or K.
    out.truth.add("/truth/alpha", {static_cast<std::uint64_t>(o.topics)},
                  o.alpha.size() == 1 ? std::vector<double>(static_cast<std::size_t>(o.topics), o.alpha[0]) : o.alpha);
    out.truth.set("/truth", "eta", o.eta);
    out.truth.set("/truth", "seed", v.integer("seed"));
    return out;
  }
};

}  // namespace

const Family& lda_family() {
  static const Lda family;
  return family;
}

}  // namespace natgrad::models
