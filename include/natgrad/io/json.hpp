#pragma once
/// @file The JSON of a JSON-lines file (`natgrad convert text --field`): one
/// object a line, checked against the grammar of RFC 8259, of which the
/// converter takes a few top-level members.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "natgrad/error.hpp"

namespace natgrad::io {

/// A member's value: a string (its text, unescaped, as UTF-8), a number (its
/// text as written), or another kind (an object, array, true, false, null).
struct JsonValue {
  enum class Kind { kString, kNumber, kOther };
  Kind kind = Kind::kOther;
  std::string text;
  const char* what = "";  ///< "a string", "a number", "an object", "an array", "true", "false", "null"
};

/// A text that is not JSON, with the byte offset in it where it stops being JSON.
class JsonError : public Error {
 public:
  JsonError(std::size_t offset, const std::string& what) : Error(what), offset_(offset) {}
  std::size_t offset() const { return offset_; }

 private:
  std::size_t offset_;
};

/// Nesting deeper than this is refused (the parser recurses).
inline constexpr int kJsonMaxDepth = 512;

/// The top-level members of the JSON object `text` (valid UTF-8) named `names`,
/// in that order (none where absent; the last one where a name is repeated).
/// A \u escape of a lone surrogate is an error, or U+FFFD if `replace`.
/// @throws JsonError if `text` is not one JSON object (surrounded by white space at most).
std::vector<std::optional<JsonValue>> json_members(std::string_view text, const std::vector<std::string>& names,
                                                   bool replace);

}  // namespace natgrad::io
