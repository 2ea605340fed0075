// The Bayesian Gaussian mixture as a model family: its job keys, its
// collective start (the prior's defaults from the data's moments, k-means++ on
// a seeded sample), its model file and predictor, and `natgrad synth gmm`.

#include "natgrad/models/gmm/family.hpp"

#include <Eigen/Dense>
#include <cstdio>
#include <sstream>

#include "natgrad/error.hpp"
#include "natgrad/models/gmm/gmm.hpp"
#include "natgrad/models/gmm/synth.hpp"

namespace natgrad::models {

namespace {

using config::Type;

// The prior of the job's keys, in the coordinates `c` (the keys are in data
// units), with the data's mean (0 in the coordinates) and covariance
// (`covariance`, in the coordinates) where a key is not set; the default
// scale is the data covariance plus 1e-6 in the coordinates' diagonal, 1e-6
// times each column's variance in the data's units (or 1e-6 for a constant
// column), so that the prior does not depend on the data's units.
GmmPrior gmm_prior(const config::Values& m, const GmmCoordinates& c, const Eigen::MatrixXd& covariance) {
  const Eigen::Index d = covariance.rows();
  const std::string dim = "the data have D = " + std::to_string(d) + " columns";
  GmmPrior p;
  p.weight_concentration = m.is_auto("model.weight_concentration")
                               ? 1.0 / static_cast<double>(m.integer("model.components"))
                               : m.number("model.weight_concentration");
  p.mean_precision = m.number("model.mean_precision");
  if (!m.has("model.mean")) {
    p.mean = c.shift;
  } else if (const auto& mean = m.numbers("model.mean"); static_cast<Eigen::Index>(mean.size()) == d) {
    p.mean = Eigen::Map<const Eigen::VectorXd>(mean.data(), d);
  } else {
    throw Error("model.mean has " + std::to_string(mean.size()) + " numbers; expected D = " + std::to_string(d) +
                " (" + dim + ")");
  }
  const bool diagonal = m.text("model.covariance") == "diag";
  // A diag component is a product of 1-D Normal-Gammas: ν₀ > 0 suffices; a full one needs ν₀ > D − 1.
  p.degrees_of_freedom = m.has("model.degrees_of_freedom") ? m.number("model.degrees_of_freedom") : static_cast<double>(d);
  const double least = diagonal ? 0.0 : static_cast<double>(d - 1);
  if (!(p.degrees_of_freedom > least)) {
    std::ostringstream text;
    text << "model.degrees_of_freedom = " << p.degrees_of_freedom << ": expected a number > " << least << " (" << dim
         << ")";
    throw Error(text.str());
  }
  const std::vector<double> scale = m.has("model.scale") ? m.numbers("model.scale") : std::vector<double>{};
  const auto n = static_cast<Eigen::Index>(scale.size());
  if (n == 0) {
    p.scale = c.covariance_from(covariance + 1e-6 * Eigen::MatrixXd::Identity(d, d));
  } else if (n == 1) {
    p.scale = scale[0] * Eigen::MatrixXd::Identity(d, d);
  } else if (n == d) {
    p.scale = Eigen::Map<const Eigen::VectorXd>(scale.data(), d).asDiagonal();
  } else if (n == d * d && !diagonal) {
    p.scale = Eigen::Map<const Eigen::MatrixXd>(scale.data(), d, d).transpose();
    if (!p.scale.isApprox(p.scale.transpose(), 1e-12)) throw Error("model.scale: the matrix is not symmetric");
  } else {
    throw Error("model.scale has " + std::to_string(n) + " numbers; expected 1, D = " + std::to_string(d) +
                (diagonal ? "" : " or D*D = " + std::to_string(d * d)) + " (" + dim + ")");
  }
  if (diagonal) p.scale = Eigen::MatrixXd(p.scale.diagonal().asDiagonal());
  p = c.to(p);
  if (p.scale.llt().info() != Eigen::Success || !(p.scale.diagonal().array() > 0).all()) {
    throw Error(std::string("model.scale") + (n == 0 ? " (the data covariance)" : "") +
                ": not symmetric positive definite");
  }
  return p;
}

// A mixture of a model file applied to `data` (dense rows with the model's D), λ from the file.
GmmModel file_model(const io::ModelFile& file, io::DenseData data) {
  const GmmOptions options = gmm_options_of(file);
  const Eigen::Index d = static_cast<Eigen::Index>(file.model.attr_int("/model", "dim"));
  data.cols = d;
  // The start is never used: λ comes from the model file.
  GmmStart start{Eigen::MatrixXd::Zero(d, options.components), Eigen::MatrixXd::Identity(d, d)};
  GmmModel model(std::move(data), std::nullopt, options, std::move(start));
  model.set_lambda(file.lambda(model.layout()));
  return model;
}

Eigen::Map<const Eigen::MatrixXd> columns_of(const io::DenseData& data) {
  return {data.values.data(), data.cols, data.num_rows()};
}

class GmmPredictor final : public Predictor {
 public:
  explicit GmmPredictor(io::ModelFile file) : file_(std::move(file)) {}

