// libFuzzer target: UTF-8 checking and replacement, and the tokeniser. The
// input's first byte is the length n (mod 24) of a token pattern that follows
// (the default where that is not a pattern); the rest is the text. Checks that
// replacement gives valid UTF-8 and leaves valid text alone, and that every
// token is valid UTF-8, non-empty, of characters of the pattern's class, and of
// a length the pattern allows.
#include <string>

#include "natgrad/error.hpp"
#include "natgrad/io/tokenizer.hpp"

namespace {

// Code points of valid UTF-8 text.
std::u32string code_points(std::string_view text) {
  std::u32string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    const int n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t c = n == 1 ? b : b & (0x7F >> n);
    for (int k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]) & 0x3F);
    out += c;
    i += static_cast<std::size_t>(n);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace natgrad::io;
  if (size == 0) return 0;
  const std::size_t n = std::min<std::size_t>(data[0] % 24, size - 1);
  const std::string pattern_text(reinterpret_cast<const char*>(data) + 1, n);
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1 + n, size - 1 - n);
  std::string pattern_used = "\\p{L}{3,}";
  try {
    (void)TokenPattern(pattern_text);
    pattern_used = pattern_text;
  } catch (const natgrad::Error&) {
  }
  const TokenPattern pattern(pattern_used);
  const std::string text = replace_invalid_utf8(bytes);
  if (find_invalid_utf8(text) != std::string_view::npos) __builtin_trap();
  if (find_invalid_utf8(bytes) == std::string_view::npos && text != bytes) __builtin_trap();
  if (find_invalid_utf8(Tokenizer::lowercase(text)) != std::string_view::npos) __builtin_trap();
  Tokenizer tokenizer(pattern, {"the", "stop"});
  tokenizer.tokens(text, [&](std::string_view token) {
    if (token.empty() || find_invalid_utf8(token) != std::string_view::npos) __builtin_trap();
    const std::u32string chars = code_points(token);
    const auto length = static_cast<std::int64_t>(chars.size());
    if (length < pattern.min_length() || (pattern.max_length() > 0 && length > pattern.max_length())) __builtin_trap();
    for (const char32_t c : chars) {
      if (c == 0 || !pattern.matches(c)) __builtin_trap();
    }
    if (token == "the" || token == "stop") __builtin_trap();
  });
  return 0;
}
