#include "natgrad/io/raw_text.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "line_reader.hpp"
#include "natgrad/error.hpp"
#include "natgrad/io/corpus.hpp"
#include "natgrad/io/hdf5.hpp"
#include "natgrad/io/json.hpp"
#include "natgrad/io/tokenizer.hpp"

namespace natgrad::io {

namespace {

using detail::LineReader;
namespace fs = std::filesystem;

// Lets unordered containers of std::string be searched with a string_view.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <class T>
using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;
using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

// Where a text came from, for messages: "PATH line N" or "PATH".
std::string place(const std::string& path, std::int64_t line) {
  return line > 0 ? path + " line " + std::to_string(line) : path;
}

// `bytes` as valid UTF-8: as they are, with bad sequences replaced, or an error naming the byte
// (`offset`: of bytes[0] in the file's text).
std::string checked_utf8(std::string_view bytes, bool replace, const std::string& path, std::int64_t line,
                         std::int64_t offset) {
  const std::size_t bad = find_invalid_utf8(bytes);
  if (bad == std::string_view::npos) return std::string(bytes);
  if (replace) return replace_invalid_utf8(bytes);
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(bytes[bad]));
  throw Error(place(path, line) + ", byte " + std::to_string(offset + static_cast<std::int64_t>(bad)) +
              ": invalid UTF-8 (byte " + hex + "); convert the file to UTF-8, or give --errors replace to read "
              "bad bytes as U+FFFD");
}

// The regular files under `folder` (and links to files; links to folders are not followed, so no cycle can
// trap the walk), in the order of their paths relative to it (as byte strings).
std::vector<fs::path> files_under(const std::string& folder) {
  std::vector<std::pair<std::string, fs::path>> found;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(folder, ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) found.emplace_back(it->path().lexically_relative(folder).generic_string(), it->path());
  }
  if (ec) throw Error(folder + ": cannot list the folder: " + ec.message());
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& [relative, path] : found) out.push_back(std::move(path));
  return out;
}

// Calls `document(text, name)` with each document of the inputs, in order (text: valid UTF-8).
class Documents {
 public:
  explicit Documents(const TextOptions& o) : o_(o) {
    for (const std::string& input : o.inputs) {
      std::error_code ec;
      if (!fs::exists(input, ec)) throw Error(input + ": no such file or folder");
    }
  }

  void each(const std::function<void(std::string_view, const std::string&)>& document) const {
    for (const std::string& input : o_.inputs) {
      if (fs::is_directory(input)) {
        for (const fs::path& file : files_under(input)) {
          LineReader in(file.string());
          document(checked_utf8(in.rest(), o_.replace_errors, file.string(), 0, 0), file.string());
        }
      } else if (o_.field.empty()) {
        LineReader in(input);
        std::string line;
        while (in.next(line)) {
          document(checked_utf8(line, o_.replace_errors, input, in.number(), in.offset()),
                   input + ":" + std::to_string(in.number()));
        }
      } else {
        json_lines(input, document);
      }
    }
  }

 private:
  void json_lines(const std::string& input,
                  const std::function<void(std::string_view, const std::string&)>& document) const {
    const std::vector<std::string> names = o_.name_field.empty() ? std::vector<std::string>{o_.field}
                                                                 : std::vector<std::string>{o_.field, o_.name_field};
    LineReader in(input);
    std::string line;
    while (in.next(line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::string text = checked_utf8(line, o_.replace_errors, input, in.number(), in.offset());
      std::vector<std::optional<JsonValue>> members;
      try {
        members = json_members(text, names, o_.replace_errors);
      } catch (const JsonError& e) {
        // (With --errors replace, the offset is into the text after the replacements.)
        throw Error(place(input, in.number()) + ", byte " +
                    std::to_string(in.offset() + static_cast<std::int64_t>(e.offset())) + ": not JSON: " + e.what());
      }
      const auto member = [&](std::size_t i, const char* option) -> const JsonValue& {
        if (!members[i]) in.fail("the object has no member '" + names[i] + "' (" + option + ")");
        return *members[i];
      };
      const JsonValue& body = member(0, "--field");
      if (body.kind != JsonValue::Kind::kString) {
        in.fail("member '" + names[0] + "' is " + body.what + "; expected a string (--field)");
      }
      std::string name = input + ":" + std::to_string(in.number());
      if (names.size() > 1) {
        const JsonValue& n = member(1, "--name-field");
        if (n.kind == JsonValue::Kind::kOther) {
          in.fail("member '" + names[1] + "' is " + n.what + "; expected a string or a number (--name-field)");
        }
        name = n.text;
      }
      document(body.text, name);
    }
  }

  const TextOptions& o_;
};

struct WordStats {
  std::int64_t total = 0;
  std::int64_t docs = 0;
  std::int64_t last_doc = -1;
};

// The vocabulary made from the text by the options' rules (see raw_text.hpp), sorted.
std::vector<std::string> make_vocabulary(const Documents& documents, Tokenizer& tokenizer, const TextOptions& o,
                                         std::ostream& report) {
  StringMap<WordStats> stats;
  std::int64_t doc = 0;
  documents.each([&](std::string_view text, const std::string&) {
    tokenizer.tokens(text, [&](std::string_view token) {
      auto it = stats.find(token);
      if (it == stats.end()) it = stats.emplace(std::string(token), WordStats{}).first;
      WordStats& s = it->second;
      ++s.total;
      if (s.last_doc != doc) {
        s.last_doc = doc;
        ++s.docs;
      }
    });
    ++doc;
  });
  const double most_docs = o.max_df * static_cast<double>(doc);
  std::vector<std::pair<std::string, std::int64_t>> kept;  // word, total count
  for (const auto& [word, s] : stats) {
    if (s.total >= o.min_count && s.docs >= o.min_df && static_cast<double>(s.docs) <= most_docs) {
      kept.emplace_back(word, s.total);
    }
  }
  if (o.keep_top > 0 && static_cast<std::int64_t>(kept.size()) > o.keep_top) {
    std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    kept.resize(static_cast<std::size_t>(o.keep_top));
  }
  std::vector<std::string> vocab;
  for (auto& [word, total] : kept) vocab.push_back(std::move(word));
  std::sort(vocab.begin(), vocab.end());
  report << "vocabulary: " << vocab.size() << " of the " << stats.size() << " distinct tokens of " << doc
         << " documents\n";
  if (vocab.empty()) {
    throw Error("convert text: no word is left in the vocabulary (" + std::to_string(stats.size()) +
                " distinct tokens; see --min-count, --min-df, --max-df and --token-pattern)");
  }
  if (vocab.size() > static_cast<std::size_t>(INT32_MAX)) throw Error("convert text: more than 2^31 - 1 words");
  return vocab;
}

}  // namespace

