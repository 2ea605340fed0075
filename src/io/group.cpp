#include "natgrad/io/group.hpp"

#include <cmath>

#include "natgrad/error.hpp"

namespace natgrad::io {

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
  return out + "]";
}

void Group::add(std::string name, std::vector<std::uint64_t> shape, std::vector<double> values) {
  datasets_.push_back({std::move(name), std::move(shape), std::move(values)});
}

void Group::add(std::string name, std::vector<std::uint64_t> shape, std::vector<std::int64_t> values) {
  datasets_.push_back({std::move(name), std::move(shape), std::move(values)});
}

void Group::add_strings(std::string name, std::vector<std::string> values, std::vector<std::uint64_t> shape) {
  if (shape.empty()) shape = {values.size()};
  datasets_.push_back({std::move(name), std::move(shape), std::move(values)});
}

void Group::set(std::string object, std::string name, AttrValue value) {
  for (Attribute& a : attributes_) {
    if (a.object == object && a.name == name) {
      a.value = std::move(value);
      return;
    }
  }
  attributes_.push_back({std::move(object), std::move(name), std::move(value)});
}

void Group::fail(const std::string& what) const { throw Error((file_.empty() ? "" : file_ + ": ") + what); }

const Dataset* Group::find(const std::string& name) const {
  for (const Dataset& d : datasets_) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

const std::vector<double>& Group::numbers(const std::string& name, const std::vector<std::uint64_t>& shape) const {
  const Dataset* d = find(name);
  if (d == nullptr) fail("dataset '" + name + "' is missing");
  const auto* values = std::get_if<std::vector<double>>(&d->values);
  if (values == nullptr) fail("dataset '" + name + "' does not hold floating-point values");
  if (d->shape != shape) fail("'" + name + "' is of shape " + shape_text(d->shape) + ", not " + shape_text(shape));
  for (const double v : *values) {
    if (!std::isfinite(v)) fail("'" + name + "' has values that are not finite");
  }
  return *values;
}

const std::vector<std::string>& Group::strings(const std::string& name) const {
  const Dataset* d = find(name);
  if (d == nullptr) fail("dataset '" + name + "' is missing");
  const auto* values = std::get_if<std::vector<std::string>>(&d->values);
  if (values == nullptr) fail("dataset '" + name + "' does not hold strings");
  return *values;
}

std::optional<AttrValue> Group::attr(const std::string& object, const std::string& name) const {
  for (const Attribute& a : attributes_) {
    if (a.object == object && a.name == name) return a.value;
  }
  return std::nullopt;
}

const AttrValue& Group::attr_or_fail(const std::string& object, const std::string& name) const {
  for (const Attribute& a : attributes_) {
    if (a.object == object && a.name == name) return a.value;
  }
  fail("attribute '" + name + "' of '" + object + "' is missing");
}

std::int64_t Group::attr_int(const std::string& object, const std::string& name) const {
  const auto* v = std::get_if<std::int64_t>(&attr_or_fail(object, name));
  if (v == nullptr) fail("attribute '" + name + "' of '" + object + "' is not an integer");
  return *v;
}

double Group::attr_double(const std::string& object, const std::string& name) const {
  const AttrValue& v = attr_or_fail(object, name);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  const auto* d = std::get_if<double>(&v);
  if (d == nullptr) fail("attribute '" + name + "' of '" + object + "' is not a number");
  return *d;
}

std::string Group::attr_string(const std::string& object, const std::string& name) const {
  const auto* v = std::get_if<std::string>(&attr_or_fail(object, name));
  if (v == nullptr) fail("attribute '" + name + "' of '" + object + "' is not a string");
  return *v;
}

}  // namespace natgrad::io
