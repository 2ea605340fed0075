#pragma once
/// @file Options declared once: key, type, default, rule and help. Parsing,
/// validation, `--help`, the resolved configuration stored in model files and
/// the README's key table all come from the declaration (as mlpack's
/// bindings do). Model families declare their own options with it.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace natgrad::config {

/// A parsed value: an integer, a number, a text, or a list of numbers.
using Value = std::variant<std::int64_t, double, std::string, std::vector<double>>;

/// What an option holds; a list of numbers is written separated by commas or blanks; a number or
/// the word auto (a prior that the fit learns) holds a number, or the text "auto".
enum class Type { kInteger, kNumber, kText, kNumbers, kNumberOrAuto };

/// The word of a kNumberOrAuto option that asks for a learned value.
inline constexpr const char* kAuto = "auto";

/// The values of a set of options, by key; an option that is not set is absent.
class Values {
 public:
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  /// @throws natgrad::Error naming the key if it is absent or holds another type.
  std::int64_t integer(const std::string& key) const { return get<std::int64_t>(key); }
  double number(const std::string& key) const { return get<double>(key); }
  const std::string& text(const std::string& key) const { return get<std::string>(key); }
  const std::vector<double>& numbers(const std::string& key) const { return get<std::vector<double>>(key); }
  /// Whether `key` (a kNumberOrAuto option) is set to auto.
  bool is_auto(const std::string& key) const;
  /// The value of `key`, or none.
  std::optional<Value> find(const std::string& key) const;
  void set(const std::string& key, Value value) { values_[key] = std::move(value); }
  void erase(const std::string& key) { values_.erase(key); }
  bool operator==(const Values&) const = default;

 private:
  template <class T>
  const T& get(const std::string& key) const;
  std::map<std::string, Value> values_;
};

/// A rule a value must satisfy.
struct Rule {
  /// What is expected, as error messages and the README say it ("an integer >= 1"); "" for anything.
  std::string text;
  /// "" if the value satisfies the rule, else what is expected of it (usually `text`). Null: anything.
  std::function<std::string(const Value&)> check;
};

/// Integers ≥ least: "an integer >= least".
Rule at_least(std::int64_t least);
/// Integers in [lo, hi]: "an integer in [lo, hi]".
Rule integer_in(std::int64_t lo, std::int64_t hi);
/// Integers in [1, 2^31 − 1] (sizes stored as int32): "an integer >= 1 and at most 2^31 - 1".
Rule int32_count();
/// Finite numbers > 0: "a finite number > 0".
Rule positive();
/// Finite numbers > 0, or auto (a kNumberOrAuto option): "a finite number > 0, or auto".
Rule positive_or_auto();
/// Finite numbers ≥ 0: "a number >= 0".
Rule non_negative();
/// Numbers in (lo, hi]: "a number in (lo, hi]".
Rule open_closed(double lo, double hi);
/// One of `choices`: "a or b" ("a, b or c").
Rule one_of(const std::vector<std::string>& choices);
/// A text that is not empty: `what` ("a file path").
Rule not_empty(const std::string& what);

/// One option, declared once.
struct Option {
  std::string key;   ///< "model.topics" (a job key) or "topics" (a command-line option, written --topics)
  Type type = Type::kText;
  std::string help;  ///< one line, for --help and the README
  Rule rule;
  /// Not given: an error naming the key and its help.
  bool required = false;
  /// The value when the option is not given, from the values of the options
  /// declared before it; none: the option stays unset (the code that uses it
  /// decides, e.g. "from the data"). Null: no default.
  std::function<std::optional<Value>(const Values&)> default_value;
  /// The default as --help and the README show it ("256", "1/K", "the data mean"); "required" if required.
  std::string default_text;
  /// A text option whose default is empty (no file, no folder), shown as "none": the value "none" is that default.
  bool none_is_empty = false;
};

/// An option with a fixed default (its text is the value's).
Option option(std::string key, Type type, Value fallback, Rule rule, std::string help);
/// An option without a default: unset unless given (`unset_text` says what that means, e.g. "the data mean").
Option unset_option(std::string key, Type type, std::string unset_text, Rule rule, std::string help);
/// A required option.
Option required_option(std::string key, Type type, Rule rule, std::string help);
/// An option whose default is computed from earlier ones (`text` describes it, e.g. "1/K").
Option derived_option(std::string key, Type type, std::function<std::optional<Value>(const Values&)> fallback,
                      std::string text, Rule rule, std::string help);

/// A value as text that parses back to the same value (numbers in their shortest exact form, lists comma-separated).
std::string text_of(const Value& value);
/// A double in its shortest exact form ("0.1", "1e-07", "inf").
std::string number_text(double value);

/// Throws natgrad::Error "`key` = `value`: expected `expected`".
[[noreturn]] void bad(const std::string& key, const std::string& value, const std::string& expected);

/// Checks `value` against the option's rule. @throws natgrad::Error "`name` = value: expected ..."
/// (name: the key as the user wrote it, e.g. "--topics").
void check(const Option& option, const Value& value, const std::string& name);

/// Converts the text of an option to its type (for lists: numbers separated by commas or blanks).
/// @throws natgrad::Error naming `name` and the text if it is not of the type.
Value parse_value(const Option& option, const std::string& text, const std::string& name);

/// Fills in the values of `options` not given: defaults in order; a missing required one is an error
/// "`name` is required: help" (name: prefix + key). Then checks every value against its rule.
void complete(const std::vector<Option>& options, Values& values, const std::string& prefix);

/// One line of --help or of the README's table: the default and the rule of an option, e.g.
/// "default 256; an integer >= 1".
std::string default_and_rule(const Option& option);

}  // namespace natgrad::config
