#pragma once
/// @file The tokeniser of `natgrad convert text`: UTF-8 checking, lowercasing,
/// and tokens matched by a pattern.
///
/// A text is lowercased as Python's str.lower does (Unicode's full default
/// case mapping, without the context rule that makes Σ a final ς), then its
/// tokens are what Python's re.findall(PATTERN, text) finds for a pattern of
/// one character class and a length:
///     CLASS{m,}  CLASS{m,n}  CLASS{m}  CLASS+  CLASS      (1 ≤ m ≤ n)
/// CLASS is \p{L} (letters: Python's str.isalpha), \d (decimal digits:
/// str.isdecimal), \w (word characters: str.isalnum or '_'), a character, or
/// a set [...] of them and of ranges a-z, negated by a leading ^; \ escapes
/// any other character. So a maximal run of r characters of the class gives
/// tokens of n characters while at least n remain, then one of the rest if
/// at least m remain. U+0000 is in no class (a word holding it could not be
/// stored: HDF5's strings end there). The character tables come from Python 3.11's
/// unicodedata (Unicode 14.0.0; tools/unicode_tables.py).

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace natgrad::io {

/// The Unicode version of the character tables ("14.0.0").
const char* unicode_version();

/// Appends code point c (≤ 0x10FFFF, not a surrogate) to `out` as UTF-8.
void append_utf8(char32_t c, std::string& out);

/// The first invalid UTF-8 sequence of `bytes` (overlong forms, surrogates
/// and code points above 0x10FFFF are invalid), as its offset, or npos.
std::size_t find_invalid_utf8(std::string_view bytes);

/// `bytes` with each maximal invalid subsequence replaced by U+FFFD, as
/// Python's bytes.decode("utf-8", "replace") does.
std::string replace_invalid_utf8(std::string_view bytes);

/// Appends the lowercase of code point c to `out` (one code point, or two for
/// U+0130 İ: i and U+0307).
void append_lowercase(char32_t c, std::u32string& out);

/// Whether c is a letter, a decimal digit or a word character (see above).
bool is_letter(char32_t c);
bool is_decimal(char32_t c);
bool is_word_character(char32_t c);

/// A token pattern (the file's grammar above).
class TokenPattern {
 public:
  /// @throws natgrad::Error "--token-pattern 'TEXT': what is wrong" if `text` is not of the grammar.
  explicit TokenPattern(const std::string& text);
  const std::string& text() const { return text_; }
  /// Whether c is in the pattern's class.
  bool matches(char32_t c) const { return c < 128 ? ascii_[c] : in_class(c); }
  std::int64_t min_length() const { return min_; }
  /// 0: no most.
  std::int64_t max_length() const { return max_; }

 private:
  bool in_class(char32_t c) const;
  struct Item {
    enum class Kind { kRange, kLetter, kDecimal, kWord } kind = Kind::kRange;
    char32_t first = 0, last = 0;
  };
  std::string text_;
  std::vector<Item> items_;
  bool negated_ = false;
  std::int64_t min_ = 1;
  std::int64_t max_ = 1;
  std::array<bool, 128> ascii_{};  ///< in_class(c) for c < 128, looked up once
};

/// Lowercases valid UTF-8 text and finds its tokens, dropping stop words.
class Tokenizer {
 public:
  /// @param stop_words lowercased as the text is
  Tokenizer(TokenPattern pattern, const std::vector<std::string>& stop_words);
  /// Calls `token` with each token of `text` (valid UTF-8) that is not a stop word, in order.
  void tokens(std::string_view text, const std::function<void(std::string_view)>& token);
  /// `text` (valid UTF-8) lowercased, as UTF-8.
  static std::string lowercase(std::string_view text);

 private:
  void end_run(const std::function<void(std::string_view)>& token);
  // Lets the stop words be looked up by a string_view.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  TokenPattern pattern_;
  std::unordered_set<std::string, Hash, std::equal_to<>> stop_words_;
  std::string run_;                  ///< the current run of characters of the class, UTF-8
  std::int64_t chars_ = 0;           ///< characters in run_
  std::vector<std::size_t> starts_;  ///< byte offset in run_ of each of its characters (for a pattern with a most)
  std::u32string lowered_;           ///< scratch
};

}  // namespace natgrad::io
