#include "natgrad/config/options.hpp"

#include <charconv>
#include <cmath>

#include "natgrad/error.hpp"

namespace natgrad::config {

namespace {

const char* type_name(Type type) {
  switch (type) {
    case Type::kInteger: return "an integer";
    case Type::kNumber: return "a number";
    case Type::kNumbers: return "numbers separated by commas or spaces";
    case Type::kNumberOrAuto: return "a number or auto";
    case Type::kText: break;
  }
  return "a text";
}

template <class T>
bool read_whole(const std::string& text, T& out) {
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

// A number rule: "" if `test` holds for the value (an integer or a number), else `text`.
Rule number_rule(std::string text, std::function<bool(double)> test) {
  Rule rule;
  rule.text = text;
  rule.check = [text, test](const Value& v) {
    const double x = std::holds_alternative<std::int64_t>(v) ? static_cast<double>(std::get<std::int64_t>(v))
                                                               : std::get<double>(v);
    return test(x) ? std::string() : text;
  };
  return rule;
}

std::string integer_text(std::int64_t v) { return std::to_string(v); }

}  // namespace

template <class T>
const T& Values::get(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) throw Error(key + " is not set");
  const T* v = std::get_if<T>(&it->second);
  if (v == nullptr) throw Error(key + " does not hold a value of the type asked for");
  return *v;
}

template const std::int64_t& Values::get<std::int64_t>(const std::string&) const;
template const double& Values::get<double>(const std::string&) const;
template const std::string& Values::get<std::string>(const std::string&) const;
template const std::vector<double>& Values::get<std::vector<double>>(const std::string&) const;

bool Values::is_auto(const std::string& key) const {
  const auto it = values_.find(key);
  return it != values_.end() && std::holds_alternative<std::string>(it->second) && std::get<std::string>(it->second) == kAuto;
}

std::optional<Value> Values::find(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

Rule at_least(std::int64_t least) {
  return number_rule("an integer >= " + integer_text(least), [least](double x) { return x >= static_cast<double>(least); });
}

Rule integer_in(std::int64_t lo, std::int64_t hi) {
  return number_rule("an integer in [" + integer_text(lo) + ", " + integer_text(hi) + "]",
                     [lo, hi](double x) { return x >= static_cast<double>(lo) && x <= static_cast<double>(hi); });
}

Rule int32_count() {
  return number_rule("an integer >= 1 and at most 2^31 - 1", [](double x) { return x >= 1 && x <= 2147483647.0; });
}

Rule positive() {
  return number_rule("a finite number > 0", [](double x) { return std::isfinite(x) && x > 0; });
}

Rule positive_or_auto() {
  const Rule number = positive();
  Rule rule;
  rule.text = number.text + ", or " + kAuto;
  rule.check = [number, text = rule.text](const Value& v) {
    if (const auto* word = std::get_if<std::string>(&v)) return *word == kAuto ? std::string() : text;
    return number.check(v).empty() ? std::string() : text;
  };
  return rule;
}

Rule non_negative() {
  return number_rule("a number >= 0", [](double x) { return std::isfinite(x) && x >= 0; });
}

Rule open_closed(double lo, double hi) {
  return number_rule("a number in (" + number_text(lo) + ", " + number_text(hi) + "]",
                     [lo, hi](double x) { return x > lo && x <= hi; });
}

Rule one_of(const std::vector<std::string>& choices) {
  std::string text;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  }
  Rule rule;
  rule.text = text;
  rule.check = [choices, text](const Value& v) {
    const std::string& s = std::get<std::string>(v);
    for (const std::string& c : choices) {
      if (c == s) return std::string();
    }
    return text;
  };
  return rule;
}

Rule not_empty(const std::string& what) {
  Rule rule;
  rule.text = what;
  rule.check = [what](const Value& v) { return std::get<std::string>(v).empty() ? what : std::string(); };
  return rule;
}

Option option(std::string key, Type type, Value fallback, Rule rule, std::string help) {
  Option o;
  o.key = std::move(key);
  o.type = type;
  o.help = std::move(help);
  o.rule = std::move(rule);
  o.default_text = text_of(fallback);
  if (o.default_text.empty()) {
    o.default_text = "none";
    o.none_is_empty = type == Type::kText;
  }
  o.default_value = [fallback](const Values&) { return std::optional<Value>(fallback); };
  return o;
}

Option unset_option(std::string key, Type type, std::string unset_text, Rule rule, std::string help) {
  Option o;
  o.key = std::move(key);
  o.type = type;
  o.help = std::move(help);
  o.rule = std::move(rule);
  o.default_text = std::move(unset_text);
  return o;
}

Option required_option(std::string key, Type type, Rule rule, std::string help) {
  Option o = unset_option(std::move(key), type, "required", std::move(rule), std::move(help));
  o.required = true;
  return o;
}

Option derived_option(std::string key, Type type, std::function<std::optional<Value>(const Values&)> fallback,
                      std::string text, Rule rule, std::string help) {
  Option o = unset_option(std::move(key), type, std::move(text), std::move(rule), std::move(help));
  o.default_value = std::move(fallback);
  return o;
}

std::string number_text(double value) {
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return {text, result.ptr};
}

std::string text_of(const Value& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return integer_text(*i);
  if (const auto* d = std::get_if<double>(&value)) return number_text(*d);
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  std::string out;
  for (const double v : std::get<std::vector<double>>(value)) {
    if (!out.empty()) out += ',';
    out += number_text(v);
  }
  return out;
}

void bad(const std::string& key, const std::string& value, const std::string& expected) {
  throw Error(key + " = " + (value.empty() ? "''" : value) + ": expected " + expected);
}

void check(const Option& option, const Value& value, const std::string& name) {
  if (!option.rule.check) return;
  const std::string expected = option.rule.check(value);
  if (!expected.empty()) bad(name, text_of(value), expected);
}

Value parse_value(const Option& option, const std::string& text, const std::string& name) {
  const auto invalid = [&](const std::string& detail) -> Error {
    return Error("the argument ('" + text + "') for option '" + name + "' is invalid: expected " + detail);
  };
  switch (option.type) {
    case Type::kInteger: {
      std::int64_t v = 0;
      if (!read_whole(text, v)) throw invalid(type_name(option.type));
      return v;
    }
    case Type::kNumber: {
      double v = 0;
      if (!read_whole(text, v)) throw invalid(type_name(option.type));
      return v;
    }
    case Type::kNumberOrAuto: {
      if (text == kAuto) return text;
      double v = 0;
      if (!read_whole(text, v)) throw invalid(type_name(option.type));
      return v;
    }
    case Type::kNumbers: {
      std::vector<double> out;
      std::size_t at = 0;
      while ((at = text.find_first_not_of(" \t,", at)) != std::string::npos) {
        const std::size_t end = std::min(text.find_first_of(" \t,", at), text.size());
        const std::string word = text.substr(at, end - at);
        double v = 0;
        if (!read_whole(word, v) || !std::isfinite(v)) {
          bad(name, text, "finite numbers separated by commas or spaces ('" + word + "' is not one)");
        }
        out.push_back(v);
        at = end;
      }
      if (out.empty()) bad(name, text, "one or more numbers");
      return out;
    }
    case Type::kText:
      if (option.none_is_empty && text == "none") return std::string();
      break;
  }
  return text;
}

void complete(const std::vector<Option>& options, Values& values, const std::string& prefix) {
  for (const Option& o : options) {
    if (!values.has(o.key)) {
      if (o.required) throw Error(prefix + o.key + " is required: " + o.help);
      if (o.default_value) {
        if (auto v = o.default_value(values)) values.set(o.key, std::move(*v));
      }
    }
    if (const auto v = values.find(o.key)) check(o, *v, prefix + o.key);
  }
}

std::string default_and_rule(const Option& option) {
  std::string out = option.required ? "required" : "default " + option.default_text;
  if (!option.rule.text.empty()) out += "; " + option.rule.text;
  return out;
}

}  // namespace natgrad::config