std::vector<std::string> read_word_list(const std::string& path) {
  std::vector<std::string> words;
  if (h5::File::is_hdf5(path)) {
    const auto file = h5::File::open_read(path);
    if (!file.exists("/vocab")) throw Error(path + ": has no '/vocab' (expected a natgrad model or corpus)");
    words = file.read_strings("/vocab");
  } else {
    LineReader in(path);
    std::string line;
    while (in.next(line)) {
      if (line.empty()) in.fail("empty word");
      words.push_back(checked_utf8(line, false, path, in.number(), in.offset()));
    }
  }
  if (words.empty()) throw Error(path + ": the vocabulary is empty");
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (!seen.insert(words[i]).second) {
      throw Error(path + ": word " + std::to_string(i) + " '" + words[i] + "' is listed twice");
    }
  }
  return words;
}

void convert_text(const TextOptions& o, const std::string& out, std::int64_t split_every,
                  const std::string& heldout_out, std::ostream& report) {
  const Documents documents(o);
  std::vector<std::string> stop_words;
  if (!o.stop_words.empty()) {
    LineReader in(o.stop_words);
    std::string line;
    while (in.next(line)) {
      if (!line.empty()) stop_words.push_back(checked_utf8(line, false, o.stop_words, in.number(), in.offset()));
    }
  }
  Tokenizer tokenizer(TokenPattern(o.token_pattern), stop_words);
  const std::vector<std::string> vocab =
      o.vocab.empty() ? make_vocabulary(documents, tokenizer, o, report) : read_word_list(o.vocab);
  StringMap<std::int32_t> id_of;
  for (std::size_t i = 0; i < vocab.size(); ++i) id_of.emplace(vocab[i], static_cast<std::int32_t>(i));

  CorpusWriter train(out, true);
  std::optional<CorpusWriter> heldout;
  if (split_every > 0) heldout.emplace(heldout_out, true);
  std::int64_t doc = 0, kept = 0, empty = 0, tokens = 0, dropped = 0;
  StringSet unknown;  // the words outside a given vocabulary
  std::vector<std::int32_t> ids, unique, counts;
  documents.each([&](std::string_view text, const std::string& name) {
    ids.clear();
    tokenizer.tokens(text, [&](std::string_view token) {
      ++tokens;
      const auto it = id_of.find(token);
      if (it != id_of.end()) {
        ids.push_back(it->second);
      } else {
        ++dropped;
        if (!o.vocab.empty() && unknown.find(token) == unknown.end()) unknown.emplace(token);
      }
    });
    std::sort(ids.begin(), ids.end());
    unique.clear();
    counts.clear();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i > 0 && ids[i] == ids[i - 1]) {
        if (counts.back() == INT32_MAX) throw Error(name + ": a word occurs more than 2^31 - 1 times");
        ++counts.back();
      } else {
        unique.push_back(ids[i]);
        counts.push_back(1);
      }
    }
    if (unique.empty() && !o.keep_empty) {
      ++empty;
    } else {
      CorpusWriter& part = heldout && kept % split_every == split_every - 1 ? *heldout : train;
      part.add(unique, counts, doc, name);
      ++kept;
    }
    ++doc;
  });
  report << "read " << doc << " documents: " << tokens - dropped << " of their " << tokens << " tokens are words of the vocabulary";
  if (!o.vocab.empty()) report << " (" << dropped << " tokens of " << unknown.size() << " other words dropped)";
  report << "; " << empty << " documents left without tokens "
         << (o.keep_empty ? "kept\n" : "dropped (--keep-empty keeps them)\n");
  std::string source = "text:";
  for (const std::string& input : o.inputs) source += " " + input;
  const auto size = static_cast<std::int32_t>(vocab.size());
  const auto finish = [&](CorpusWriter& w, const std::string& path) {
    const std::int64_t n = w.num_docs(), t = w.num_tokens();
    w.finish(vocab, size, source);
    report << "wrote " << path << ": " << n << " documents, " << size << " words, " << t << " tokens\n";
  };
  finish(train, out);
  if (heldout) finish(*heldout, heldout_out);
}

}  // namespace natgrad::io
