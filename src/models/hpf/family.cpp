// Hierarchical Poisson factorization as a model family: its job keys, its
// model, its model file and predictor (held-out scores, factors of users and
// their recommendations), and `natgrad synth hpf`.

#include "natgrad/models/hpf/family.hpp"

#include <cstdio>
#include <limits>

#include "natgrad/error.hpp"
#include "natgrad/models/hpf/hpf.hpp"
#include "natgrad/models/hpf/synth.hpp"
#include "parallel.hpp"

namespace natgrad::models {

namespace {

using config::Type;

constexpr const char* kPriorNames[] = {"a", "a_prime", "b_prime", "c", "c_prime", "d_prime"};

double& prior_field(HpfPrior& p, int i) {
  double* fields[] = {&p.a, &p.a_prime, &p.b_prime, &p.c, &p.c_prime, &p.d_prime};
  return *fields[i];
}

// Numbers > 1 (synth's a′ and c′, for which the expected counts are finite).
config::Rule above_one() {
  return {"a finite number > 1", [](const config::Value& v) {
            const double x = std::get<double>(v);
            return std::isfinite(x) && x > 1.0 ? std::string() : std::string("a finite number > 1");
          }};
}

struct Sizes {
  std::int64_t factors = 0;
  std::int64_t items = 0;
};

Sizes file_sizes(const io::ModelFile& file) {
  const Sizes s{file.model.attr_int("/model", "factors"), file.model.attr_int("/model", "items")};
  if (s.factors < 1 || s.items < 1 || s.factors > (std::int64_t{1} << 24) || s.items > INT32_MAX) {
    throw Error(file.model.file() + ": '/model' factors = " + std::to_string(s.factors) + ", items = " +
                std::to_string(s.items) + "; expected 1 <= factors <= 2^24 and 1 <= items < 2^31");
  }
  return s;
}

HpfPrior prior_of_file(const io::ModelFile& file) {
  HpfPrior p;
  for (int i = 0; i < 6; ++i) {
    prior_field(p, i) = file.model.attr_double("/model/prior", kPriorNames[i]);
    if (!(prior_field(p, i) > 0) || !std::isfinite(prior_field(p, i))) {
      throw Error(file.model.file() + ": '/model/prior' " + kPriorNames[i] + " is not a finite number > 0");
    }
  }
  return p;
}

// An integer job key of the file's configuration, or `fallback` if it has none.
std::int64_t config_integer(const io::ModelFile& file, const std::string& key, std::int64_t fallback) {
  const std::string text = file.config_value(key);
  return text.empty() ? fallback : std::stoll(text);
}

class HpfPredictor final : public Predictor {
 public:
  HpfPredictor(const io::ModelFile& file, const LocalOptions& local)
      : sizes_(file_sizes(file)),
        lambda_(Eigen::VectorXd::Zero(hpf_layout(sizes_.factors, sizes_.items).size),
                file.lambda(hpf_layout(sizes_.factors, sizes_.items)), sizes_.factors + 1, sizes_.factors),
        vocab_(file.vocab),
        top_(local.top),
        ws_(static_cast<std::size_t>(local.threads)) {
    options_.factors = sizes_.factors;
    options_.prior = prior_of_file(file);
    options_.local_max_iters = local.max_iters;
    options_.local_tol = local.tol;
    options_.threads = local.threads;
    options_.top_k = config_integer(file, "model.top_k", options_.top_k);
    options_.ranking_users = config_integer(file, "model.ranking_users", options_.ranking_users);
    hpf_items(lambda_, options_.prior, local.threads, beta_);
    beta_.exp_elog.resize(sizes_.factors, sizes_.items);
    std::vector<std::int32_t> all(static_cast<std::size_t>(sizes_.items));
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::int32_t>(i);
    hpf_set_columns(lambda_, all, beta_);
    ranking_beta_ = hpf_expected_beta(lambda_).cast<float>();
  }

  std::int64_t columns() const override { return sizes_.items; }

  bool scores_need_training_data() const override { return true; }
  void use_training_data(io::Shard train) override { train_ = std::get<io::Corpus>(std::move(train)); }

