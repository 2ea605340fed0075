#pragma once
// Internal to src/io: reads the lines of a plain or gzip-compressed text file,
// and makes errors that name the file and the line. Shared by the text readers
// (text_corpus.cpp, dense.cpp, raw_text.cpp).

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "natgrad/error.hpp"

namespace natgrad::io::detail {

/// Reads lines from a plain or gzip-compressed file (zlib reads both).
class LineReader {
 public:
  /// Opens `path`. @throws natgrad::Error "PATH: no such file" or naming why it cannot be opened.
  explicit LineReader(std::string path) : path_(std::move(path)) {
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec)) throw Error(path_ + ": no such file");
    if (std::filesystem::is_directory(path_, ec)) throw Error(path_ + ": is a directory, expected a text file");
    file_ = gzopen(path_.c_str(), "rb");
    if (file_ == nullptr) throw Error(path_ + ": cannot be opened for reading");
  }
  ~LineReader() { gzclose(file_); }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  /// Next line without its end-of-line characters ("\n", "\r\n"; NUL bytes
  /// are kept); false at end of file.
  /// @throws natgrad::Error naming the line where damaged or truncated compressed data stop.
  bool next(std::string& line) {
    line.clear();
    std::size_t taken = 0;  // bytes of the line's end consumed
    while (true) {
      const std::size_t newline = buffer_.find('\n', pos_);
      if (newline != std::string::npos) {
        line.append(buffer_, pos_, newline - pos_);
        taken = 1;
        pos_ = newline + 1;
        break;
      }
      line.append(buffer_, pos_, std::string::npos);
      pos_ = buffer_.size();
      if (!fill()) break;
    }
    if (line.empty() && taken == 0) return false;
    offset_ = next_offset_;
    next_offset_ += static_cast<std::int64_t>(line.size() + taken);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    ++number_;
    return true;
  }

  /// The rest of the file from where next() stopped, whole (for files that are one document).
  std::string rest() {
    std::string out(buffer_, pos_);
    pos_ = buffer_.size();
    while (fill()) {
      out += buffer_;
      pos_ = buffer_.size();
    }
    return out;
  }

  /// Byte offset in the (decompressed) text of the start of the line last returned.
  std::int64_t offset() const { return offset_; }
  /// 1-based number of the line last returned by next().
  std::int64_t number() const { return number_; }
  const std::string& path() const { return path_; }
  /// Throws "PATH line N: what" for the line last returned.
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(path_ + " line " + std::to_string(number_) + ": " + what);
  }
  /// Throws "PATH line N, column C: what" for the line last returned (C 1-based).
  [[noreturn]] void fail(std::int64_t column, const std::string& what) const {
    throw Error(path_ + " line " + std::to_string(number_) + ", column " + std::to_string(column) + ": " + what);
  }

 private:
  // Reads the next block of the text into buffer_; false at end of file.
  bool fill() {
    buffer_.resize(kBlock);
    const int n = gzread(file_, buffer_.data(), static_cast<unsigned>(kBlock));
    int errnum = 0;
    gzerror(file_, &errnum);
    if (n < 0 || (errnum != Z_OK && errnum != Z_STREAM_END)) {
      throw Error(path_ + " line " + std::to_string(number_ + 1) + ": the file is damaged or truncated");
    }
    buffer_.resize(static_cast<std::size_t>(n));
    pos_ = 0;
    return n > 0;
  }

  static constexpr std::size_t kBlock = 1 << 16;
  std::string path_;
  gzFile file_ = nullptr;
  std::string buffer_;
  std::size_t pos_ = 0;
  std::int64_t number_ = 0;
  std::int64_t offset_ = 0;
  std::int64_t next_offset_ = 0;
};

inline constexpr std::string_view kBlanks = " \t";

/// `field` without the blanks (spaces, tabs) around it.
inline std::string_view trimmed(std::string_view field) {
  const std::size_t first = field.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  return field.substr(first, field.find_last_not_of(kBlanks) + 1 - first);
}

/// The fields of a line at each `separator` (an empty field between two is a field), trimmed.
inline void split_at(std::string_view line, char separator, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t at = line.find(separator, start);
    out.push_back(trimmed(line.substr(start, at == std::string_view::npos ? at : at - start)));
    if (at == std::string_view::npos) return;
    start = at + 1;
  }
}

/// The fields of a line separated by runs of blanks.
inline void split_blanks(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t pos = 0;
  while (true) {
    const std::size_t start = line.find_first_not_of(kBlanks, pos);
    if (start == std::string_view::npos) return;
    const std::size_t stop = std::min(line.find_first_of(kBlanks, start), line.size());
    out.push_back(line.substr(start, stop - start));
    pos = stop;
  }
}

/// A field as an error message quotes it: long ones are cut short.
inline std::string quoted(std::string_view field) {
  constexpr std::size_t kMax = 40;
  std::string out(1, '\'');
  out.append(field.substr(0, kMax)).append(field.size() > kMax ? "...'" : "'");
  return out;
}

}  // namespace natgrad::io::detail