  std::int64_t columns() const override { return file_.model.attr_int("/model", "dim"); }

  std::vector<double> score(const io::Shard& shard) override {
    const auto& data = std::get<io::DenseData>(shard);
    const GmmModel model = file_model(file_, data);
    return {model.log_predictive(columns_of(data)).sum(), static_cast<double>(data.num_rows())};
  }

  double metric(const std::vector<double>& total) const override {
    if (!(total[1] > 0)) throw Error("no point to score: the data have no rows");
    return total[0] / total[1];
  }

  std::string report(const std::vector<double>& total, const std::string& model, const std::string& data) const override {
    char line[64];
    std::snprintf(line, sizeof line, "%.4f", metric(total));
    return std::string("held-out log predictive density ") + line + " per point of " + model + " on " + data +
           " (" + std::to_string(static_cast<std::int64_t>(total[1])) + " points)";
  }

  std::vector<io::ItemTable> infer(const io::Shard& shard) override {
    const auto& data = std::get<io::DenseData>(shard);
    const GmmModel model = file_model(file_, data);
    Eigen::MatrixXd r;
    model.responsibilities(columns_of(data), r);
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows = r;
    // Moved in one by one: a braced list's elements are copied.
    std::vector<io::ItemTable> tables;
    tables.push_back({"responsibilities", model.components(), false, {rows.data(), rows.data() + rows.size()}});
    tables.push_back({"row_ids", 0, true, {data.row_ids.begin(), data.row_ids.end()}});
    return tables;
  }

  io::Group theta_attributes(std::int64_t items) const override {
    io::Group g;
    g.set("/", "num_rows", items);
    g.set("/", "components", file_.model.attr_int("/model", "components"));
    return g;
  }

  std::string inferred(std::int64_t items) const override {
    return "responsibilities of " + std::to_string(items) + " points";
  }

 private:
  io::ModelFile file_;  ///< a mixture's file is small: kept whole, the model made from it for each shard
};

class Gmm final : public Family {
 public:
  std::string type() const override { return "gmm"; }
  std::string summary() const override { return "a Bayesian Gaussian mixture of dense data"; }

  std::vector<config::Option> options() const override {
    using config::Value;
    return {
        config::required_option("model.components", Type::kInteger, config::at_least(1),
                                "number of mixture components K"),
        config::option("model.covariance", Type::kText, std::string("full"), config::one_of({"full", "diag"}),
                       "a Normal-Wishart per component (full), or a Normal-Gamma per dimension (diag)"),
        config::derived_option(
            "model.weight_concentration", Type::kNumberOrAuto,
            [](const config::Values& v) -> std::optional<Value> {
              return 1.0 / static_cast<double>(v.integer("model.components"));
            },
            "1/K", config::positive_or_auto(),
            "α₀ of the symmetric Dirichlet prior on the mixture weights, or auto: learned (from 1/K on)"),
        config::option("model.mean_precision", Type::kNumber, 1.0, config::positive(),
                       "β₀: the prior on a mean is N(m₀, (β₀Λ)⁻¹)"),
        config::unset_option("model.mean", Type::kNumbers, "the data mean", {}, "m₀, D numbers"),
        config::unset_option("model.degrees_of_freedom", Type::kNumber, "D", config::positive(),
                             "ν₀ of the Wishart (Gamma) prior on a precision; > D − 1 for full covariances"),
        config::unset_option("model.scale", Type::kNumbers, "the data covariance + 1e-6 × its diagonal", {},
                             "W₀⁻¹, the Wishart's inverse scale (as scikit-learn's covariance_prior), in the data's "
                             "units: 1 number s (s·I), D numbers (a diagonal) or D² (a full matrix, row by row), "
                             "positive definite")};
  }

