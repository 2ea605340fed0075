#include "natgrad/io/corpus.hpp"

#include <cstdio>
#include <numeric>

#include "mix.hpp"
#include "natgrad/error.hpp"
#include "natgrad/io/hdf5.hpp"

namespace natgrad::io {

std::int64_t Corpus::num_tokens() const {
  return std::accumulate(counts.begin(), counts.end(), std::int64_t{0});
}

using detail::mix;

std::uint64_t Corpus::checksum() const {
  std::uint64_t sum = 0;
  for (std::int64_t d = 0; d < num_docs(); ++d) {
    std::uint64_t h = mix(static_cast<std::uint64_t>(first_doc + d));
    for (auto j = indptr[d]; j < indptr[d + 1]; ++j) {
      h = mix(h ^ (static_cast<std::uint64_t>(static_cast<std::uint32_t>(indices[j])) << 32 |
                   static_cast<std::uint32_t>(counts[j])));
    }
    sum += h;
  }
  return sum;
}

void Corpus::add_document(const std::vector<std::int32_t>& ids, const std::vector<std::int32_t>& cnts,
                          std::int64_t source_id) {
  indices.insert(indices.end(), ids.begin(), ids.end());
  counts.insert(counts.end(), cnts.begin(), cnts.end());
  indptr.push_back(static_cast<std::int64_t>(indices.size()));
  doc_ids.push_back(source_id);
}

namespace {

// Entries (and documents) buffered before they are appended to the file, and the chunk size of its datasets.
constexpr std::size_t kBuffered = std::size_t{1} << 16;
constexpr std::uint64_t kChunk = std::uint64_t{1} << 14;

}  // namespace

CorpusWriter::CorpusWriter(const std::string& path, bool with_names)
    : file_(std::make_unique<h5::AtomicFile>(path)), with_names_(with_names), indptr_{0} {
  h5::File& f = file_->file();
  f.create_appendable<std::int64_t>("/indptr", kChunk);
  f.create_appendable<std::int32_t>("/indices", kChunk);
  f.create_appendable<std::int32_t>("/counts", kChunk);
  f.create_appendable<std::int64_t>("/doc_ids", kChunk);
  if (with_names_) f.create_appendable_strings("/doc_names", kChunk);
}

CorpusWriter::~CorpusWriter() = default;

void CorpusWriter::add(std::span<const std::int32_t> ids, std::span<const std::int32_t> counts, std::int64_t source_id,
                       const std::string& name) {
  indices_.insert(indices_.end(), ids.begin(), ids.end());
  counts_.insert(counts_.end(), counts.begin(), counts.end());
  for (const std::int32_t c : counts) tokens_ += c;
  entries_ += static_cast<std::int64_t>(ids.size());
  indptr_.push_back(entries_);
  doc_ids_.push_back(source_id);
  if (with_names_) names_.push_back(name);
  ++docs_;
  if (indices_.size() >= kBuffered || doc_ids_.size() >= kBuffered) flush();
}

void CorpusWriter::flush() {
  h5::File& f = file_->file();
  f.append<std::int64_t>("/indptr", indptr_);
  f.append<std::int32_t>("/indices", indices_);
  f.append<std::int32_t>("/counts", counts_);
  f.append<std::int64_t>("/doc_ids", doc_ids_);
  if (with_names_) f.append_strings("/doc_names", names_);
  indptr_.clear();
  indices_.clear();
  counts_.clear();
  doc_ids_.clear();
  names_.clear();
}

void CorpusWriter::finish(const std::vector<std::string>& vocab, std::int32_t vocab_size, const std::string& source,
                          const Group* truth) {
  flush();
  h5::File& f = file_->file();
  f.write_strings("/vocab", vocab);
  f.set_attr("/", "format", std::string(kCorpusFormat));
  f.set_attr("/", "schema_version", kCorpusSchemaVersion);
  f.set_attr("/", "num_docs", docs_);
  f.set_attr("/", "vocab_size", std::int64_t{vocab_size});
  f.set_attr("/", "num_tokens", tokens_);
  f.set_attr("/", "vocab_hash", vocabulary_hash(vocab));
  f.set_attr("/", "source", source);
  if (truth != nullptr) h5::write_group(f, *truth);
  file_->commit();
}

void write_corpus(const std::string& path, const Corpus& corpus, const std::string& source, const Group* truth) {
  // A whole corpus's names (a shard's doc_names are those of the whole file: not written from one).
  const bool named = !corpus.doc_names.empty() && static_cast<std::int64_t>(corpus.doc_names.size()) == corpus.num_docs();
  CorpusWriter writer(path, named);
  for (std::int64_t d = 0; d < corpus.num_docs(); ++d) {
    const auto i = static_cast<std::size_t>(d);
    writer.add(corpus.doc_words(d), corpus.doc_counts(d), corpus.doc_ids[i], named ? corpus.doc_names[i] : std::string());
  }
  writer.finish(corpus.vocab, corpus.vocab_size, source, truth);
}

namespace {

CorpusInfo check_header(const h5::File& file) {
  const std::string& path = file.path();
  if (!file.has_attr("/", "format") || file.attr_string("/", "format") != kCorpusFormat) {
    throw Error(path + ": not a natgrad corpus (root attribute 'format' is not '" + kCorpusFormat +
                "'; convert the data with 'natgrad convert')");
  }
  const std::int64_t version = file.attr_int("/", "schema_version");
  if (version != kCorpusSchemaVersion) {
    throw Error(path + ": corpus schema_version " + std::to_string(version) + "; this natgrad reads " +
                std::to_string(kCorpusSchemaVersion));
  }
  CorpusInfo info;
  info.num_docs = file.attr_int("/", "num_docs");
  const std::int64_t v = file.attr_int("/", "vocab_size");
  info.num_tokens = file.attr_int("/", "num_tokens");
  if (info.num_docs < 0 || v < 1 || v > INT32_MAX) {
    throw Error(path + ": num_docs = " + std::to_string(info.num_docs) + ", vocab_size = " +
                std::to_string(v) + "; expected num_docs ≥ 0 and 1 ≤ vocab_size < 2^31");
  }
  info.vocab_size = static_cast<std::int32_t>(v);
  if (file.has_attr("/", "train_checksum")) info.train_checksum = file.attr_string("/", "train_checksum");
  if (file.has_attr("/", "vocab_hash")) info.vocab_hash = file.attr_string("/", "vocab_hash");
  // Unsigned: num_docs + 1 must not overflow for a num_docs of 2^63 − 1.
  const std::uint64_t expected = static_cast<std::uint64_t>(info.num_docs) + 1;
  const auto indptr_shape = file.shape("/indptr");
  if (indptr_shape.size() != 1 || indptr_shape[0] != expected) {
    throw Error(path + ": dataset '/indptr' must be 1-D of num_docs + 1 = " + std::to_string(expected) +
                " elements");
  }
  return info;
}

}  // namespace

std::string vocabulary_hash(const std::vector<std::string>& words) {
  std::uint64_t h = 14695981039346656037ULL;
  const auto add = [&](unsigned char c) { h = (h ^ c) * 1099511628211ULL; };
  for (const std::string& w : words) {
    for (const char c : w) add(static_cast<unsigned char>(c));
    add(0);
  }
  char text[24];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

std::vector<std::string> read_vocabulary(const std::string& path) {
  const auto file = h5::File::open_read(path);
  const CorpusInfo info = check_header(file);
  std::vector<std::string> words = file.read_strings("/vocab");
  if (words.size() != static_cast<std::size_t>(info.vocab_size)) {
    throw Error(path + ": '/vocab' has " + std::to_string(words.size()) + " words; vocab_size is " +
                std::to_string(info.vocab_size));
  }
  return words;
}

void require_same_words(const std::vector<std::string>& words, const std::string& path,
                        const std::vector<std::string>& expected, const std::string& other) {
  for (std::size_t w = 0; w < words.size() && w < expected.size(); ++w) {
    if (words[w] != expected[w]) {
      throw Error(path + ": word " + std::to_string(w) + " is '" + words[w] + "', but " + other + " has '" +
                  expected[w] + "' there; convert both with the same vocabulary");
    }
  }
}

CorpusInfo read_corpus_info(const std::string& path) {
  return check_header(h5::File::open_read(path));
}

Corpus read_corpus(const std::string& path, std::int64_t begin, std::int64_t end, bool with_vocab) {
  const auto file = h5::File::open_read(path);
  const CorpusInfo info = check_header(file);
  if (begin < 0 || end < begin || end > info.num_docs) {
    throw Error(path + ": documents [" + std::to_string(begin) + ", " + std::to_string(end) +
                ") requested, the corpus has " + std::to_string(info.num_docs));
  }
  Corpus corpus;
  corpus.first_doc = begin;
  corpus.total_docs = info.num_docs;
  corpus.vocab_size = info.vocab_size;
  const auto n = static_cast<std::uint64_t>(end - begin);
  corpus.indptr = file.read<std::int64_t>("/indptr", static_cast<std::uint64_t>(begin), n + 1);
  const std::int64_t first = corpus.indptr.front();
  const std::int64_t last = corpus.indptr.back();
  if (first < 0) throw Error(path + ": '/indptr' is " + std::to_string(first) + " at document " + std::to_string(begin));
  // Checked whole before any shift: a shifted entry compared with an unshifted
  // one let a decrease through (found by fuzz_corpus_file).
  for (std::size_t i = 1; i < corpus.indptr.size(); ++i) {
    if (corpus.indptr[i] < corpus.indptr[i - 1]) {
      throw Error(path + ": '/indptr' decreases at document " + std::to_string(begin + static_cast<std::int64_t>(i)));
    }
  }
  for (auto& offset : corpus.indptr) offset -= first;
  const auto nnz = static_cast<std::uint64_t>(last - first);
  corpus.indices = file.read<std::int32_t>("/indices", static_cast<std::uint64_t>(first), nnz);
  corpus.counts = file.read<std::int32_t>("/counts", static_cast<std::uint64_t>(first), nnz);
  corpus.doc_ids = file.read<std::int64_t>("/doc_ids", static_cast<std::uint64_t>(begin), n);
  for (std::int64_t d = 0; d < corpus.num_docs(); ++d) {
    for (auto j = corpus.indptr[d]; j < corpus.indptr[d + 1]; ++j) {
      const auto w = corpus.indices[j];
      if (w < 0 || w >= info.vocab_size || (j > corpus.indptr[d] && w <= corpus.indices[j - 1])) {
        throw Error(path + ": document " + std::to_string(begin + d) + " has word id " + std::to_string(w) +
                    "; expected increasing ids in [0, " + std::to_string(info.vocab_size) + ")");
      }
      if (corpus.counts[j] < 1) {
        throw Error(path + ": document " + std::to_string(begin + d) + " has count " +
                    std::to_string(corpus.counts[j]) + " for word " + std::to_string(w) + "; expected ≥ 1");
      }
    }
  }
  corpus.named_docs = file.exists("/doc_names");
  if (with_vocab) {
    corpus.vocab = file.read_strings("/vocab");
    if (corpus.vocab.size() != static_cast<std::size_t>(info.vocab_size)) {
      throw Error(path + ": '/vocab' has " + std::to_string(corpus.vocab.size()) + " words; vocab_size is " +
                  std::to_string(info.vocab_size));
    }
    if (file.exists("/doc_names")) {
      corpus.doc_names = file.read_strings("/doc_names");
      if (corpus.doc_names.size() != static_cast<std::size_t>(info.num_docs)) {
        throw Error(path + ": '/doc_names' has " + std::to_string(corpus.doc_names.size()) + " names; num_docs is " +
                    std::to_string(info.num_docs));
      }
    }
  }
  return corpus;
}

}  // namespace natgrad::io
