#include "natgrad/io/dense.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "line_reader.hpp"
#include "mix.hpp"
#include "natgrad/error.hpp"
#include "natgrad/io/hdf5.hpp"

namespace natgrad::io {

namespace {

using detail::LineReader;
using detail::mix;
using detail::quoted;

// Splits a CSV line at its commas, trimming spaces and tabs around each field.
std::vector<std::string_view> csv_fields(std::string_view line) {
  std::vector<std::string_view> out;
  detail::split_at(line, ',', out);
  return out;
}

bool blank(std::string_view line) { return detail::trimmed(line).empty(); }

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

enum class Parsed { kNumber, kNotANumber, kOutOfRange };

// Parses a whole field as a double (std::from_chars, plus an optional leading
// '+'). NaN and infinities parse; the caller decides about them.
Parsed parse_double(std::string_view field, double& value) {
  const char* first = field.data();
  const char* const last = field.data() + field.size();
  if (field.size() > 1 && field[0] == '+' && field[1] != '-') ++first;
  const auto [end, ec] = std::from_chars(first, last, value);
  if (field.empty() || end != last || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return Parsed::kNotANumber;
  }
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves `value` alone; strtod tells an overflow (±HUGE_VAL)
    // from an underflow (a denormal or zero, which is accepted).
    value = std::strtod(std::string(field).c_str(), nullptr);
    if (!std::isfinite(value)) return Parsed::kOutOfRange;
  }
  return Parsed::kNumber;
}

// The 0-based index of the label column in rows of `width` fields, or -1 for none.
std::int64_t label_index(const LabelColumn& label, const std::string& path, std::int64_t width,
                         std::int64_t line) {
  std::int64_t index = -1;
  std::string name;
  switch (label.kind) {
    case LabelColumn::Kind::kNone: return -1;
    case LabelColumn::Kind::kFirst: index = 0; name = "first"; break;
    case LabelColumn::Kind::kLast: index = width - 1; name = "last"; break;
    case LabelColumn::Kind::kNumber: index = label.number - 1; name = std::to_string(label.number); break;
  }
  if (index >= width) {
    throw Error(path + ": --label-column " + name + " is out of range; line " + std::to_string(line) + " has " +
                plural(static_cast<std::size_t>(width), "column"));
  }
  if (width < 2) {
    throw Error(path + ": --label-column " + name + " leaves no data columns; line " + std::to_string(line) +
                " has 1 column");
  }
  return index;
}

std::string number_text(double v) { return std::to_string(v); }  // "nan", "inf", "-inf"

}  // namespace

std::uint64_t DenseData::checksum() const {
  std::uint64_t sum = 0;
  const auto width = static_cast<std::size_t>(cols);
  for (std::int64_t i = 0; i < num_rows(); ++i) {
    std::uint64_t h = mix(static_cast<std::uint64_t>(first_row + i));
    for (std::size_t j = 0; j < width; ++j) h = mix(h ^ std::bit_cast<std::uint64_t>(values[static_cast<std::size_t>(i) * width + j]));
    sum += h;
  }
  return sum;
}

LabelColumn LabelColumn::parse(const std::string& spec) {
  LabelColumn label;
  if (spec.empty()) return label;
  if (spec == "first") {
    label.kind = Kind::kFirst;
  } else if (spec == "last") {
    label.kind = Kind::kLast;
  } else {
    const auto [end, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), label.number);
    if (ec != std::errc() || end != spec.data() + spec.size() || label.number < 1) {
      throw Error("--label-column '" + spec + "': expected first, last or a column number >= 1");
    }
    label.kind = Kind::kNumber;
  }
  return label;
}