  io::DataKind data_kind() const override { return io::DataKind::kDense; }

  std::unique_ptr<Model> make_model(const config::ModelConfig& model, const config::SolverConfig& solver,
                                    io::DataSource& data, comm::Communicator& comm) const override {
    const io::DataFingerprint& info = data.fingerprint();
    io::DenseData train = data.take_train<io::DenseData>();
    std::optional<io::DenseData> heldout = data.take_heldout<io::DenseData>();
    const Eigen::Index d = info.vocab_size;
    const std::int64_t n = info.num_docs;
    const Eigen::Index k = model.values.integer("model.components");
    // λ has K (3 + D + D²) entries: K must not overflow what it is multiplied into.
    const std::int64_t block = 3 + d + d * d;
    comm::agree(comm, [&] {
      if (k > (std::int64_t{1} << 50) / block) {
        config::bad("model.components", std::to_string(k),
                    "at most 2^50 / (3 + D + D²) = " + std::to_string((std::int64_t{1} << 50) / block) +
                        " (the entries of λ, D = " + std::to_string(d) + ")");
      }
    });
    const Eigen::Map<const Eigen::MatrixXd> x(train.values.data(), d, train.num_rows());

    // The data's mean, then their covariance about it (two passes, no cancellation at large offsets), and
    // the rows that seed the start: two allreduces. The fit's coordinates centre every column on its mean
    // and scale it by its standard deviation (a constant column by 1).
    Eigen::VectorXd sums = x.rowwise().sum();
    comm.allreduce_sum(std::span(sums.data(), static_cast<std::size_t>(sums.size())));
    const Eigen::VectorXd mean = sums / static_cast<double>(n);
    const std::vector<std::int64_t> start_rows = gmm_start_rows(n, k, solver.seed);
    const auto m = static_cast<Eigen::Index>(start_rows.size());
    Eigen::VectorXd second = Eigen::VectorXd::Zero(d * d + d * m);
    const Eigen::MatrixXd centred = x.colwise() - mean;
    Eigen::Map<Eigen::MatrixXd>(second.data(), d, d).noalias() = centred * centred.transpose();
    Eigen::Map<Eigen::MatrixXd> sample(second.data() + d * d, d, m);
    for (Eigen::Index j = 0; j < m; ++j) {
      const std::int64_t row = start_rows[static_cast<std::size_t>(j)] - train.first_row;
      if (row >= 0 && row < train.num_rows()) sample.col(j) = x.col(row);
    }
    comm.allreduce_sum(std::span(second.data(), static_cast<std::size_t>(second.size())));
    const Eigen::MatrixXd covariance =
        n > 1 ? Eigen::MatrixXd(Eigen::Map<const Eigen::MatrixXd>(second.data(), d, d) / static_cast<double>(n - 1))
              : Eigen::MatrixXd::Zero(d, d);
    const Eigen::ArrayXd sd = covariance.diagonal().array().sqrt();
    GmmCoordinates coordinates{mean, (sd > 0 && sd.isFinite()).select(sd, 1.0).matrix()};
    const Eigen::MatrixXd scaled = (covariance.array() / (coordinates.scale * coordinates.scale.transpose()).array()).matrix();

    std::unique_ptr<Model> out;
    comm::agree(comm, [&] {
      GmmOptions options;
      options.components = k;
      options.diagonal = model.values.text("model.covariance") == "diag";
      options.learn_weight_concentration = model.values.is_auto("model.weight_concentration");
      options.prior = gmm_prior(model.values, coordinates, scaled);
      options.coordinates = coordinates;
      out = std::make_unique<GmmModel>(std::move(train), std::move(heldout), std::move(options),
                                       gmm_start(coordinates.to(sample), k, solver.seed));
    });
    return out;
  }

