#pragma once
/// @file Datasets and attributes as plain values: what a model family puts in
/// a file (its priors and derived datasets in a model file, the truth of
/// synthetic data, the rows of a theta file) without knowing HDF5, and what
/// the generic readers hand back.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace natgrad::io {

/// An attribute's value.
using AttrValue = std::variant<std::int64_t, double, std::string>;

/// A dataset: `values` in row-major order filling `shape` (an empty shape: a scalar).
struct Dataset {
  std::string name;                    ///< absolute path, e.g. "/model/alpha"
  std::vector<std::uint64_t> shape;
  std::variant<std::vector<double>, std::vector<std::int64_t>, std::vector<std::string>> values;
};

struct Attribute {
  std::string object;  ///< absolute path of the group or dataset it belongs to ("/" for the root)
  std::string name;
  AttrValue value;
};

/// Groups, datasets and attributes, by absolute path.
class Group {
 public:
  /// `file` names the file in the messages of the accessors below.
  explicit Group(std::string file = "") : file_(std::move(file)) {}
  const std::string& file() const { return file_; }

  /// Adds a group (its parents must exist or be added before it).
  void add_group(std::string name) { groups_.push_back(std::move(name)); }
  void add(std::string name, std::vector<std::uint64_t> shape, std::vector<double> values);
  void add(std::string name, std::vector<std::uint64_t> shape, std::vector<std::int64_t> values);
  void add_scalar(std::string name, double value) { add(std::move(name), {}, std::vector<double>{value}); }
  /// Strings, 1-D or of `shape` (row-major).
  void add_strings(std::string name, std::vector<std::string> values, std::vector<std::uint64_t> shape = {});
  void set(std::string object, std::string name, AttrValue value);

  const std::vector<std::string>& groups() const { return groups_; }
  const std::vector<Dataset>& datasets() const { return datasets_; }
  const std::vector<Attribute>& attributes() const { return attributes_; }

  /// The dataset `name`, or null.
  const Dataset* find(const std::string& name) const;
  /// The float64 values of dataset `name`, which must have `shape` and finite values.
  /// @throws natgrad::Error "FILE: dataset '/model/alpha' is missing" / "... is not of shape [4]".
  const std::vector<double>& numbers(const std::string& name, const std::vector<std::uint64_t>& shape) const;
  /// The strings of dataset `name` (1-D). @throws natgrad::Error if missing or not strings.
  const std::vector<std::string>& strings(const std::string& name) const;
  /// Attribute `name` of `object`, or none.
  std::optional<AttrValue> attr(const std::string& object, const std::string& name) const;
  /// Attribute values of a type. @throws natgrad::Error "FILE: attribute 'topics' of '/model' is missing"
  /// or "... is not an integer" (an integer reads as a number).
  std::int64_t attr_int(const std::string& object, const std::string& name) const;
  double attr_double(const std::string& object, const std::string& name) const;
  std::string attr_string(const std::string& object, const std::string& name) const;

 private:
  [[noreturn]] void fail(const std::string& what) const;
  const AttrValue& attr_or_fail(const std::string& object, const std::string& name) const;
  std::string file_;
  std::vector<std::string> groups_;
  std::vector<Dataset> datasets_;
  std::vector<Attribute> attributes_;
};

/// "[4, 60]": a shape as messages write it.
std::string shape_text(const std::vector<std::uint64_t>& shape);

}  // namespace natgrad::io
