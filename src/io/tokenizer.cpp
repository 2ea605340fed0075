#include "natgrad/io/tokenizer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "natgrad/error.hpp"

namespace natgrad::io {

namespace {

struct CodeRange {
  char32_t first, last;
};

// Code points c in [first, last] with (c − first) % stride == 0 lowercase to c + delta.
struct LowercaseRun {
  char32_t first, last;
  int stride, delta;
};

#include "unicode_tables.inc"

template <std::size_t N>
bool in_ranges(const CodeRange (&ranges)[N], char32_t c) {
  const auto it = std::upper_bound(std::begin(ranges), std::end(ranges), c,
                                   [](char32_t x, const CodeRange& r) { return x < r.first; });
  return it != std::begin(ranges) && c <= std::prev(it)->last;
}

// The length of the valid UTF-8 sequence at p (1 to 4 bytes), or minus the
// length of the maximal invalid subpart that starts there (Unicode §3.9: the
// bytes that one U+FFFD replaces, as Python and the WHATWG decoder do).
int sequence_at(const unsigned char* p, std::size_t n) {
  const unsigned char b = p[0];
  if (b < 0x80) return 1;
  int more = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range; later bytes are 0x80..0xBF
  if (b >= 0xC2 && b <= 0xDF) {
    more = 1;
  } else if (b == 0xE0) {
    more = 2, lo = 0xA0;  // no overlong forms
  } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
    more = 2;
  } else if (b == 0xED) {
    more = 2, hi = 0x9F;  // no surrogates
  } else if (b == 0xF0) {
    more = 3, lo = 0x90;
  } else if (b >= 0xF1 && b <= 0xF3) {
    more = 3;
  } else if (b == 0xF4) {
    more = 3, hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return -1;
  }
  for (int k = 1; k <= more; ++k) {
    if (static_cast<std::size_t>(k) >= n) return -k;
    const unsigned char c = p[k];
    if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return -k;
  }
  return more + 1;
}

// The code point of the valid sequence of `length` bytes at p.
char32_t decode(const unsigned char* p, int length) {
  if (length == 1) return p[0];
  char32_t c = p[0] & (0x7F >> length);
  for (int k = 1; k < length; ++k) c = (c << 6) | (p[k] & 0x3F);
  return c;
}

[[noreturn]] void bad_pattern(const std::string& text, const std::string& what) {
  throw Error("--token-pattern '" + text + "': " + what +
              "; expected one character class and a length, e.g. \\p{L}{3,} or [a-z0-9]{2,15}");
}

}  // namespace

const char* unicode_version() { return kUnicodeVersion; }

void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::size_t find_invalid_utf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (std::size_t i = 0; i < bytes.size();) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const int length = sequence_at(p + i, bytes.size() - i);
    if (length < 0) return i;
    i += static_cast<std::size_t>(length);
  }
  return std::string_view::npos;
}

std::string replace_invalid_utf8(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const int length = sequence_at(p + i, bytes.size() - i);
    if (length > 0) {
      out.append(bytes.substr(i, static_cast<std::size_t>(length)));
      i += static_cast<std::size_t>(length);
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD
      i += static_cast<std::size_t>(-length);
    }
  }
  return out;
}

void append_lowercase(char32_t c, std::u32string& out) {
  if (c == 0x130) {  // İ: Unicode's one unconditional lowercase of two code points
    out += U'i';
    out += U'\u0307';
    return;
  }
  const auto it = std::upper_bound(std::begin(kLowercase), std::end(kLowercase), c,
                                   [](char32_t x, const LowercaseRun& r) { return x < r.first; });
  if (it != std::begin(kLowercase)) {
    const LowercaseRun& r = *std::prev(it);
    if (c <= r.last && (c - r.first) % static_cast<char32_t>(r.stride) == 0) {
      out += static_cast<char32_t>(static_cast<std::int64_t>(c) + r.delta);
      return;
    }
  }
  out += c;
}

bool is_letter(char32_t c) { return in_ranges(kLetters, c); }
bool is_decimal(char32_t c) { return in_ranges(kDecimals, c); }
bool is_word_character(char32_t c) { return in_ranges(kWordCharacters, c); }

