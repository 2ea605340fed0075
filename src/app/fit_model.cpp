#include "fit_model.hpp"

#include <Eigen/Dense>
#include <optional>
#include <sstream>

#include "natgrad/error.hpp"
#include "natgrad/io/corpus.hpp"
#include "natgrad/io/dense.hpp"
#include "natgrad/models/gmm.hpp"
#include "natgrad/models/lda.hpp"

namespace natgrad::app::detail {

models::Range shard_of(std::int64_t n, const comm::Communicator& comm) {
  return {n * comm.rank() / comm.size(), n * (comm.rank() + 1) / comm.size()};
}

namespace {

// Refuses data without items (documents, rows) or with fewer items than ranks.
void check_items(const std::string& path, std::int64_t n, const std::string& items, const comm::Communicator& comm) {
  if (n == 0) throw Error(path + ": the " + (items == "documents" ? "corpus has" : "data have") + " no " + items);
  if (n < comm.size()) {
    throw Error(path + ": " + std::to_string(n) + " " + items + " for " + std::to_string(comm.size()) +
                " ranks; every rank needs at least one " + items.substr(0, items.size() - 1));
  }
}

FitModel make_lda(const config::FitConfig& config, comm::Communicator& comm) {
  const bool root = comm.rank() == 0;
  io::CorpusInfo info;
  std::unique_ptr<models::LdaModel> model;
  auto vocab = std::make_shared<std::vector<std::string>>();
  comm::agree(comm, [&] {
    info = io::read_corpus_info(config.data.train);
    check_items(config.data.train, info.num_docs, "documents", comm);
    std::optional<io::Corpus> heldout;
    if (!config.data.heldout.empty()) {
      const io::CorpusInfo heldout_info = io::read_corpus_info(config.data.heldout);
      if (heldout_info.vocab_size != info.vocab_size) {
        throw Error(config.data.heldout + ": V = " + std::to_string(heldout_info.vocab_size) + " words, but " +
                    config.data.train + " has V = " + std::to_string(info.vocab_size) +
                    "; convert both with the same vocabulary");
      }
      const models::Range part = shard_of(heldout_info.num_docs, comm);
      heldout = io::read_corpus(config.data.heldout, part.begin, part.end, false);
    }
    const models::Range part = shard_of(info.num_docs, comm);
    io::Corpus train = io::read_corpus(config.data.train, part.begin, part.end, root);
    *vocab = std::move(train.vocab);
    models::LdaOptions options;
    options.topics = config.model.topics;
    options.alpha = config.model.alpha;
    options.eta = config.model.eta;
    options.local_max_iters = static_cast<int>(config.solver.local_max_iters);
    options.local_tol = config.solver.local_tol;
    options.threads = static_cast<int>(config.solver.threads);
    model = std::make_unique<models::LdaModel>(std::move(train), std::move(heldout), options);
  });
  std::uint64_t checksum = model->train_checksum_partial();
  comm.allreduce_sum(std::span(&checksum, 1));
  FitModel fit;
  fit.data = {info.num_docs, info.vocab_size, info.num_tokens, checksum};
  fit.description = "lda, K = " + std::to_string(config.model.topics) + ", " + std::to_string(info.num_docs) +
                    " documents, " + std::to_string(info.vocab_size) + " words, " +
                    std::to_string(info.num_tokens) + " tokens";
  fit.items = "documents";
  fit.fit_keys = {"model.topics", "model.alpha", "model.eta"};
  const Eigen::Index k = config.model.topics;
  const auto& m = config.model;
  fit.save = [k, m, vocab](const Eigen::VectorXd& lambda, io::ModelFileContents& c) {
    c.lambda = models::lda_topics(lambda, k);
    c.alpha = Eigen::VectorXd::Constant(k, m.alpha);
    c.eta = m.eta;
    c.vocab = *vocab;
  };
  const std::int64_t v = info.vocab_size;
  fit.load = [k, v](const io::ModelFileContents& saved, const std::string& path) {
    if (saved.lambda.rows() != k || saved.lambda.cols() != v) {
      throw Error(path + ": does not fit this job: '/model/lambda' is " + std::to_string(saved.lambda.rows()) +
                  " x " + std::to_string(saved.lambda.cols()) + ", the job's is K x V = " + std::to_string(k) +
                  " x " + std::to_string(v));
    }
    return Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(saved.lambda.data(), saved.lambda.size()));
  };
  fit.model = std::move(model);
  return fit;
}

// The prior of the job's keys, with the data's mean and covariance where a key is not set.
models::GmmPrior gmm_prior(const config::ModelConfig& m, const Eigen::VectorXd& data_mean,
                           const Eigen::MatrixXd& data_covariance) {
  const Eigen::Index d = data_mean.size();
  const std::string dim = "the data have D = " + std::to_string(d) + " columns";
  models::GmmPrior p;
  p.weight_concentration = m.weight_concentration;
  p.mean_precision = m.mean_precision;
  if (m.mean.empty()) {
    p.mean = data_mean;
  } else if (static_cast<Eigen::Index>(m.mean.size()) == d) {
    p.mean = Eigen::Map<const Eigen::VectorXd>(m.mean.data(), d);
  } else {
    throw Error("model.mean has " + std::to_string(m.mean.size()) + " numbers; expected D = " + std::to_string(d) +
                " (" + dim + ")");
  }
  const bool diagonal = m.covariance == "diag";
  // A diag component is a product of 1-D Normal-Gammas: ν₀ > 0 suffices; a full one needs ν₀ > D − 1.
  p.degrees_of_freedom = m.degrees_of_freedom == 0.0 ? static_cast<double>(d) : m.degrees_of_freedom;
  const double least = diagonal ? 0.0 : static_cast<double>(d - 1);
  if (!(p.degrees_of_freedom > least)) {
    std::ostringstream text;
    text << "model.degrees_of_freedom = " << p.degrees_of_freedom << ": expected a number > " << least << " (" << dim
         << ")";
    throw Error(text.str());
  }
  const auto n = static_cast<Eigen::Index>(m.scale.size());
  if (n == 0) {
    p.scale = data_covariance + 1e-6 * Eigen::MatrixXd::Identity(d, d);
  } else if (n == 1) {
    p.scale = m.scale[0] * Eigen::MatrixXd::Identity(d, d);
  } else if (n == d) {
    p.scale = Eigen::Map<const Eigen::VectorXd>(m.scale.data(), d).asDiagonal();
  } else if (n == d * d && !diagonal) {
    p.scale = Eigen::Map<const Eigen::MatrixXd>(m.scale.data(), d, d).transpose();
    if (!p.scale.isApprox(p.scale.transpose(), 1e-12)) throw Error("model.scale: the matrix is not symmetric");
  } else {
    throw Error("model.scale has " + std::to_string(n) + " numbers; expected 1, D = " + std::to_string(d) +
                (diagonal ? "" : " or D*D = " + std::to_string(d * d)) + " (" + dim + ")");
  }
  if (diagonal) p.scale = Eigen::MatrixXd(p.scale.diagonal().asDiagonal());
  if (p.scale.llt().info() != Eigen::Success || !(p.scale.diagonal().array() > 0).all()) {
    throw Error(std::string("model.scale") + (n == 0 ? " (the data covariance)" : "") +
                ": not symmetric positive definite");
  }
  return p;
}

models::GmmOptions gmm_options(const config::ModelConfig& m, const Eigen::VectorXd& data_mean,
                               const Eigen::MatrixXd& data_covariance) {
  models::GmmOptions options;
  options.components = m.components;
  options.diagonal = m.covariance == "diag";
  options.prior = gmm_prior(m, data_mean, data_covariance);
  return options;
}

FitModel make_gmm(const config::FitConfig& config, comm::Communicator& comm) {
  io::DenseInfo info;
  io::DenseData train;
  std::optional<io::DenseData> heldout;
  comm::agree(comm, [&] {
    info = io::read_dense_info(config.data.train);
    check_items(config.data.train, info.num_rows, "rows", comm);
    if (!config.data.heldout.empty()) {
      const io::DenseInfo heldout_info = io::read_dense_info(config.data.heldout);
      if (heldout_info.num_cols != info.num_cols) {
        throw Error(config.data.heldout + ": D = " + std::to_string(heldout_info.num_cols) + " columns, but " +
                    config.data.train + " has D = " + std::to_string(info.num_cols));
      }
      const models::Range part = shard_of(heldout_info.num_rows, comm);
      heldout = io::read_dense(config.data.heldout, part.begin, part.end);
    }
    const models::Range part = shard_of(info.num_rows, comm);
    train = io::read_dense(config.data.train, part.begin, part.end);
  });
  const Eigen::Index d = info.num_cols;
  const std::int64_t n = info.num_rows;
  const Eigen::Map<const Eigen::MatrixXd> x(train.values.data(), d, train.num_rows());

  // One allreduce for the data moments (count, Σx, Σxxᵀ) and the rows that seed the start.
  const std::vector<std::int64_t> start_rows = models::gmm_start_rows(n, config.model.components, config.solver.seed);
  const auto m = static_cast<Eigen::Index>(start_rows.size());
  Eigen::VectorXd sums = Eigen::VectorXd::Zero(d + d * d + d * m);
  sums.head(d) = x.rowwise().sum();
  Eigen::Map<Eigen::MatrixXd>(sums.data() + d, d, d).noalias() = x * x.transpose();
  Eigen::Map<Eigen::MatrixXd> sample(sums.data() + d + d * d, d, m);
  for (Eigen::Index j = 0; j < m; ++j) {
    const std::int64_t row = start_rows[static_cast<std::size_t>(j)] - train.first_row;
    if (row >= 0 && row < train.num_rows()) sample.col(j) = x.col(row);
  }
  std::uint64_t checksum = train.checksum();
  comm.allreduce_sum(std::span(sums.data(), static_cast<std::size_t>(sums.size())));
  comm.allreduce_sum(std::span(&checksum, 1));
  const Eigen::VectorXd mean = sums.head(d) / static_cast<double>(n);
  const Eigen::MatrixXd second = Eigen::Map<const Eigen::MatrixXd>(sums.data() + d, d, d);
  const Eigen::MatrixXd covariance =
      n > 1 ? Eigen::MatrixXd((second - static_cast<double>(n) * mean * mean.transpose()) / static_cast<double>(n - 1))
            : Eigen::MatrixXd::Zero(d, d);

  std::unique_ptr<models::GmmModel> model;
  comm::agree(comm, [&] {
    models::GmmStart start = models::gmm_start(sample, config.model.components, config.solver.seed);
    model = std::make_unique<models::GmmModel>(std::move(train), std::move(heldout),
                                               gmm_options(config.model, mean, covariance), std::move(start));
  });
  FitModel fit;
  fit.data = {n, d, n * d, checksum};
  fit.description = "gmm (" + config.model.covariance + " covariances), K = " +
                    std::to_string(config.model.components) + ", " + std::to_string(n) + " points of dimension " +
                    std::to_string(d);
  fit.items = "points";
  fit.fit_keys = {"model.components",   "model.covariance", "model.weight_concentration", "model.mean_precision",
                  "model.mean",         "model.degrees_of_freedom", "model.scale"};
  const models::GmmModel* gmm = model.get();
  fit.save = [gmm](const Eigen::VectorXd& lambda, io::ModelFileContents& c) { c.gmm = gmm->globals(lambda); };
  fit.load = [gmm](const io::ModelFileContents& saved, const std::string& path) {
    try {
      return gmm->lambda_from(saved.gmm);
    } catch (const Error& e) {
      throw Error(path + ": does not fit this job: " + e.what());
    }
  };
  fit.model = std::move(model);
  return fit;
}

}  // namespace

