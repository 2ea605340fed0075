#include "natgrad/io/text_corpus.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string_view>
#include <tuple>

#include "line_reader.hpp"
#include "natgrad/error.hpp"
#include "natgrad/expfam/random.hpp"

namespace natgrad::io {

namespace {

using detail::LineReader;

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  detail::split_blanks(line, out);
  return out;
}

// Parses a whole field as an integer in [low, high], or fails naming `what`.
std::int64_t parse_int(const LineReader& in, std::string_view field, const char* what, std::int64_t low,
                       std::int64_t high) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (ec != std::errc() || end != field.data() + field.size()) {
    in.fail(std::string(what) + " '" + std::string(field) + "' is not an integer");
  }
  if (value < low || value > high) {
    in.fail(std::string(what) + " " + std::to_string(value) + " is out of range; expected " +
            std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

std::vector<std::string> read_vocab(const std::string& path) {
  LineReader in(path);
  std::vector<std::string> words;
  std::string line;
  while (in.next(line)) {
    if (line.empty()) in.fail("empty word");
    words.push_back(line);
  }
  if (words.empty()) throw Error(path + ": the vocabulary is empty");
  return words;
}

// One entry of a document: word id, line of the file it came from, count.
using Entry = std::tuple<std::int32_t, std::int64_t, std::int32_t>;

// Sorts one document's entries by word id; a repeated id is an error naming
// the line and the id as the file writes it (`id_base` is 1 for UCI, 0 for LDA-C).
void finish_document(const LineReader& in, std::vector<Entry>& entries, std::int64_t doc, const char* id_name,
                     std::int32_t id_base, Corpus& corpus) {
  std::sort(entries.begin(), entries.end());
  std::vector<std::int32_t> ids;
  std::vector<std::int32_t> counts;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto [id, line, count] = entries[i];
    if (i > 0 && id == std::get<0>(entries[i - 1])) {
      throw Error(in.path() + " line " + std::to_string(line) + ": " + id_name + " " +
                  std::to_string(id + id_base) + " is listed twice for document " + std::to_string(doc));
    }
    ids.push_back(id);
    counts.push_back(count);
  }
  corpus.add_document(ids, counts, corpus.num_docs());
  entries.clear();
}

}  // namespace

namespace {

// Documents without entries cost memory but no input: a docID or header D far
// beyond what the entries can fill is a mistake (or a hostile file), refused
// before it is allocated. Allows as many empty documents as entries, plus 1000.
std::int64_t max_docs(std::int64_t entries) { return 2 * entries + 1000; }

}  // namespace

Corpus read_uci(const std::string& docword_path, const std::string& vocab_path) {
  LineReader in(docword_path);
  std::string line;
  std::int64_t header[3] = {0, 0, 0};
  const char* names[3] = {"document count D", "vocabulary size W", "entry count NNZ"};
  for (int i = 0; i < 3; ++i) {
    if (!in.next(line)) throw Error(docword_path + ": the header (D, W, NNZ on three lines) is incomplete");
    const auto f = fields(line);
    if (f.size() != 1) in.fail(std::string("expected the ") + names[i] + " alone on the line");
    header[i] = parse_int(in, f[0], names[i], i == 2 ? 0 : 1, i == 1 ? INT32_MAX : INT64_MAX);
  }
  const auto [num_docs, vocab_size, nnz] = header;
  Corpus corpus;
  corpus.vocab_size = static_cast<std::int32_t>(vocab_size);
  corpus.vocab = read_vocab(vocab_path);
  if (static_cast<std::int64_t>(corpus.vocab.size()) != vocab_size) {
    throw Error(docword_path + " line 2: the header says W = " + std::to_string(vocab_size) + " words; " +
                vocab_path + " has " + std::to_string(corpus.vocab.size()));
  }
  std::vector<Entry> entries;
  std::int64_t current = 1;
  std::int64_t seen = 0;
  while (in.next(line)) {
    const auto f = fields(line);
    if (f.empty()) continue;
    if (f.size() != 3) in.fail("expected 'docID wordID count', found '" + line + "'");
    const std::int64_t doc = parse_int(in, f[0], "docID", 1, num_docs);
    const std::int64_t word = parse_int(in, f[1], "wordID", 1, vocab_size);
    const std::int64_t count = parse_int(in, f[2], "count", 1, INT32_MAX);
    if (doc < current) in.fail("docID " + std::to_string(doc) + " comes after docID " + std::to_string(current) + "; the file must be sorted by document");
    if (doc > max_docs(seen)) {
      in.fail("docID " + std::to_string(doc) + " would leave more documents without words than there are entries (" +
              std::to_string(seen) + " so far); is the docID right?");
    }
    while (current < doc) {
      finish_document(in, entries, current, "wordID", 1, corpus);
      ++current;
    }
    entries.emplace_back(static_cast<std::int32_t>(word - 1), in.number(), static_cast<std::int32_t>(count));
    ++seen;
  }
  if (seen != nnz) {
    throw Error(docword_path + " line 3: the header says NNZ = " + std::to_string(nnz) +
                " entries, the file has " + std::to_string(seen));
  }
  if (num_docs > max_docs(seen)) {
    throw Error(docword_path + " line 1: the header says D = " + std::to_string(num_docs) +
                " documents, far more than the " + std::to_string(seen) +
                " entries can fill (the last docID is " + std::to_string(current) + ")");
  }
  while (current <= num_docs) {
    finish_document(in, entries, current, "wordID", 1, corpus);
    ++current;
  }
  corpus.total_docs = corpus.num_docs();
  return corpus;
}

Corpus read_ldac(const std::string& path, const std::string& vocab_path) {
  Corpus corpus;
  corpus.vocab = read_vocab(vocab_path);
  corpus.vocab_size = static_cast<std::int32_t>(corpus.vocab.size());
  LineReader in(path);
  std::string line;
  std::vector<Entry> entries;
  while (in.next(line)) {
    const auto f = fields(line);
    if (f.empty()) in.fail("empty line; every line must start with the number of distinct words");
    const std::int64_t n = parse_int(in, f[0], "number of distinct words", 0, INT32_MAX);
    if (static_cast<std::int64_t>(f.size()) - 1 != n) {
      in.fail("says " + std::to_string(n) + " distinct words but lists " + std::to_string(f.size() - 1));
    }
    for (std::size_t i = 1; i < f.size(); ++i) {
      const std::size_t colon = f[i].find(':');
      if (colon == std::string_view::npos) in.fail("expected 'id:count', found '" + std::string(f[i]) + "'");
      const std::int64_t word = parse_int(in, f[i].substr(0, colon), "word id", 0, corpus.vocab_size - 1);
      const std::int64_t count = parse_int(in, f[i].substr(colon + 1), "count", 1, INT32_MAX);
      entries.emplace_back(static_cast<std::int32_t>(word), in.number(), static_cast<std::int32_t>(count));
    }
    finish_document(in, entries, in.number(), "word id", 0, corpus);
  }
  corpus.total_docs = corpus.num_docs();
  return corpus;
}

Corpus read_mm(const std::string& path, const std::string& vocab_path) {
  LineReader in(path);
  std::string line;
  if (!in.next(line)) throw Error(path + ": empty; expected a Matrix Market file");
  std::vector<std::string> banner;
  for (const std::string_view f : fields(line)) {
    std::string word(f);
    std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::tolower(c); });
    banner.push_back(word);
  }
  if (banner.size() != 5 || banner[0] != "%%matrixmarket" || banner[1] != "matrix") {
    in.fail("expected the header '%%MatrixMarket matrix coordinate real general' (or integer), found '" + line + "'");
  }
  if (banner[2] != "coordinate") in.fail("the matrix is '" + banner[2] + "'; a corpus is a 'coordinate' (sparse) matrix");
  if (banner[3] != "integer" && banner[3] != "real") {
    in.fail("the entries are '" + banner[3] + "'; expected counts, 'integer' or 'real'");
  }
  if (banner[4] != "general") in.fail("the matrix is '" + banner[4] + "'; a corpus is 'general'");
  const bool real = banner[3] == "real";
  const auto next_entry_line = [&] {  // past comments and blank lines
    while (in.next(line)) {
      if (!line.starts_with('%') && !fields(line).empty()) return true;
    }
    return false;
  };
  if (!next_entry_line()) throw Error(path + ": the size line (documents, words, entries) is missing");
  const auto size = fields(line);
  if (size.size() != 3) in.fail("expected the size line 'documents words entries', found '" + line + "'");
  const std::int64_t size_line = in.number();
  const std::int64_t num_docs = parse_int(in, size[0], "document count", 0, INT64_MAX);
  const std::int64_t vocab_size = parse_int(in, size[1], "word count", 1, INT32_MAX);
  const std::int64_t nnz = parse_int(in, size[2], "entry count", 0, INT64_MAX);
  Corpus corpus;
  corpus.vocab_size = static_cast<std::int32_t>(vocab_size);
  corpus.vocab = read_vocab(vocab_path);
  if (static_cast<std::int64_t>(corpus.vocab.size()) != vocab_size) {
    throw Error(path + " line " + std::to_string(size_line) + ": the size line says " + std::to_string(vocab_size) +
                " words; " + vocab_path + " has " + std::to_string(corpus.vocab.size()));
  }
  if (num_docs > max_docs(nnz)) {
    in.fail("the size line says " + std::to_string(num_docs) + " documents, far more than its " + std::to_string(nnz) +
            " entries can fill");
  }
  // Matrix Market allows entries in any order: all of them, then sorted by document.
  std::vector<std::pair<std::int64_t, Entry>> entries;
  while (next_entry_line()) {
    const auto f = fields(line);
    if (f.size() != 3) in.fail("expected 'document word count', found '" + line + "'");
    if (static_cast<std::int64_t>(entries.size()) == nnz) {
      in.fail("more entries than the " + std::to_string(nnz) + " of the size line (line " + std::to_string(size_line) + ")");
    }
    const std::int64_t doc = parse_int(in, f[0], "document", 1, num_docs);
    const std::int64_t word = parse_int(in, f[1], "word", 1, vocab_size);
    std::int64_t count = 0;
    if (real) {
      double value = 0;
      const auto [end, ec] = std::from_chars(f[2].data(), f[2].data() + f[2].size(), value);
      if (ec != std::errc() || end != f[2].data() + f[2].size() || !(value >= 1 && value <= INT32_MAX) ||
          value != std::floor(value)) {
        in.fail("count '" + std::string(f[2]) + "' is not a whole number from 1 to 2147483647");
      }
      count = static_cast<std::int64_t>(value);
    } else {
      count = parse_int(in, f[2], "count", 1, INT32_MAX);
    }
    entries.emplace_back(doc, Entry{static_cast<std::int32_t>(word - 1), in.number(), static_cast<std::int32_t>(count)});
  }
  if (static_cast<std::int64_t>(entries.size()) != nnz) {
    throw Error(path + " line " + std::to_string(size_line) + ": the size line says " + std::to_string(nnz) +
                " entries, the file has " + std::to_string(entries.size()));
  }
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Entry> document;
  std::size_t next = 0;
  for (std::int64_t d = 1; d <= num_docs; ++d) {
    for (; next < entries.size() && entries[next].first == d; ++next) document.push_back(entries[next].second);
    finish_document(in, document, d, "word", 1, corpus);
  }
  corpus.total_docs = corpus.num_docs();
  return corpus;
}

