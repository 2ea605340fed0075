#include "natgrad/io/theta_file.hpp"

#include "natgrad/error.hpp"
#include "natgrad/io/hdf5.hpp"
#include "natgrad/io/model_file.hpp"

namespace natgrad::io {

void write_theta_file(const std::string& path, ThetaFile c) {
  Group content = c.attributes;
  for (ItemTable& t : c.tables) {
    const auto width = static_cast<std::uint64_t>(t.width);
    const std::uint64_t rows = width == 0 ? t.values.size() : t.values.size() / width;
    const std::vector<std::uint64_t> shape = width == 0 ? std::vector<std::uint64_t>{rows}
                                                        : std::vector<std::uint64_t>{rows, width};
    if (!t.labels.empty()) {
      std::vector<std::string> names;
      names.reserve(t.values.size());
      for (const double v : t.values) {
        const auto i = static_cast<std::int64_t>(v);
        if (i >= static_cast<std::int64_t>(t.labels.size())) {
          throw Error(path + ": table '" + t.name + "' names label " + std::to_string(i) + " of " +
                      std::to_string(t.labels.size()));
        }
        names.push_back(i < 0 ? std::string() : t.labels[static_cast<std::size_t>(i)]);
      }
      content.add_strings("/" + t.name, std::move(names), shape);
    } else if (t.integer) {
      content.add("/" + t.name, shape, std::vector<std::int64_t>(t.values.begin(), t.values.end()));
    } else {
      content.add("/" + t.name, shape, std::move(t.values));
    }
  }
  h5::write_file_atomically(path, [&](h5::File& file) {
    file.set_attr("/", "format", std::string(kThetaFormat));
    file.set_attr("/", "schema_version", kThetaSchemaVersion);
    file.set_attr("/", "model_type", c.model_type);
    file.set_attr("/", "model", c.model_path);
    file.set_attr("/", "model_step", c.model_step);
    file.set_attr("/", "model_checksum", checksum_text(c.model_checksum));
    file.set_attr("/", "data", c.data_path);
    h5::write_group(file, content);
  });
}

}  // namespace natgrad::io