  std::vector<double> score(const io::Shard& shard) override {
    const HpfScores s =
        hpf_heldout_sums(beta_, lambda_, ranking_beta_, train_, std::get<io::Corpus>(shard), options_, ws_);
    return {s.begin(), s.end()};
  }

  double metric(const std::vector<double>& total) const override {
    return total[1] > 0 ? total[0] / total[1] : std::nan("");
  }

  std::string report(const std::vector<double>& total, const std::string& model, const std::string& data) const override {
    const double users = total[5];
    const std::string k = std::to_string(options_.top_k);
    char line[256];
    std::snprintf(line, sizeof line, "%.6f per held-out non-zero; precision@%s %.6f, recall@%s %.6f, NDCG@%s %.6f",
                  metric(total), k.c_str(), total[2] / users, k.c_str(), total[3] / users, k.c_str(), total[4] / users);
    return std::string("held-out Poisson log-likelihood ") + line + " of " + model + " on " + data + " (" +
           std::to_string(static_cast<std::int64_t>(total[1])) + " held-out non-zeros; " +
           std::to_string(static_cast<std::int64_t>(users)) + " users ranked)";
  }

  std::vector<io::ItemTable> infer(const io::Shard& shard) override {
    // Each user's factors from its entries with β fixed (a user unseen in
    // training too), and its top items among those it has no entry for.
    const auto& users = std::get<io::Corpus>(shard);
    const Eigen::Index k = sizes_.factors;
    const std::int64_t n = users.num_docs();
    Eigen::MatrixXd shape(k, n), rate(k, n);
    std::vector<double> activity(static_cast<std::size_t>(n));
    std::vector<std::span<const std::int32_t>> exclude;
    for (std::int64_t d = 0; d < n; ++d) exclude.push_back(users.doc_words(d));
    detail::for_each_parallel(n, options_.threads, [&](std::int64_t d, std::size_t thread) {
      HpfWorkspace& ws = ws_[thread];
      hpf_local_step(beta_, exclude[static_cast<std::size_t>(d)], users.doc_counts(d), options_, ws);
      shape.col(d) = ws.shape.matrix();
      rate.col(d) = ws.rate.matrix();
      activity[static_cast<std::size_t>(d)] =
          (options_.prior.a_prime + static_cast<double>(k) * options_.prior.a) / ws.activity_rate;
    });
    const Eigen::MatrixXd theta = shape.cwiseQuotient(rate);
    std::vector<std::vector<std::int32_t>> best;
    hpf_rank(ranking_beta_, theta.cast<float>(), exclude, top_, options_.threads, best);
    std::vector<double> ids, names, top, top_scores;
    for (std::int64_t d = 0; d < n; ++d) {
      ids.push_back(static_cast<double>(users.doc_ids[static_cast<std::size_t>(d)]));
      names.push_back(static_cast<double>(users.first_doc + d));
      const std::vector<std::int32_t>& b = best[static_cast<std::size_t>(d)];
      for (std::int64_t r = 0; r < top_; ++r) {
        const bool has = r < static_cast<std::int64_t>(b.size());
        const std::int32_t item = has ? b[static_cast<std::size_t>(r)] : -1;
        top.push_back(item);
        top_scores.push_back(has ? hpf_expected_count(lambda_, item, theta.col(d).array()) : std::nan(""));
      }
    }
    const auto rows = [](const Eigen::MatrixXd& m) {  // K × n to n rows of K
      return std::vector<double>(m.data(), m.data() + m.size());
    };
    // Moved in one by one: a braced list's elements are copied.
    std::vector<io::ItemTable> tables;
    tables.push_back({"theta", k, false, rows(theta)});
    tables.push_back({"theta_shape", k, false, rows(shape)});
    tables.push_back({"theta_rate", k, false, rows(rate)});
    tables.push_back({"activity", 0, false, std::move(activity)});
    tables.push_back({"user_ids", 0, true, std::move(ids)});
    if (users.named_docs) tables.push_back({"user_names", 0, true, std::move(names), users.doc_names});
    tables.push_back({"recommended", top_, true, top});
    if (!vocab_.empty()) tables.push_back({"recommended_names", top_, true, top, vocab_});
    tables.push_back({"recommended_scores", top_, false, std::move(top_scores)});
    return tables;
  }