  void check_file(const io::ModelFile& file) const override {
    const GmmOptions o = gmm_options_of(file);
    const std::string& path = file.model.file();
    const GmmPrior& p = o.prior;
    if (!(p.weight_concentration > 0 && p.mean_precision > 0 && p.degrees_of_freedom > 0)) {
      throw Error(path + ": '/model/prior' has a weight_concentration, mean_precision or degrees_of_freedom that "
                         "is not > 0");
    }
    const Eigen::VectorXd lambda = file.lambda(file_layout(file));
    const GmmViews views(o.components, static_cast<Eigen::Index>(file.model.attr_int("/model", "dim")), o.diagonal);
    const double least = o.diagonal ? 0.0 : static_cast<double>(views.dim() - 1);
    for (Eigen::Index c = 0; c < o.components; ++c) {
      if (!(lambda[views.weight_concentration(c)] > 0)) {
        throw Error(path + ": '/model/weight_concentration' has values that are not > 0");
      }
      if (!(lambda[views.mean_precision(c)] > 0)) throw Error(path + ": '/model/mean_precision' has values that are not > 0");
      if (!(lambda[views.degrees_of_freedom(c)] > least)) {
        throw Error(path + ": '/model/degrees_of_freedom' has values that are not > " + std::to_string(views.dim() - 1));
      }
    }
    try {
      file_model(file, io::DenseData{});  // builds every component: a scatter that is not SPD is refused
    } catch (const Error& e) {
      throw Error(path + ": the mixture in '/model' is not valid: " + e.what());
    }
  }

  io::Layout file_layout(const io::ModelFile& file) const override {
    const GmmOptions o = gmm_options_of(file);
    return gmm_layout(o.components, static_cast<Eigen::Index>(file.model.attr_int("/model", "dim")), o.diagonal);
  }


  std::unique_ptr<Predictor> make_predictor(const io::ModelFile& file, const LocalOptions&) const override {
    return std::make_unique<GmmPredictor>(file);
  }

  std::string synth_usage() const override {
    return "usage: natgrad synth gmm --components K --dim D --points N --out DATA.h5 [options]\n"
           "Draws dense data from a Gaussian mixture; the labels are the true components, and the true\n"
           "weights, means and covariances go to /truth in the file.\n";
  }

  std::vector<config::Option> synth_options() const override {
    return {config::option("components", Type::kInteger, std::int64_t{5}, config::int32_count(), "mixture components K"),
            config::option("dim", Type::kInteger, std::int64_t{2}, config::at_least(1), "dimension D"),
            config::option("points", Type::kInteger, std::int64_t{1000}, config::at_least(1), "points N"),
            config::option("separation", Type::kNumber, 6.0, config::positive(),
                           "least distance between two true means, in units of the largest component standard "
                           "deviation"),
            config::option("covariance", Type::kText, std::string("full"), config::one_of({"full", "diag"}),
                           "covariance matrices"),
            config::option("seed", Type::kInteger, std::int64_t{1}, config::at_least(0), "random seed")};
  }

  Synthetic synthesize(const config::Values& v) const override {
    GmmSynthOptions o;
    o.components = v.integer("components");
    o.dim = v.integer("dim");
    o.points = v.integer("points");
    o.separation = v.number("separation");
    o.diagonal = v.text("covariance") == "diag";
    o.seed = static_cast<std::uint64_t>(v.integer("seed"));
    GmmTruth truth;
    Synthetic out{gmm_synthesize(o, truth), io::Group()};
    const auto k = static_cast<std::uint64_t>(o.components);
    const auto d = static_cast<std::uint64_t>(o.dim);
    const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> means = truth.means;
    std::vector<double> covariances;
    for (const Eigen::MatrixXd& sigma : truth.covariances) {
      const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows = sigma;
      covariances.insert(covariances.end(), rows.data(), rows.data() + rows.size());
    }
    out.truth.add_group("/truth");
    out.truth.add("/truth/weights", {k}, std::vector<double>(truth.weights.begin(), truth.weights.end()));
    out.truth.add("/truth/means", {k, d}, std::vector<double>(means.data(), means.data() + means.size()));
    out.truth.add("/truth/covariances", {k, d, d}, covariances);
    out.truth.set("/truth", "components", v.integer("components"));
    out.truth.set("/truth", "covariance", v.text("covariance"));
    out.truth.set("/truth", "seed", v.integer("seed"));
    return out;
  }
};

}  // namespace

const Family& gmm_family() {
  static const Gmm family;
  return family;
}

}  // namespace natgrad::models