std::pair<Corpus, Corpus> split_every(const Corpus& corpus, std::int64_t every) {
  if (every < 2) throw Error("--split-every " + std::to_string(every) + ": expected an integer ≥ 2");
  std::pair<Corpus, Corpus> parts;
  for (Corpus* part : {&parts.first, &parts.second}) {
    part->vocab_size = corpus.vocab_size;
    part->vocab = corpus.vocab;
  }
  for (std::int64_t d = 0; d < corpus.num_docs(); ++d) {
    Corpus& part = d % every == every - 1 ? parts.second : parts.first;
    const auto b = corpus.indptr[d];
    const auto e = corpus.indptr[d + 1];
    part.add_document({corpus.indices.begin() + b, corpus.indices.begin() + e},
                      {corpus.counts.begin() + b, corpus.counts.begin() + e}, corpus.doc_ids[d]);
    if (!corpus.doc_names.empty()) part.doc_names.push_back(corpus.doc_names[static_cast<std::size_t>(d)]);
  }
  for (Corpus* part : {&parts.first, &parts.second}) part->total_docs = part->num_docs();
  return parts;
}

std::pair<Corpus, Corpus> split_entries(const Corpus& corpus, double fraction, std::uint64_t seed,
                                        std::int64_t min_entries) {
  if (!(fraction > 0.0 && fraction < 1.0)) {
    throw Error("--holdout-fraction " + std::to_string(fraction) + ": expected a number in (0, 1)");
  }
  if (min_entries < 2) throw Error("--holdout-min-entries " + std::to_string(min_entries) + ": expected an integer ≥ 2");
  std::pair<Corpus, Corpus> parts;
  for (Corpus* part : {&parts.first, &parts.second}) {
    part->vocab_size = corpus.vocab_size;
    part->vocab = corpus.vocab;
    part->doc_names = corpus.doc_names;
  }
  std::vector<std::int32_t> order, ids[2], counts[2];
  for (std::int64_t d = 0; d < corpus.num_docs(); ++d) {
    const auto words = corpus.doc_words(d);
    const auto n = static_cast<std::int64_t>(words.size());
    std::vector<bool> held(words.size(), false);
    if (n >= min_entries) {
      const auto k = std::clamp<std::int64_t>(std::llround(fraction * static_cast<double>(n)), 1, n - 1);
      // The first k of a random permutation (Fisher–Yates stopped after k swaps).
      order.resize(words.size());
      for (std::int64_t j = 0; j < n; ++j) order[static_cast<std::size_t>(j)] = static_cast<std::int32_t>(j);
      expfam::CounterRng rng(seed, expfam::Purpose::kHoldout, static_cast<std::uint64_t>(corpus.first_doc + d));
      for (std::int64_t j = 0; j < k; ++j) {
        const auto pick = j + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n - j)));
        std::swap(order[static_cast<std::size_t>(j)], order[static_cast<std::size_t>(pick)]);
        held[static_cast<std::size_t>(order[static_cast<std::size_t>(j)])] = true;
      }
    }
    for (auto& part : ids) part.clear();
    for (auto& part : counts) part.clear();
    const auto cnts = corpus.doc_counts(d);
    for (std::size_t j = 0; j < words.size(); ++j) {
      ids[held[j] ? 1 : 0].push_back(words[j]);
      counts[held[j] ? 1 : 0].push_back(cnts[j]);
    }
    const std::int64_t id = corpus.doc_ids[static_cast<std::size_t>(d)];
    parts.first.add_document(ids[0], counts[0], id);
    parts.second.add_document(ids[1], counts[1], id);
  }
  for (Corpus* part : {&parts.first, &parts.second}) part->total_docs = part->num_docs();
  return parts;
}

}  // namespace natgrad::io
