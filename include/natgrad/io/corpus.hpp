#pragma once
/// @file A bag-of-words corpus in compressed sparse row (CSR) form, and its HDF5 file.
///
/// File layout (format "natgrad.corpus", schema_version 1):
///   /indptr   int64 [D + 1]  document d's entries are indptr[d] .. indptr[d+1]−1
///   /indices  int32 [NNZ]    0-based word ids, strictly increasing within a document
///   /counts   int32 [NNZ]    occurrences of the word in the document, ≥ 1
///   /doc_ids  int64 [D]      0-based index of each document in the source file
///   /vocab    UTF-8 strings [V]
///   /doc_names UTF-8 strings [D]  (optional) the documents' names: a file, a line, a name, a recommender's user
///   root attributes: format, schema_version, num_docs, vocab_size, num_tokens, source,
///             vocab_hash (vocabulary_hash of /vocab); and in the held-out part of
///             split_entries, train_file and train_checksum: the training part's path and
///             Corpus::checksum (hex), which readers may check it against
///   /truth    (synthetic corpora only) the true parameters, as the family that drew them writes them

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "natgrad/io/group.hpp"

namespace natgrad::io {

namespace h5 {
class AtomicFile;
}

inline constexpr const char* kCorpusFormat = "natgrad.corpus";
inline constexpr std::int64_t kCorpusSchemaVersion = 1;

/// Documents first_doc .. first_doc + num_docs() − 1 of a corpus (all of it, or one shard).
struct Corpus {
  std::int64_t first_doc = 0;        ///< global id of the first document held
  std::int64_t total_docs = 0;       ///< D of the whole corpus
  std::int32_t vocab_size = 0;       ///< V
  std::vector<std::int64_t> indptr{0};  ///< local CSR offsets, size num_docs() + 1, indptr[0] == 0
  std::vector<std::int32_t> indices;    ///< word ids
  std::vector<std::int32_t> counts;     ///< counts ≥ 1
  std::vector<std::int64_t> doc_ids;    ///< source index of each document held
  std::vector<std::string> vocab;       ///< V words (may be empty for a shard read without it)
  /// The names of all D documents of the file, if it has them (read with the vocabulary; may be empty).
  std::vector<std::string> doc_names;
  /// read_corpus: the file has /doc_names, set on every rank (a shard read without the vocabulary has
  /// no names but knows that there are some, so that every rank writes the same tables).
  bool named_docs = false;

  std::int64_t num_docs() const { return static_cast<std::int64_t>(indptr.size()) - 1; }
  /// Word ids and counts of local document d.
  std::span<const std::int32_t> doc_words(std::int64_t d) const { return doc_part(indices, d); }
  std::span<const std::int32_t> doc_counts(std::int64_t d) const { return doc_part(counts, d); }
  std::int64_t num_tokens() const;
  /// Σ over the documents held of a hash of (global id, word ids, counts), mod 2^64:
  /// the checksums of the shards of a corpus add up to the whole corpus's.
  std::uint64_t checksum() const;
  /// Appends a document: ids strictly increasing, counts ≥ 1 (checked by the readers).
  void add_document(const std::vector<std::int32_t>& ids, const std::vector<std::int32_t>& cnts,
                    std::int64_t source_id);

 private:
  std::span<const std::int32_t> doc_part(const std::vector<std::int32_t>& entries, std::int64_t d) const {
    const auto b = static_cast<std::size_t>(indptr[static_cast<std::size_t>(d)]);
    return std::span(entries).subspan(b, static_cast<std::size_t>(indptr[static_cast<std::size_t>(d) + 1]) - b);
  }
};

/// Sizes of a corpus file, read from its attributes.
struct CorpusInfo {
  std::int64_t num_docs = 0;
  std::int32_t vocab_size = 0;
  std::int64_t num_tokens = 0;
  std::string train_checksum;  ///< of the training part it was split from (split_entries), or ""
  std::string vocab_hash;  ///< vocabulary_hash() of its words, "" in a file written before it was stored
};

/// Writes a corpus file document by document, holding a buffer of bounded size
/// rather than the corpus: the datasets grow as documents come, in an
/// h5::AtomicFile, which finish() completes and renames into place (a writer
/// destroyed before finish() removes it).
class CorpusWriter {
 public:
  /// @param with_names whether documents have names (/doc_names)
  /// @throws natgrad::Error naming the path if it cannot be created
  CorpusWriter(const std::string& path, bool with_names);
  ~CorpusWriter();
  CorpusWriter(const CorpusWriter&) = delete;
  CorpusWriter& operator=(const CorpusWriter&) = delete;
  /// Appends a document: ids strictly increasing, counts ≥ 1 (the caller checks);
  /// `name` is ignored without names.
  void add(std::span<const std::int32_t> ids, std::span<const std::int32_t> counts, std::int64_t source_id,
           const std::string& name = "");
  std::int64_t num_docs() const { return docs_; }
  std::int64_t num_tokens() const { return tokens_; }
  /// Writes the vocabulary (`vocab`, V = vocab_size words; may be empty), the
  /// attributes and `truth` (if given, under /truth), and renames the file into place.
  void finish(const std::vector<std::string>& vocab, std::int32_t vocab_size, const std::string& source,
              const Group* truth = nullptr);

 private:
  void flush();
  std::unique_ptr<h5::AtomicFile> file_;
  bool with_names_;
  std::int64_t docs_ = 0;
  std::int64_t tokens_ = 0;
  std::int64_t entries_ = 0;
  std::vector<std::int64_t> indptr_, doc_ids_;
  std::vector<std::int32_t> indices_, counts_;
  std::vector<std::string> names_;
};

/// A hash of a vocabulary, its words in order (64-bit FNV-1a of each word and a
/// 0 byte), as hex text: equal vocabularies have equal hashes, and files store it
/// (the corpus's root attribute vocab_hash, the model's /data attribute) so that
/// two vocabularies can be told apart without reading them.
std::string vocabulary_hash(const std::vector<std::string>& words);

/// Reads the vocabulary of a corpus file (its /vocab, checked). @throws natgrad::Error naming the file.
std::vector<std::string> read_vocabulary(const std::string& path);

/// Refuses two vocabularies of the same size that differ, naming the first word
/// that differs: "`path`: word 17 is 'zebra', but `other` has 'apple' there".
/// @throws natgrad::Error
void require_same_words(const std::vector<std::string>& words, const std::string& path,
                        const std::vector<std::string>& expected, const std::string& other);

/// Writes `corpus` (whole, first_doc == 0) to `path` as described above,
/// atomically, with `truth` if given (the true parameters of synthetic data,
/// under /truth, as the family that drew it writes them).
void write_corpus(const std::string& path, const Corpus& corpus, const std::string& source,
                  const Group* truth = nullptr);

/// Reads and checks the header of a corpus file.
/// @throws natgrad::Error naming the file and what is wrong with it.
CorpusInfo read_corpus_info(const std::string& path);

/// Reads documents [begin, end) of a corpus file, and the vocabulary (and the
/// documents' names, if any) if `with_vocab`.
/// Checks the shard's content (offsets, word ids in range, counts ≥ 1).
/// @throws natgrad::Error naming the file, dataset and value at fault.
Corpus read_corpus(const std::string& path, std::int64_t begin, std::int64_t end, bool with_vocab);

}  // namespace natgrad::io
