#pragma once
/// @file `natgrad convert text`: raw text to a corpus file, streaming.
///
/// Documents come from each input in turn: a folder gives one document per
/// regular file under it (recursively, links to folders not followed, in the
/// order of their paths relative to the folder, compared as byte strings),
/// named by its path; a file gives
/// one document per line, named PATH:LINE, or, with a JSON field, one per
/// line of JSON lines (blank lines skipped) taken from that string member,
/// named by the name field if given, else PATH:LINE. Files may be plain or
/// gzip-compressed. Text must be UTF-8: a bad byte is an error naming the
/// file, the line and the byte offset (in the decompressed text), unless bad
/// sequences are to be replaced by U+FFFD.
///
/// Each document is tokenised (io::Tokenizer). Without a given vocabulary, a
/// first pass counts every token's total count and document frequency, and
/// the vocabulary is the words with total ≥ min_count, document frequency ≥
/// min_df and ≤ max_df · D (D: documents read), then the keep_top most
/// frequent of them (ties: the earlier word), sorted by their UTF-8 bytes;
/// word ids follow that order. A second pass writes the documents: their
/// tokens of the vocabulary, counted. With a given vocabulary (a file of one
/// word a line, or the /vocab of a natgrad HDF5 file: a model or a corpus),
/// one pass: tokens of other words are counted and dropped. Documents left
/// without tokens are dropped and counted, unless kept. Memory grows with the
/// number of distinct tokens, not with the corpus.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace natgrad::io {

struct TextOptions {
  std::vector<std::string> inputs;     ///< folders and files, in order
  std::string field;                   ///< JSON lines: the member holding the text ("": plain lines)
  std::string name_field;              ///< JSON lines: the member naming the document ("": PATH:LINE)
  std::string token_pattern = "\\p{L}{3,}";
  std::string stop_words;              ///< a file of stop words, one a line ("": none)
  std::int64_t min_count = 1;          ///< least total count of a word
  std::int64_t min_df = 1;             ///< least number of documents holding a word
  double max_df = 1.0;                 ///< most documents holding a word, as a fraction of D
  std::int64_t keep_top = 0;           ///< keep only this many most frequent words (0: all)
  bool keep_empty = false;             ///< keep documents left without tokens
  std::string vocab;                   ///< a given vocabulary ("": made from the text)
  bool replace_errors = false;         ///< bad UTF-8 becomes U+FFFD instead of an error
};

/// Converts the inputs to `out` (or, if split_every > 0, document i of those
/// written goes to `heldout_out` when i % split_every == split_every − 1, to
/// `out` otherwise, with the same vocabulary), atomically, and says on
/// `report` what it read and wrote.
/// @throws natgrad::Error naming the input, line, byte or option at fault.
void convert_text(const TextOptions& options, const std::string& out, std::int64_t split_every,
                  const std::string& heldout_out, std::ostream& report);

/// The words of a vocabulary file: one a line (UTF-8, each once), or the
/// /vocab of a natgrad HDF5 file. @throws natgrad::Error naming the file and line.
std::vector<std::string> read_word_list(const std::string& path);

}  // namespace natgrad::io
