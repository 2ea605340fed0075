// `natgrad convert triples`: (row, column, count) records, e.g. users × items
// counts for a recommender, to a corpus with rows as documents.

#include <algorithm>
#include <charconv>
#include <limits>
#include <string_view>
#include <unordered_map>

#include "line_reader.hpp"
#include "natgrad/error.hpp"
#include "natgrad/io/hdf5.hpp"
#include "natgrad/io/text_corpus.hpp"

namespace natgrad::io {

namespace {

using detail::LineReader;

using detail::quoted;

enum class Separator { kTab, kComma, kSpaces };

Separator separator_of(std::string_view line) {
  if (line.find('\t') != std::string_view::npos) return Separator::kTab;
  if (line.find(',') != std::string_view::npos) return Separator::kComma;
  return Separator::kSpaces;
}

// The fields of a line: at each tab or comma, or at runs of spaces.
void split(std::string_view line, Separator sep, std::vector<std::string_view>& out) {
  if (sep == Separator::kSpaces) return detail::split_blanks(line, out);
  detail::split_at(line, sep == Separator::kTab ? '\t' : ',', out);
}

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points beyond U+10FFFF).
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + static_cast<std::size_t>(extra) >= s.size()) return false;
    for (int j = 1; j <= extra; ++j) {
      const auto d = static_cast<unsigned char>(s[i + static_cast<std::size_t>(j)]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    constexpr std::uint32_t kLeast[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kLeast[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

// Whether a field reads as an integer (of any size): an optional '-', then digits.
bool looks_integer(std::string_view field) {
  if (!field.empty() && field[0] == '-') field.remove_prefix(1);
  return !field.empty() && field.find_first_not_of("0123456789") == std::string_view::npos;
}

constexpr std::int64_t kMaxCount = std::numeric_limits<std::int32_t>::max();

std::int32_t parse_count(const LineReader& in, std::string_view field, int column) {
  if (field.empty()) in.fail(column, "empty count");
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  const bool whole = end == field.data() + field.size();
  if (!looks_integer(field) || (ec != std::errc() && ec != std::errc::result_out_of_range) || !whole) {
    in.fail(column, "count " + quoted(field) + " is not an integer");
  }
  if (ec == std::errc::result_out_of_range || value < 1 || value > kMaxCount) {
    in.fail(column, "count " + quoted(field) + " is out of range; expected 1 to " + std::to_string(kMaxCount));
  }
  return static_cast<std::int32_t>(value);
}

// Dense ids of names in order of first appearance, or of given names only (fixed: −1 for any other).
class Names {
 public:
  Names(const char* what, const LineReader& in) : what_(what), in_(in) {}
  Names(const char* what, const LineReader& in, std::vector<std::string> given) : Names(what, in) {
    fixed_ = true;
    names_ = std::move(given);
    for (std::size_t i = 0; i < names_.size(); ++i) ids_.try_emplace(names_[i], static_cast<std::int32_t>(i));
  }
  bool fixed() const { return fixed_; }
  std::int32_t id(std::string_view name, int column) {
    if (name.empty()) in_.fail(column, std::string("empty ") + what_ + " id");
    if (!valid_utf8(name)) in_.fail(column, std::string(what_) + " id " + quoted(name) + " is not valid UTF-8");
    if (fixed_) {
      const auto it = ids_.find(std::string(name));
      return it == ids_.end() ? -1 : it->second;
    }
    const auto [it, added] = ids_.try_emplace(std::string(name), static_cast<std::int32_t>(names_.size()));
    if (added) {
      if (names_.size() == static_cast<std::size_t>(kMaxCount)) {
        in_.fail(column, std::string("more than 2^31 - 1 distinct ") + what_ + " ids");
      }
      names_.emplace_back(name);
    }
    return it->second;
  }
  std::vector<std::string>& names() { return names_; }

 private:
  const char* what_;
  const LineReader& in_;
  bool fixed_ = false;
  std::unordered_map<std::string, std::int32_t> ids_;
  std::vector<std::string> names_;
};

struct Record {
  std::int32_t row;
  std::int32_t column;
  std::int32_t count;
  std::int64_t line;
};

// Keeps the names of the ids marked `used`, and returns each old id's new one (−1: dropped).
std::vector<std::int32_t> compact(std::vector<std::string>& names, const std::vector<bool>& used) {
  std::vector<std::int32_t> renumber(names.size(), -1);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!used[i]) continue;
    renumber[i] = static_cast<std::int32_t>(kept);
    if (kept != i) names[kept] = std::move(names[i]);  // (a self-move would empty it)
    ++kept;
  }
  names.resize(kept);
  return renumber;
}

// The column names of a model or corpus file (its /vocab).
std::vector<std::string> names_of(const std::string& path) {
  const h5::File file = h5::File::open_read(path);
  std::vector<std::string> names = file.exists("/vocab") ? file.read_strings("/vocab") : std::vector<std::string>{};
  if (names.empty()) {
    throw Error("--items-from " + path + ": the file has no names of its items ('/vocab' is missing or empty); "
                "expected a model or corpus made from named items");
  }
  return names;
}

}  // namespace

Corpus read_triples(const std::string& path, const TriplesOptions& options, std::int64_t* skipped) {
  LineReader in(path);
  Names rows("user", in);
  Names columns = options.items_from.empty() ? Names("item", in) : Names("item", in, names_of(options.items_from));
  std::int64_t unknown = 0;  // records of items that the --items-from file lacks
  std::vector<Record> records;
  std::vector<std::string_view> f;
  std::string line;
  Separator sep = Separator::kSpaces;
  int count_column = options.count_column;  // resolved at the first line
  std::size_t width = 0;                    // fields of the first data line
  std::int64_t width_line = 0;
  bool first = true;
  // The chosen columns are fields of the line in f.
  const auto within_fields = [&] {
    const std::pair<const char*, int> wanted[] = {
        {"--user-column", options.row_column}, {"--item-column", options.column_column}, {"--count-column", count_column}};
    for (const auto& [option, column] : wanted) {
      if (static_cast<std::size_t>(column) > f.size()) {
        in.fail(std::string(option) + " " + std::to_string(column) + " is beyond the " + std::to_string(f.size()) +
                " fields of the line");
      }
    }
  };
  while (in.next(line)) {
    if (detail::trimmed(line).empty()) continue;
    if (first) sep = separator_of(line);
    split(line, sep, f);
    if (first) {
      first = false;
      if (count_column < 0) {
        // The first field that holds neither id, if the line has three or more.
        count_column = 0;
        for (int c = 1; f.size() >= 3 && count_column == 0; ++c) {
          if (c != options.row_column && c != options.column_column) count_column = c;
        }
      }
      within_fields();
      const bool numeric = count_column > 0 && looks_integer(f[static_cast<std::size_t>(count_column) - 1]);
      if (options.header || (count_column > 0 && !numeric)) continue;
    }
    if (width == 0) {
      within_fields();  // again: a header line may have more fields than the records
      width = f.size();
      width_line = in.number();
    } else if (f.size() != width) {
      in.fail(std::to_string(f.size()) + (f.size() == 1 ? " field" : " fields") + "; line " +
              std::to_string(width_line) + " has " + std::to_string(width));
    }
    Record r{};
    r.row = rows.id(f[static_cast<std::size_t>(options.row_column) - 1], options.row_column);
    r.column = columns.id(f[static_cast<std::size_t>(options.column_column) - 1], options.column_column);
    r.count = count_column > 0 ? parse_count(in, f[static_cast<std::size_t>(count_column) - 1], count_column) : 1;
    r.line = in.number();
    if (r.column < 0) {
      ++unknown;
      continue;
    }
    records.push_back(r);
  }
  if (skipped != nullptr) *skipped = unknown;
  if (records.empty()) {
    throw Error(path + (unknown == 0 ? ": no records (lines of user, item and count)"
                                     : ": no record names an item of --items-from " + options.items_from + " (" +
                                           std::to_string(unknown) +
                                           (unknown == 1 ? " record of another item)" : " records of other items)")));
  }

  // Repeated pairs summed, in the file's order (stable), then filtered.
  std::stable_sort(records.begin(), records.end(), [](const Record& a, const Record& b) {
    return a.row != b.row ? a.row < b.row : a.column < b.column;
  });
  std::size_t out = 0;
  for (std::size_t i = 0; i < records.size();) {
    Record sum = records[i];
    std::int64_t total = 0;
    for (; i < records.size() && records[i].row == sum.row && records[i].column == sum.column; ++i) {
      total += records[i].count;
      if (total > kMaxCount) {
        throw Error(path + " line " + std::to_string(records[i].line) + ": the counts of user '" +
                    rows.names()[static_cast<std::size_t>(sum.row)] + "' and item '" +
                    columns.names()[static_cast<std::size_t>(sum.column)] + "' sum to more than " +
                    std::to_string(kMaxCount));
      }
    }
    if (total < options.min_count) continue;
    sum.count = options.binarize ? 1 : static_cast<std::int32_t>(total);
    records[out++] = sum;
  }
  records.resize(out);
  if (records.empty()) {
    throw Error(path + ": no pair of user and item has a count of at least --min-count " +
                std::to_string(options.min_count));
  }
  std::vector<bool> row_used(rows.names().size(), false);
  std::vector<bool> column_used(columns.names().size(), columns.fixed());  // given columns are all kept
  for (const Record& r : records) {
    row_used[static_cast<std::size_t>(r.row)] = true;
    column_used[static_cast<std::size_t>(r.column)] = true;
  }
  const std::vector<std::int32_t> row_id = compact(rows.names(), row_used);
  const std::vector<std::int32_t> column_id = compact(columns.names(), column_used);

  Corpus corpus;
  corpus.vocab = std::move(columns.names());
  corpus.vocab_size = static_cast<std::int32_t>(corpus.vocab.size());
  corpus.doc_names = std::move(rows.names());
  std::vector<std::int32_t> ids, counts;
  for (std::size_t i = 0; i < records.size();) {
    const std::int32_t row = records[i].row;
    ids.clear();
    counts.clear();
    for (; i < records.size() && records[i].row == row; ++i) {
      ids.push_back(column_id[static_cast<std::size_t>(records[i].column)]);
      counts.push_back(records[i].count);
    }
    // Renumbering keeps the order of first appearance, and so the columns' order within a row.
    corpus.add_document(ids, counts, row_id[static_cast<std::size_t>(row)]);
  }
  corpus.total_docs = corpus.num_docs();
  return corpus;
}

}  // namespace natgrad::io