TokenPattern::TokenPattern(const std::string& text) : text_(text) {
  // The pattern as code points, so that a class may hold any character.
  if (find_invalid_utf8(text) != std::string_view::npos) bad_pattern(text, "not valid UTF-8");
  std::u32string p;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t i = 0; i < text.size();) {
    const int length = sequence_at(bytes + i, text.size() - i);
    p += decode(bytes + i, length);
    i += static_cast<std::size_t>(length);
  }
  std::size_t at = 0;
  // One item at p[at]: an escape or a character.
  const auto item = [&] {
    if (at >= p.size()) bad_pattern(text, "it ends inside the character class");
    const char32_t c = p[at++];
    if (c != U'\\') return Item{Item::Kind::kRange, c, c};
    if (at >= p.size()) bad_pattern(text, "it ends with a lone \\");
    const char32_t e = p[at++];
    if (e == U'd') return Item{Item::Kind::kDecimal};
    if (e == U'w') return Item{Item::Kind::kWord};
    if (e == U'p') {
      if (p.compare(at, 3, U"{L}") != 0) bad_pattern(text, "\\p must be \\p{L} (letters)");
      at += 3;
      return Item{Item::Kind::kLetter};
    }
    if (e < 0x80 && std::isalnum(static_cast<int>(e)) != 0) {
      bad_pattern(text, std::string("\\") + static_cast<char>(e) + " is not a class natgrad knows (\\p{L}, \\d, \\w)");
    }
    return Item{Item::Kind::kRange, e, e};
  };
  if (p.empty()) bad_pattern(text, "it is empty");
  if (p[0] == U'[') {
    ++at;
    if (at < p.size() && p[at] == U'^') {
      negated_ = true;
      ++at;
    }
    bool first = true;
    while (at >= p.size() || p[at] != U']' || first) {
      Item i = item();
      first = false;
      if (i.kind == Item::Kind::kRange && at + 1 < p.size() && p[at] == U'-' && p[at + 1] != U']') {
        ++at;
        const Item last = item();
        if (last.kind != Item::Kind::kRange) bad_pattern(text, "a range must end with a character");
        if (last.first < i.first) bad_pattern(text, "a range's end comes before its start");
        i.last = last.first;
      }
      items_.push_back(i);
    }
    ++at;  // ]
  } else {
    items_.push_back(item());
  }
  // The length: none (one character), + (one or more), {m}, {m,} or {m,n}.
  if (at == p.size()) {
    min_ = max_ = 1;
  } else if (p[at] == U'+' && at + 1 == p.size()) {
    min_ = 1;
    max_ = 0;
  } else if (p[at] == U'{' && p.back() == U'}') {
    std::string inner;
    for (std::size_t i = at + 1; i + 1 < p.size(); ++i) {
      if (p[i] > 0x7F) bad_pattern(text, "the length {m,n} holds a character that is not a digit or a comma");
      inner += static_cast<char>(p[i]);
    }
    const std::size_t comma = inner.find(',');
    const auto number = [&](std::string_view digits, std::int64_t& out) {
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
      if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
        bad_pattern(text, "the length must be {m}, {m,} or {m,n} with whole numbers");
      }
    };
    number(std::string_view(inner).substr(0, comma), min_);
    if (comma == std::string::npos) {
      max_ = min_;
    } else if (comma + 1 == inner.size()) {
      max_ = 0;
    } else {
      number(std::string_view(inner).substr(comma + 1), max_);
    }
    if (min_ < 1) bad_pattern(text, "a token needs at least one character (m >= 1)");
    if (max_ != 0 && max_ < min_) bad_pattern(text, "the longest length is below the shortest");
  } else {
    bad_pattern(text, "after the class comes '" + std::string(1, static_cast<char>(p[at] < 0x80 ? p[at] : '?')) +
                          "'; expected nothing, +, or a length {m,n}");
  }
  for (char32_t c = 0; c < 128; ++c) ascii_[c] = in_class(c);
  ascii_[0] = false;  // HDF5's strings end at a NUL: no word may hold one
}

bool TokenPattern::in_class(char32_t c) const {
  bool in = false;
  for (const Item& i : items_) {
    switch (i.kind) {
      case Item::Kind::kRange: in = c >= i.first && c <= i.last; break;
      case Item::Kind::kLetter: in = is_letter(c); break;
      case Item::Kind::kDecimal: in = is_decimal(c); break;
      case Item::Kind::kWord: in = is_word_character(c); break;
    }
    if (in) break;
  }
  return in != negated_;
}

Tokenizer::Tokenizer(TokenPattern pattern, const std::vector<std::string>& stop_words) : pattern_(std::move(pattern)) {
  for (const std::string& w : stop_words) stop_words_.insert(lowercase(w));
}

std::string Tokenizer::lowercase(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::string out;
  std::u32string lowered;
  for (std::size_t i = 0; i < text.size();) {
    const int length = sequence_at(p + i, text.size() - i);
    lowered.clear();
    append_lowercase(decode(p + i, length), lowered);
    for (const char32_t c : lowered) append_utf8(c, out);
    i += static_cast<std::size_t>(length);
  }
  return out;
}

void Tokenizer::tokens(std::string_view text, const std::function<void(std::string_view)>& token) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const bool bounded = pattern_.max_length() != 0;  // only then does end_run need where characters start
  run_.clear();
  starts_.clear();
  chars_ = 0;
  const auto add = [&](char32_t c) {
    if (pattern_.matches(c)) {
      if (bounded) starts_.push_back(run_.size());
      ++chars_;
      if (c < 0x80) {
        run_ += static_cast<char>(c);
      } else {
        append_utf8(c, run_);
      }
    } else if (chars_ > 0) {
      end_run(token);
    }
  };
  for (std::size_t i = 0; i < text.size();) {
    if (p[i] < 0x80) {  // ASCII, most text: lowercased and looked up without decoding
      add(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
      ++i;
      continue;
    }
    const int length = sequence_at(p + i, text.size() - i);
    lowered_.clear();
    append_lowercase(decode(p + i, length), lowered_);
    i += static_cast<std::size_t>(length);
    for (const char32_t c : lowered_) add(c);
  }
  if (chars_ > 0) end_run(token);
}

void Tokenizer::end_run(const std::function<void(std::string_view)>& token) {
  // As re.findall: from each position, the longest match (at most max characters), while one fits.
  const std::int64_t length = chars_;
  const std::int64_t most = pattern_.max_length() == 0 ? length : pattern_.max_length();
  for (std::int64_t at = 0; length - at >= pattern_.min_length();) {
    const std::int64_t n = std::min(most, length - at);
    const std::size_t begin = at == 0 ? 0 : starts_[static_cast<std::size_t>(at)];
    const std::size_t end = at + n < length ? starts_[static_cast<std::size_t>(at + n)] : run_.size();
    const std::string_view t(run_.data() + begin, end - begin);
    if (stop_words_.find(t) == stop_words_.end()) token(t);
    at += n;
  }
  run_.clear();
  starts_.clear();
  chars_ = 0;
}

}  // namespace natgrad::io
