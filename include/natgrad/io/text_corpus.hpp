#pragma once
/// @file Readers of text corpus formats (plain or gzip-compressed), and the splits.

#include <cstdint>
#include <string>
#include <utility>

#include "natgrad/io/corpus.hpp"

namespace natgrad::io {

/// Reads the UCI bag-of-words format: three header lines D, W, NNZ, then NNZ
/// lines "docID wordID count" (1-based ids, sorted by document), and the
/// vocabulary file (W lines). Documents without entries are kept, empty.
/// @throws natgrad::Error naming the file, line and value at fault: header
///   counts that disagree with the content, ids out of range, counts that are
///   not positive integers, repeated (doc, word) pairs, unsorted documents.
Corpus read_uci(const std::string& docword_path, const std::string& vocab_path);

/// Reads Blei's LDA-C format: one document per line, "N id:count id:count ..."
/// with N distinct 0-based word ids, and the vocabulary file (one word a line).
/// @throws natgrad::Error naming the file, line and value at fault.
Corpus read_ldac(const std::string& path, const std::string& vocab_path);

/// How to read a file of (row, column, count) records.
struct TriplesOptions {
  int row_column = 1;        ///< 1-based field of the row (user) id
  int column_column = 2;     ///< 1-based field of the column (item) id
  /// 1-based field of the count; 0: none (every record counts 1); −1: the first
  /// field that holds neither id if the first line has three or more, else none.
  int count_column = -1;
  bool header = false;       ///< the first line is a header (else: when its count field is not a number)
  bool binarize = false;     ///< every count (after summing repeats) becomes 1
  std::int64_t min_count = 1;  ///< pairs whose summed count is below this are dropped
  /// --items-from: a model or corpus whose columns (its /vocab) the corpus takes, in their order,
  /// all of them whether the records name them or not ("": the records' items)
  std::string items_from;
};

/// Reads records "row column count", one a line (plain or gzip-compressed, LF
/// or CRLF line ends; fields separated by tabs, by commas, or by runs of
/// spaces, whichever the first line uses, in that order of preference;
/// blanks around a field are trimmed; empty lines are skipped), as a corpus
/// with rows as documents and columns as words. Row and column ids are any
/// UTF-8 strings (integers too), mapped to dense 0-based ids in order of first
/// appearance; their names go to `doc_names` and `vocab`. Repeated pairs are
/// summed; then pairs below min_count are dropped, counts binarized, and rows
/// and columns left without any entry dropped. With options.items_from, the
/// columns are that file's, all kept, and records of other items are skipped
/// (their number in *skipped, if given; users left without a record are dropped).
/// @throws natgrad::Error naming the file, line and column at fault: a count
///   that is empty, not an integer, below 1 or above 2^31 − 1 (or repeated
///   pairs that sum beyond it), a line with another number of fields than the
///   first data line, an empty id, an id that is not valid UTF-8, a column
///   option beyond the fields, or a file without records (of the items_from file's items);
///   an items_from file without item names (/vocab).
Corpus read_triples(const std::string& path, const TriplesOptions& options, std::int64_t* skipped = nullptr);

/// Reads a Matrix Market file of counts, documents × words (gensim's
/// MmCorpus, scipy.io.mmwrite of a document-term matrix): the header
/// "%%MatrixMarket matrix coordinate integer|real general", comment lines
/// starting with %, the size line "D W NNZ", then NNZ lines "document word
/// count" (1-based, in any order; real counts must be whole), and the
/// vocabulary file (W lines). @throws natgrad::Error naming the file, line and
/// value at fault, as read_uci does.
Corpus read_mm(const std::string& path, const std::string& vocab_path);

/// Splits a corpus: document i (0-based) goes to the second part when
/// i % every == every − 1, to the first otherwise. every ≥ 2.
std::pair<Corpus, Corpus> split_every(const Corpus& corpus, std::int64_t every);

/// Splits the entries of each document: of a document with n ≥ min_entries
/// entries (non-zeros), k = round(fraction · n), at least 1 and at most
/// n − 1, chosen uniformly by a stream keyed by (seed, document), go to the
/// second part, the rest to the first; documents with fewer entries stay
/// whole in the first. Both parts keep every document, in order, and every
/// column, with the names (a recommender's held-out items of each user).
/// @param fraction in (0, 1) @param min_entries ≥ 2
std::pair<Corpus, Corpus> split_entries(const Corpus& corpus, double fraction, std::uint64_t seed,
                                        std::int64_t min_entries);

}  // namespace natgrad::io