FitModel make_fit_model(const config::FitConfig& config, comm::Communicator& comm) {
  return config.model.type == "gmm" ? make_gmm(config, comm) : make_lda(config, comm);
}

models::ScoreSum apply_gmm(const io::ModelFileContents& model, const std::string& data_path, comm::Communicator& comm,
                           Eigen::MatrixXd* responsibilities, std::vector<std::int64_t>* row_ids) {
  models::ScoreSum score;
  comm::agree(comm, [&] {
    const io::DenseInfo info = io::read_dense_info(data_path);
    const io::GmmGlobals& g = model.gmm;
    if (info.num_cols != g.dim()) {
      throw Error(data_path + ": D = " + std::to_string(info.num_cols) + " columns, but the model has D = " +
                  std::to_string(g.dim()));
    }
    const models::Range part = shard_of(info.num_rows, comm);
    const io::DenseData shard = io::read_dense(data_path, part.begin, part.end);
    if (row_ids != nullptr) *row_ids = shard.row_ids;
    const Eigen::Index d = g.dim();
    models::GmmOptions options;
    options.components = g.components();
    options.diagonal = g.diagonal;
    options.prior.weight_concentration = g.prior_weight_concentration;
    options.prior.mean_precision = g.prior_mean_precision;
    options.prior.mean = g.prior_mean;
    options.prior.degrees_of_freedom = g.prior_degrees_of_freedom;
    options.prior.scale = g.diagonal ? Eigen::MatrixXd(g.prior_scale.asDiagonal())
                                     : Eigen::MatrixXd(Eigen::Map<const Eigen::MatrixXd>(g.prior_scale.data(), d, d));
    // The start is never used: λ comes from the model file.
    models::GmmStart start{Eigen::MatrixXd::Zero(d, g.components()), Eigen::MatrixXd::Identity(d, d)};
    models::GmmModel gmm(shard, std::nullopt, options, std::move(start));
    gmm.set_lambda(gmm.lambda_from(g));
    const Eigen::Map<const Eigen::MatrixXd> x(shard.values.data(), d, shard.num_rows());
    score.log_score = gmm.log_predictive(x).sum();
    score.count = static_cast<double>(shard.num_rows());
    if (responsibilities != nullptr) gmm.responsibilities(x, *responsibilities);
  });
  return score;
}

}  // namespace natgrad::app::detail