DenseData read_csv(const std::string& path, const std::string& label_column) {
  const LabelColumn label = LabelColumn::parse(label_column);
  LineReader in(path);
  DenseData data;
  std::vector<std::string> header;
  std::int64_t width = 0;            // fields per row, from the first data row
  std::int64_t first_data_line = 0;  // its line number
  std::int64_t label_at = -1;
  std::string line;
  bool first_line = true;
  while (in.next(line)) {
    std::string_view text = line;
    if (first_line && text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark
    if (blank(text)) continue;
    const auto fields = csv_fields(text);
    if (first_line) {
      first_line = false;
      double ignored = 0;
      bool numbers = true;
      for (const auto field : fields) numbers = numbers && parse_double(field, ignored) != Parsed::kNotANumber;
      if (!numbers) {
        for (auto field : fields) {
          const bool in_quotes = field.size() >= 2 && field.front() == '"' && field.back() == '"';
          if (in_quotes) field = field.substr(1, field.size() - 2);
          header.emplace_back(field);
        }
        continue;
      }
    }
    const auto n = static_cast<std::int64_t>(fields.size());
    if (first_data_line == 0) {
      first_data_line = in.number();
      width = n;
      if (!header.empty() && static_cast<std::int64_t>(header.size()) != width) {
        in.fail(plural(fields.size(), "field") + "; the header has " + plural(header.size(), "name"));
      }
      label_at = label_index(label, path, width, first_data_line);
    } else if (n != width) {
      in.fail(plural(fields.size(), "field") + "; line " + std::to_string(first_data_line) + " has " +
              std::to_string(width));
    }
    for (std::int64_t c = 0; c < n; ++c) {
      const auto field = fields[static_cast<std::size_t>(c)];
      double value = 0;
      const Parsed parsed = parse_double(field, value);
      if (parsed == Parsed::kNotANumber) in.fail(c + 1, quoted(field) + " is not a number");
      if (parsed == Parsed::kOutOfRange) in.fail(c + 1, quoted(field) + " is not finite (out of range of a double)");
      if (!std::isfinite(value)) in.fail(c + 1, quoted(field) + " is not finite");
      (c == label_at ? data.labels : data.values).push_back(value);
    }
    data.row_ids.push_back(data.num_rows());
  }
  if (data.row_ids.empty()) throw Error(path + ": no data rows");
  data.cols = label_at < 0 ? width : width - 1;
  for (std::int64_t c = 0; c < static_cast<std::int64_t>(header.size()); ++c) {
    if (c != label_at) data.column_names.push_back(std::move(header[static_cast<std::size_t>(c)]));
  }
  data.total_rows = data.num_rows();
  return data;
}

std::pair<DenseData, DenseData> split_every(const DenseData& data, std::int64_t every) {
  if (every < 2) throw Error("--split-every " + std::to_string(every) + ": expected an integer ≥ 2");
  std::pair<DenseData, DenseData> parts;
  for (DenseData* part : {&parts.first, &parts.second}) {
    part->cols = data.cols;
    part->column_names = data.column_names;
  }
  const auto cols = static_cast<std::size_t>(data.cols);
  for (std::int64_t i = 0; i < data.num_rows(); ++i) {
    DenseData& part = i % every == every - 1 ? parts.second : parts.first;
    const auto row = data.values.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(i) * cols);
    part.values.insert(part.values.end(), row, row + static_cast<std::ptrdiff_t>(cols));
    if (!data.labels.empty()) part.labels.push_back(data.labels[static_cast<std::size_t>(i)]);
    part.row_ids.push_back(data.row_ids[static_cast<std::size_t>(i)]);
  }
  for (DenseData* part : {&parts.first, &parts.second}) part->total_rows = part->num_rows();
  return parts;
}

void write_dense(const std::string& path, const DenseData& data, const std::string& source,
                 const Group* truth) {
  if (!data.column_names.empty() && static_cast<std::int64_t>(data.column_names.size()) != data.cols) {
    throw Error(path + ": " + plural(data.column_names.size(), "column name") + " for " +
                plural(static_cast<std::size_t>(data.cols), "column"));
  }
  h5::write_file_atomically(path, [&](h5::File& file) {
    const auto n = static_cast<std::uint64_t>(data.num_rows());
    file.write<double>("/data", data.values, {n, static_cast<std::uint64_t>(data.cols)});
    if (!data.labels.empty()) file.write<double>("/labels", data.labels, {n});
    file.write<std::int64_t>("/row_ids", data.row_ids, {n});
    if (!data.column_names.empty()) file.write_strings("/column_names", data.column_names);
    file.set_attr("/", "format", std::string(kDenseFormat));
    file.set_attr("/", "schema_version", kDenseSchemaVersion);
    file.set_attr("/", "num_rows", data.num_rows());
    file.set_attr("/", "num_cols", data.cols);
    file.set_attr("/", "source", source);
    if (truth != nullptr) h5::write_group(file, *truth);
  });
}

