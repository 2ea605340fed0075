#include "natgrad/io/theta_file.hpp"

#include "natgrad/io/hdf5.hpp"
#include "natgrad/io/model_file.hpp"

namespace natgrad::io {

void write_theta_file(const std::string& path, const ThetaFileContents& c) {
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const bool lda = c.model_type == "lda";
  const RowMajor values = lda ? c.gamma : c.responsibilities;
  const auto n = static_cast<std::uint64_t>(values.rows());
  const auto k = static_cast<std::uint64_t>(values.cols());
  h5::write_file_atomically(path, [&](h5::File& file) {
    file.set_attr("/", "format", std::string(kThetaFormat));
    file.set_attr("/", "schema_version", kThetaSchemaVersion);
    file.set_attr("/", "model_type", c.model_type);
    file.set_attr("/", "model", c.model_path);
    file.set_attr("/", "model_step", c.model_step);
    file.set_attr("/", "model_checksum", checksum_text(c.model_checksum));
    file.set_attr("/", "data", c.data_path);
    file.set_attr("/", lda ? "num_docs" : "num_rows", static_cast<std::int64_t>(n));
    file.set_attr("/", lda ? "topics" : "components", static_cast<std::int64_t>(k));
    if (lda) {
      const RowMajor theta = (c.gamma.array().colwise() / c.gamma.rowwise().sum().array()).matrix();
      file.write<double>("/theta", std::span(theta.data(), theta.size()), {n, k});
      file.write<double>("/gamma", std::span(values.data(), values.size()), {n, k});
      file.write<std::int64_t>("/doc_ids", c.ids, {n});
      file.write<std::int64_t>("/doc_lengths", c.doc_lengths, {n});
    } else {
      file.write<double>("/responsibilities", std::span(values.data(), values.size()), {n, k});
      file.write<std::int64_t>("/row_ids", c.ids, {n});
    }
  });
}

}  // namespace natgrad::io
