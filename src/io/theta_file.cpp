#include "natgrad/io/theta_file.hpp"

#include "natgrad/io/hdf5.hpp"
#include "natgrad/io/model_file.hpp"

namespace natgrad::io {

void write_theta_file(const std::string& path, const ThetaFileContents& c) {
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const RowMajor gamma = c.gamma;
  const RowMajor theta = (c.gamma.array().colwise() / c.gamma.rowwise().sum().array()).matrix();
  const auto d = static_cast<std::uint64_t>(gamma.rows());
  const auto k = static_cast<std::uint64_t>(gamma.cols());
  h5::write_file_atomically(path, [&](h5::File& file) {
    file.set_attr("/", "format", std::string(kThetaFormat));
    file.set_attr("/", "schema_version", kThetaSchemaVersion);
    file.set_attr("/", "model", c.model_path);
    file.set_attr("/", "model_step", c.model_step);
    file.set_attr("/", "model_checksum", checksum_text(c.model_checksum));
    file.set_attr("/", "data", c.data_path);
    file.set_attr("/", "num_docs", static_cast<std::int64_t>(d));
    file.set_attr("/", "topics", static_cast<std::int64_t>(k));
    file.write<double>("/theta", std::span(theta.data(), theta.size()), {d, k});
    file.write<double>("/gamma", std::span(gamma.data(), gamma.size()), {d, k});
    file.write<std::int64_t>("/doc_ids", c.doc_ids, {d});
    file.write<std::int64_t>("/doc_lengths", c.doc_lengths, {d});
  });
}

}  // namespace natgrad::io