namespace {

// Checks that `name` is 1-D of `length` elements.
void check_length(const h5::File& file, const std::string& name, std::int64_t length, const char* what) {
  const auto shape = file.shape(name);
  if (shape.size() != 1 || shape[0] != static_cast<std::uint64_t>(length)) {
    throw Error(file.path() + ": dataset '" + name + "' must be 1-D of " + what + " = " + std::to_string(length) +
                " elements");
  }
}

DenseInfo check_header(const h5::File& file) {
  const std::string& path = file.path();
  if (!file.has_attr("/", "format") || file.attr_string("/", "format") != kDenseFormat) {
    throw Error(path + ": not natgrad dense data (root attribute 'format' is not '" + kDenseFormat +
                "'; convert the data with 'natgrad convert csv')");
  }
  const std::int64_t version = file.attr_int("/", "schema_version");
  if (version != kDenseSchemaVersion) {
    throw Error(path + ": dense data schema_version " + std::to_string(version) + "; this natgrad reads " +
                std::to_string(kDenseSchemaVersion));
  }
  DenseInfo info;
  info.num_rows = file.attr_int("/", "num_rows");
  info.num_cols = file.attr_int("/", "num_cols");
  if (info.num_rows < 0 || info.num_cols < 1) {
    throw Error(path + ": num_rows = " + std::to_string(info.num_rows) + ", num_cols = " +
                std::to_string(info.num_cols) + "; expected num_rows ≥ 0 and num_cols ≥ 1");
  }
  const auto shape = file.shape("/data");
  if (shape.size() != 2 || shape[0] != static_cast<std::uint64_t>(info.num_rows) ||
      shape[1] != static_cast<std::uint64_t>(info.num_cols)) {
    throw Error(path + ": dataset '/data' must be 2-D of num_rows × num_cols = " + std::to_string(info.num_rows) +
                " × " + std::to_string(info.num_cols) + " elements");
  }
  check_length(file, "/row_ids", info.num_rows, "num_rows");
  info.has_labels = file.exists("/labels");
  if (info.has_labels) check_length(file, "/labels", info.num_rows, "num_rows");
  info.has_column_names = file.exists("/column_names");
  if (info.has_column_names) check_length(file, "/column_names", info.num_cols, "num_cols");
  return info;
}

}  // namespace

DenseInfo read_dense_info(const std::string& path) { return check_header(h5::File::open_read(path)); }

DenseData read_dense(const std::string& path, std::int64_t begin, std::int64_t end) {
  const auto file = h5::File::open_read(path);
  const DenseInfo info = check_header(file);
  if (begin < 0 || end < begin || end > info.num_rows) {
    throw Error(path + ": rows [" + std::to_string(begin) + ", " + std::to_string(end) + ") requested, the data have " +
                std::to_string(info.num_rows));
  }
  DenseData data;
  data.first_row = begin;
  data.total_rows = info.num_rows;
  data.cols = info.num_cols;
  const auto first = static_cast<std::uint64_t>(begin);
  const auto n = static_cast<std::uint64_t>(end - begin);
  data.values = file.read_rows<double>("/data", first, n);
  for (std::size_t j = 0; j < data.values.size(); ++j) {
    if (!std::isfinite(data.values[j])) {
      const auto cols = static_cast<std::size_t>(info.num_cols);
      throw Error(path + ": '/data' row " + std::to_string(begin + static_cast<std::int64_t>(j / cols)) +
                  ", column " + std::to_string(j % cols) + " (0-based) is " + number_text(data.values[j]) +
                  "; expected finite values");
    }
  }
  if (info.has_labels) {
    data.labels = file.read<double>("/labels", first, n);
    for (std::size_t i = 0; i < data.labels.size(); ++i) {
      if (!std::isfinite(data.labels[i])) {
        throw Error(path + ": '/labels' row " + std::to_string(begin + static_cast<std::int64_t>(i)) +
                    " (0-based) is " + number_text(data.labels[i]) + "; expected finite values");
      }
    }
  }
  data.row_ids = file.read<std::int64_t>("/row_ids", first, n);
  if (info.has_column_names) data.column_names = file.read_strings("/column_names");
  return data;
}

}  // namespace natgrad::io
