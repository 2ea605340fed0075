#pragma once
/// @file Readers of text corpus formats (plain or gzip-compressed), and the split.

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

}  // namespace natgrad::io