  io::Group theta_attributes(std::int64_t items) const override {
    io::Group g;
    g.set("/", "num_users", items);
    g.set("/", "factors", sizes_.factors);
    g.set("/", "top", top_);
    return g;
  }

  std::string inferred(std::int64_t items) const override {
    return "factors of " + std::to_string(items) + " users and their top " + std::to_string(top_) + " items";
  }

 private:
  Sizes sizes_;
  GlobalParams lambda_;  ///< base 0: λ exactly as the file holds it
  std::vector<std::string> vocab_;
  std::int64_t top_;
  HpfOptions options_;
  HpfItems beta_;
  Eigen::MatrixXf ranking_beta_;  ///< E[β] (K × I) in single precision, to rank items by
  io::Corpus train_;
  std::vector<HpfWorkspace> ws_;
};

class Hpf final : public Family {
 public:
  std::string type() const override { return "hpf"; }
  std::string summary() const override { return "factors of users × items counts, hierarchical Poisson factorization"; }

  std::vector<config::Option> options() const override {
    using config::option;
    using config::positive;
    return {config::required_option("model.factors", Type::kInteger, config::at_least(1), "number of factors K"),
            option("model.a", Type::kNumber, 0.3, positive(), "shape a of the Gamma prior on a user's preferences θ_uk (rate ξ_u)"),
            option("model.a_prime", Type::kNumber, 0.3, positive(), "shape a′ of the Gamma prior on a user's activity ξ_u"),
            option("model.b_prime", Type::kNumber, 1.0, positive(), "b′: a user's activity ξ_u ~ Gamma(a′, a′/b′), mean b′"),
            option("model.c", Type::kNumber, 0.3, positive(), "shape c of the Gamma prior on an item's attributes β_ik (rate η_i)"),
            option("model.c_prime", Type::kNumber, 0.3, positive(), "shape c′ of the Gamma prior on an item's popularity η_i"),
            option("model.d_prime", Type::kNumber, 1.0, positive(), "d′: an item's popularity η_i ~ Gamma(c′, c′/d′), mean d′"),
            option("model.top_k", Type::kInteger, std::int64_t{20}, config::at_least(1),
                   "k of the held-out precision@k, recall@k and NDCG@k"),
            option("model.ranking_users", Type::kInteger, std::int64_t{1000}, config::at_least(0),
                   "the held-out ranking metrics score every ⌈U / this⌉-th user (the users with held-out items "
                   "among them; 0: every user)")};
  }

  io::DataKind data_kind() const override { return io::DataKind::kCorpus; }

  std::unique_ptr<Model> make_model(const config::ModelConfig& model, const config::SolverConfig& solver,
                                    io::DataSource& data, comm::Communicator& comm) const override {
    HpfOptions options;
    options.factors = model.values.integer("model.factors");
    for (int i = 0; i < 6; ++i) prior_field(options.prior, i) = model.values.number(std::string("model.") + kPriorNames[i]);
    options.top_k = model.values.integer("model.top_k");
    options.ranking_users = model.values.integer("model.ranking_users");
    options.local_max_iters = static_cast<int>(solver.local_max_iters);
    options.local_tol = solver.local_tol;
    options.threads = static_cast<int>(solver.threads);
    std::unique_ptr<Model> out;
    comm::agree(comm, [&] {
      out = std::make_unique<HpfModel>(data.take_train<io::Corpus>(), data.take_heldout<io::Corpus>(), options,
                                       data.fingerprint().num_tokens);
    });
    return out;
  }

  void check_file(const io::ModelFile& file) const override {
    const Sizes s = file_sizes(file);
    prior_of_file(file);
    const Eigen::VectorXd lambda = file.lambda(hpf_layout(s.factors, s.items));
    const Eigen::Index block = s.factors + 1;
    const auto fail = [&](const char* what) { throw Error(file.model.file() + ": '/model/" + what); };
    for (Eigen::Index i = 0; i < s.items; ++i) {
      if (!(lambda.segment(i * block, s.factors).array() > 0).all()) fail("shape' has values that are not > 0");
      if (!(lambda[i * block + s.factors] > 0)) fail("rate_item' has values that are not > 0");
    }
    if (!(lambda.tail(s.factors).array() >= 0).all()) fail("rate_shared' has values that are < 0");
    if (!file.vocab.empty() && static_cast<std::int64_t>(file.vocab.size()) != s.items) {
      throw Error(file.model.file() + ": '/vocab' has " + std::to_string(file.vocab.size()) +
                  " names; the model has items = " + std::to_string(s.items));
    }
  }

