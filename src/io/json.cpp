#include "natgrad/io/json.hpp"

#include "natgrad/io/tokenizer.hpp"

namespace natgrad::io {

namespace {

class Parser {
 public:
  Parser(std::string_view text, bool replace) : text_(text), replace_(replace) {}

  // The object's top-level members named `names`.
  std::vector<std::optional<JsonValue>> members(const std::vector<std::string>& names) {
    std::vector<std::optional<JsonValue>> out(names.size());
    space();
    if (peek() != '{') fail("expected a JSON object, '{'");
    container(0, '}', &names, &out);
    space();
    if (at_ != text_.size()) fail("unexpected text after the object");
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw JsonError(at_, what); }
  int peek() const { return at_ < text_.size() ? static_cast<unsigned char>(text_[at_]) : -1; }
  void space() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }

  // A value; its kind and text go to `out` if given.
  void value(int depth, JsonValue* out) {
    if (depth > kJsonMaxDepth) fail("nested deeper than " + std::to_string(kJsonMaxDepth) + " levels");
    space();
    const int c = peek();
    JsonValue v;
    if (c == '"') {
      v.kind = JsonValue::Kind::kString;
      v.what = "a string";
      string(out != nullptr ? &v.text : nullptr);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = JsonValue::Kind::kNumber;
      v.what = "a number";
      const std::size_t start = at_;
      number();
      v.text = text_.substr(start, at_ - start);
    } else if (c == '{' || c == '[') {
      v.what = c == '{' ? "an object" : "an array";
      container(depth, c == '{' ? '}' : ']');
    } else {
      for (const char* word : {"true", "false", "null"}) {
        if (text_.substr(at_).starts_with(word)) {
          v.what = word;
          at_ += std::string_view(word).size();
          break;
        }
      }
      if (*v.what == '\0') fail("expected a JSON value");
    }
    if (out != nullptr) *out = std::move(v);
  }

  // An object or array whose opening bracket is at at_; of an object, the
  // values of the members `names` go to `out` (if given).
  void container(int depth, char close, const std::vector<std::string>* names = nullptr,
                 std::vector<std::optional<JsonValue>>* out = nullptr) {
    ++at_;
    space();
    if (peek() == close) {
      ++at_;
      return;
    }
    while (true) {
      space();
      std::string name;
      if (close == '}') {
        if (peek() != '"') fail("expected a member name in double quotes");
        string(names != nullptr ? &name : nullptr);
        space();
        if (peek() != ':') fail("expected ':' after the member name");
        ++at_;
      }
      JsonValue v;
      value(depth + 1, names != nullptr ? &v : nullptr);
      for (std::size_t i = 0; names != nullptr && i < names->size(); ++i) {
        if ((*names)[i] == name) (*out)[i] = v;
      }
      space();
      if (peek() == ',') {
        ++at_;
      } else if (peek() == close) {
        ++at_;
        return;
      } else {
        fail(std::string("expected ',' or '") + close + "'" + (close == '}' ? " after a member" : ""));
      }
    }
  }

  // Four hex digits of a \u escape.
  char32_t hex4() {
    char32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int c = peek();
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0) fail("expected four hex digits after \\u");
      v = v * 16 + static_cast<char32_t>(d);
      ++at_;
    }
    return v;
  }

  // A string whose opening quote is at at_, unescaped into `out` if given.
  void string(std::string* out) {
    ++at_;
    while (true) {
      const int c = peek();
      if (c < 0) fail("the string does not end");
      if (c == '"') {
        ++at_;
        return;
      }
      if (c < 0x20) fail("a control character in a string must be escaped");
      if (c != '\\') {
        if (out != nullptr) *out += static_cast<char>(c);
        ++at_;
        continue;
      }
      const std::size_t escape = at_;
      ++at_;
      const int e = peek();
      ++at_;
      char plain = 0;
      switch (e) {
        case '"': plain = '"'; break;
        case '\\': plain = '\\'; break;
        case '/': plain = '/'; break;
        case 'b': plain = '\b'; break;
        case 'f': plain = '\f'; break;
        case 'n': plain = '\n'; break;
        case 'r': plain = '\r'; break;
        case 't': plain = '\t'; break;
        case 'u': break;
        default: at_ = escape, fail("unknown escape in a string");
      }
      if (e != 'u') {
        if (out != nullptr) *out += plain;
        continue;
      }
      char32_t cp = hex4();
      if (cp >= 0xD800 && cp <= 0xDBFF && text_.substr(at_).starts_with("\\u")) {
        const std::size_t second = at_;
        at_ += 2;
        const char32_t low = hex4();
        if (low >= 0xDC00 && low <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else {
          at_ = second;  // the second escape stands on its own
        }
      }
      if (cp >= 0xD800 && cp <= 0xDFFF) {
        if (!replace_) at_ = escape, fail("\\u escape of a lone surrogate (not a character)");
        cp = 0xFFFD;
      }
      if (out != nullptr) append_utf8(cp, *out);
    }
  }

  void digits() {
    if (peek() < '0' || peek() > '9') fail("expected a digit");
    while (peek() >= '0' && peek() <= '9') ++at_;
  }

  void number() {
    if (peek() == '-') ++at_;
    if (peek() == '0') {
      ++at_;
    } else {
      digits();
    }
    if (peek() == '.') {
      ++at_;
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      ++at_;
      if (peek() == '+' || peek() == '-') ++at_;
      digits();
    }
  }

  std::string_view text_;
  bool replace_;
  std::size_t at_ = 0;
};

}  // namespace

std::vector<std::optional<JsonValue>> json_members(std::string_view text, const std::vector<std::string>& names,
                                                   bool replace) {
  return Parser(text, replace).members(names);
}

}  // namespace natgrad::io