  io::Layout file_layout(const io::ModelFile& file) const override {
    const Sizes s = file_sizes(file);
    return hpf_layout(s.factors, s.items);
  }


  std::unique_ptr<Predictor> make_predictor(const io::ModelFile& file, const LocalOptions& local) const override {
    return std::make_unique<HpfPredictor>(file, local);
  }

  std::string synth_usage() const override {
    return "usage: natgrad synth hpf --users U --items I --factors K --out COUNTS.h5 [options]\n"
           "Draws users x items counts from hierarchical Poisson factorization's generative model (users as\n"
           "the corpus's documents, items as its words); the true θ, β, activities and popularities go to\n"
           "/truth in the file. d' is set so that a user's expected total count is --counts-per-user.\n";
  }

  std::vector<config::Option> synth_options() const override {
    using config::option;
    using config::positive;
    return {option("users", Type::kInteger, std::int64_t{1000}, config::at_least(1), "users U"),
            option("items", Type::kInteger, std::int64_t{1000}, config::int32_count(), "items I"),
            option("factors", Type::kInteger, std::int64_t{10}, config::at_least(1), "factors K"),
            option("counts-per-user", Type::kNumber, 20.0, positive(), "expected total count of a user"),
            option("a", Type::kNumber, 0.3, positive(), "shape a of the preferences θ_uk"),
            option("a-prime", Type::kNumber, 3.0, above_one(), "shape a′ of the activities ξ_u"),
            option("b-prime", Type::kNumber, 1.0, positive(), "mean b′ of the activities"),
            option("c", Type::kNumber, 0.3, positive(), "shape c of the attributes β_ik"),
            option("c-prime", Type::kNumber, 3.0, above_one(), "shape c′ of the popularities η_i"),
            option("seed", Type::kInteger, std::int64_t{1}, config::at_least(0), "random seed")};
  }

  Synthetic synthesize(const config::Values& v) const override {
    HpfSynthOptions o;
    o.users = v.integer("users");
    o.items = v.integer("items");
    o.factors = v.integer("factors");
    o.counts_per_user = v.number("counts-per-user");
    o.prior.a = v.number("a");
    o.prior.a_prime = v.number("a-prime");
    o.prior.b_prime = v.number("b-prime");
    o.prior.c = v.number("c");
    o.prior.c_prime = v.number("c-prime");
    o.seed = static_cast<std::uint64_t>(v.integer("seed"));
    HpfTruth truth;
    Synthetic out{hpf_synthesize(o, truth), io::Group()};
    const auto rows = [](const Eigen::MatrixXd& m) {
      const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> r = m;
      return std::vector<double>(r.data(), r.data() + r.size());
    };
    const auto k = static_cast<std::uint64_t>(o.factors);
    out.truth.add_group("/truth");
    out.truth.add("/truth/theta", {static_cast<std::uint64_t>(o.users), k}, rows(truth.theta));
    out.truth.add("/truth/beta", {static_cast<std::uint64_t>(o.items), k}, rows(truth.beta));
    out.truth.add("/truth/activity", {static_cast<std::uint64_t>(o.users)},
                  std::vector<double>(truth.activity.begin(), truth.activity.end()));
    out.truth.add("/truth/popularity", {static_cast<std::uint64_t>(o.items)},
                  std::vector<double>(truth.popularity.begin(), truth.popularity.end()));
    for (int i = 0; i < 6; ++i) {
      HpfPrior p = o.prior;
      p.d_prime = truth.d_prime;
      out.truth.set("/truth", kPriorNames[i], prior_field(p, i));
    }
    out.truth.set("/truth", "factors", v.integer("factors"));
    out.truth.set("/truth", "seed", v.integer("seed"));
    return out;
  }
};

}  // namespace

const Family& hpf_family() {
  static const Hpf family;
  return family;
}

}  // namespace natgrad::models
