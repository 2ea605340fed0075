// The text corpus readers (UCI, LDA-C and Matrix Market, plain or
// gzip-compressed): the CSR they build, and one test per violation, each an
// error naming the file, the line and the value. The split, the streaming
// writer, and the corpus HDF5 file read back whole and by shard, with errors
// naming the path. The published sizes of KOS and AP.

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "natgrad/error.hpp"
#include "natgrad/io/corpus.hpp"
#include "natgrad/io/files.hpp"
#include "natgrad/io/hdf5.hpp"
#include "natgrad/io/text_corpus.hpp"
#include "test_data.hpp"
#include "test_files.hpp"

namespace natgrad::io {
namespace {

using Ids = std::vector<std::int32_t>;
using Offsets = std::vector<std::int64_t>;

using testing::contains;
using testing::error_of;
using testing::write_gzip;
using testing::write_text;

// A test's own folder, holding a four-word vocabulary.
class TextCorpus : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir(std::string("corpus_") +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    vocab_ = write("vocab.txt", "apple\nbanana\ncherry\ndate\n");
  }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    write_text(path, text);
    return path;
  }

  // Checks that read_uci of `docword` fails naming the file and every part.
  void expect_uci_error(const std::string& docword, const std::vector<std::string>& parts) {
    const std::string path = write("docword.txt", docword);
    const std::string message = error_of([&] { read_uci(path, vocab_); });
    EXPECT_TRUE(contains(message, path + " ")) << message;
    for (const auto& part : parts) {
      EXPECT_TRUE(contains(message, part)) << "lacks '" << part << "': " << message;
    }
  }

  // Checks that read_ldac of `text` fails naming the file and every part.
  void expect_ldac_error(const std::string& text, const std::vector<std::string>& parts) {
    const std::string path = write("corpus.dat", text);
    const std::string message = error_of([&] { read_ldac(path, vocab_); });
    EXPECT_TRUE(contains(message, path + " ")) << message;
    for (const auto& part : parts) {
      EXPECT_TRUE(contains(message, part)) << "lacks '" << part << "': " << message;
    }
  }

  std::string dir_;
  std::string vocab_;
};

// Five documents: the third and the last are empty, and words come unsorted.
constexpr const char* kUci = "5\n4\n5\n1 3 2\n1 1 1\n2 4 7\n4 2 1\n4 1 3\n";

void expect_uci_content(const Corpus& c) {
  EXPECT_EQ(c.num_docs(), 5);
  EXPECT_EQ(c.total_docs, 5);
  EXPECT_EQ(c.first_doc, 0);
  EXPECT_EQ(c.vocab_size, 4);
  EXPECT_EQ(c.indptr, (Offsets{0, 2, 3, 3, 5, 5}));
  EXPECT_EQ(c.indices, (Ids{0, 2, 3, 0, 1}));
  EXPECT_EQ(c.counts, (Ids{1, 2, 7, 3, 1}));
  EXPECT_EQ(c.doc_ids, (Offsets{0, 1, 2, 3, 4}));
  EXPECT_EQ(c.num_tokens(), 14);
  EXPECT_EQ(c.vocab, (std::vector<std::string>{"apple", "banana", "cherry", "date"}));
}

// ---------------------------------------------------------------------------
// UCI: valid files.

TEST_F(TextCorpus, UciPlainText) { expect_uci_content(read_uci(write("docword.txt", kUci), vocab_)); }

TEST_F(TextCorpus, UciGzipCompressed) {
  const std::string docword = dir_ + "/docword.txt.gz";
  write_gzip(docword, kUci);
  const std::string vocab = dir_ + "/vocab.txt.gz";
  write_gzip(vocab, "apple\nbanana\ncherry\ndate\n");
  expect_uci_content(read_uci(docword, vocab));
}

TEST_F(TextCorpus, UciWindowsLineEndingsAndBlankLines) {
  const std::string vocab = write("vocab_crlf.txt", "apple\r\nbanana\r\ncherry\r\ndate\r\n");
  expect_uci_content(read_uci(
      write("docword.txt", "5\r\n4\r\n5\r\n1 3 2\r\n1 1 1\r\n\r\n2 4 7\r\n4 2 1\r\n4 1 3\r\n"), vocab));
}

TEST_F(TextCorpus, UciWithoutEntries) {
  const Corpus c = read_uci(write("docword.txt", "2\n4\n0\n"), vocab_);
  EXPECT_EQ(c.num_docs(), 2);
  EXPECT_EQ(c.indptr, (Offsets{0, 0, 0}));
  EXPECT_TRUE(c.indices.empty());
}

// ---------------------------------------------------------------------------
// UCI: one test per violation.

TEST_F(TextCorpus, UciNnzAboveTheEntries) {
  expect_uci_error("2\n4\n3\n1 1 1\n2 2 2\n", {"line 3", "NNZ = 3", "has 2"});
}

TEST_F(TextCorpus, UciNnzBelowTheEntries) {
  expect_uci_error("2\n4\n1\n1 1 1\n2 2 2\n", {"line 3", "NNZ = 1", "has 2"});
}

TEST_F(TextCorpus, UciVocabularyOfAnotherSize) {
  const std::string vocab = write("vocab.txt", "apple\nbanana\n");
  const std::string message = error_of([&] { read_uci(write("docword.txt", "2\n4\n1\n1 1 1\n"), vocab); });
  EXPECT_TRUE(contains(message, dir_ + "/docword.txt line 2")) << message;
  EXPECT_TRUE(contains(message, "W = 4")) << message;
  EXPECT_TRUE(contains(message, vocab + " has 2")) << message;
}

TEST_F(TextCorpus, UciWordIdZero) { expect_uci_error("2\n4\n2\n1 1 1\n1 0 1\n", {"line 5", "wordID 0"}); }

TEST_F(TextCorpus, UciWordIdAboveW) { expect_uci_error("2\n4\n2\n1 1 1\n2 5 2\n", {"line 5", "wordID 5"}); }

TEST_F(TextCorpus, UciDocIdZero) { expect_uci_error("2\n4\n1\n0 1 1\n", {"line 4", "docID 0"}); }

TEST_F(TextCorpus, UciDocIdAboveD) { expect_uci_error("2\n4\n2\n1 1 1\n3 1 1\n", {"line 5", "docID 3"}); }

TEST_F(TextCorpus, UciCountZero) { expect_uci_error("2\n4\n1\n1 1 0\n", {"line 4", "count 0"}); }

TEST_F(TextCorpus, UciCountNegative) { expect_uci_error("2\n4\n1\n1 1 -2\n", {"line 4", "count -2"}); }

TEST_F(TextCorpus, UciCountNotAnInteger) {
  expect_uci_error("2\n4\n1\n1 1 1.5\n", {"line 4", "count '1.5'", "not an integer"});
}

TEST_F(TextCorpus, UciLineWithTwoFields) {
  expect_uci_error("2\n4\n2\n1 1 1\n1 2\n", {"line 5", "'1 2'", "docID wordID count"});
}

TEST_F(TextCorpus, UciLineWithFourFields) { expect_uci_error("2\n4\n1\n1 1 1 1\n", {"line 4", "'1 1 1 1'"}); }

TEST_F(TextCorpus, UciRepeatedDocAndWord) {
  expect_uci_error("2\n4\n4\n1 2 1\n1 3 1\n1 2 5\n2 1 1\n", {"line 6", "wordID 2", "twice", "document 1"});
}

TEST_F(TextCorpus, UciRepeatedDocAndWordInTheLastDocument) {
  expect_uci_error("2\n4\n3\n1 1 1\n2 4 1\n2 4 1\n", {"line 6", "wordID 4", "twice", "document 2"});
}

TEST_F(TextCorpus, UciDocumentsOutOfOrder) {
  expect_uci_error("3\n4\n3\n1 1 1\n3 1 1\n2 1 2\n", {"line 6", "docID 2", "sorted"});
}

// Found by fuzz_uci (tests/fuzz/corpus/uci/oom_huge_d): a header D of 8.9e13
// with one entry made the reader allocate 8.9e13 empty documents.
TEST_F(TextCorpus, UciHeaderDocumentCountFarBeyondTheEntries) {
  expect_uci_error("88888883888887\n4\n1\n1 1 2\n", {"line 1", "D = 88888883888887", "1 entries"});
}

TEST_F(TextCorpus, UciDocIdFarBeyondTheEntries) {
  expect_uci_error("5000000\n4\n2\n1 1 1\n4000000 2 1\n", {"line 5", "docID 4000000", "is the docID right?"});
}

TEST_F(TextCorpus, UciHeaderNotANumber) { expect_uci_error("two\n4\n1\n1 1 1\n", {"line 1", "'two'"}); }

TEST_F(TextCorpus, UciHeaderIncomplete) {
  const std::string path = write("docword.txt", "2\n4\n");
  const std::string message = error_of([&] { read_uci(path, vocab_); });
  EXPECT_TRUE(contains(message, path)) << message;
  EXPECT_TRUE(contains(message, "header")) << message;
}

// A valid compressed file cut to `new_size(size)` bytes: the error names the file and the line reached.
void expect_truncated_gzip_error(const std::string& dir, const std::string& vocab,
                                 const std::function<std::uintmax_t(std::uintmax_t)>& new_size) {
  std::string text = "300\n4\n600\n";
  for (int d = 1; d <= 300; ++d) text += std::to_string(d) + " 1 3\n" + std::to_string(d) + " 3 1\n";
  const std::string path = dir + "/big.txt.gz";
  write_gzip(path, text);
  EXPECT_EQ(read_uci(path, vocab).num_tokens(), 1200);  // whole, it is valid
  std::filesystem::resize_file(path, new_size(std::filesystem::file_size(path)));
  const std::string message = error_of([&] { read_uci(path, vocab); });
  EXPECT_TRUE(contains(message, path + " line ")) << message;
  EXPECT_TRUE(contains(message, "truncated")) << message;
}

TEST_F(TextCorpus, UciTruncatedGzipLastBytes) {
  expect_truncated_gzip_error(dir_, vocab_, [](std::uintmax_t size) { return size - 6; });
}

TEST_F(TextCorpus, UciTruncatedGzipHalf) {
  expect_truncated_gzip_error(dir_, vocab_, [](std::uintmax_t size) { return size / 2; });
}

TEST_F(TextCorpus, UciMissingDocwordFile) {
  const std::string path = dir_ + "/nowhere.txt";
  EXPECT_EQ(error_of([&] { read_uci(path, vocab_); }), path + ": no such file");
}

TEST_F(TextCorpus, UciMissingVocabularyFile) {
  const std::string path = dir_ + "/nowhere_vocab.txt";
  EXPECT_EQ(error_of([&] { read_uci(write("docword.txt", kUci), path); }), path + ": no such file");
}

// ---------------------------------------------------------------------------
// LDA-C.

TEST_F(TextCorpus, LdacValid) {
  const std::string path = dir_ + "/corpus.dat.gz";
  write_gzip(path, "2 3:1 0:4\n0\n1 1:2\n3 2:1 1:1 0:9\n");
  const Corpus c = read_ldac(path, vocab_);
  EXPECT_EQ(c.num_docs(), 4);
  EXPECT_EQ(c.total_docs, 4);
  EXPECT_EQ(c.vocab_size, 4);
  EXPECT_EQ(c.indptr, (Offsets{0, 2, 2, 3, 6}));
  EXPECT_EQ(c.indices, (Ids{0, 3, 1, 0, 1, 2}));
  EXPECT_EQ(c.counts, (Ids{4, 1, 2, 9, 1, 1}));
  EXPECT_EQ(c.doc_ids, (Offsets{0, 1, 2, 3}));
  EXPECT_EQ(c.vocab.size(), 4u);
}

TEST_F(TextCorpus, LdacCountDisagreesWithThePairs) {
  expect_ldac_error("1 0:1\n3 3:1 0:4\n", {"line 2", "says 3", "lists 2"});
}

TEST_F(TextCorpus, LdacWordIdAtV) { expect_ldac_error("1 0:1\n1 4:1\n", {"line 2", "word id 4"}); }

TEST_F(TextCorpus, LdacWordIdNegative) { expect_ldac_error("1 -1:1\n", {"line 1", "word id -1"}); }

TEST_F(TextCorpus, LdacCountZero) { expect_ldac_error("1 2:0\n", {"line 1", "count 0"}); }

TEST_F(TextCorpus, LdacMissingCount) { expect_ldac_error("1 0:1\n1 3:\n", {"line 2", "count ''"}); }

TEST_F(TextCorpus, LdacPairWithoutColon) { expect_ldac_error("1 3\n", {"line 1", "'3'", "id:count"}); }

TEST_F(TextCorpus, LdacRepeatedWord) { expect_ldac_error("2 1:1 1:2\n", {"line 1", "word id 1", "twice"}); }

TEST_F(TextCorpus, LdacEmptyLine) { expect_ldac_error("1 0:1\n\n1 1:1\n", {"line 2", "empty line"}); }

// ---------------------------------------------------------------------------
// Matrix Market (gensim's MmCorpus): the content of kUci, entries in another order, real counts.

constexpr const char* kMm = "%%MatrixMarket matrix coordinate real general\n% written by a test\n"
                            "5 4 5                                             \n"
                            "4 2 1\n1 3 2.0\n2 4 7\n\n1 1 1\n4 1 3e0\n";

TEST_F(TextCorpus, MmEntriesInAnyOrder) { expect_uci_content(read_mm(write("c.mm", kMm), vocab_)); }

TEST_F(TextCorpus, MmIntegerCountsGzipCompressed) {
  const std::string path = dir_ + "/c.mm.gz";
  write_gzip(path, "%%MatrixMarket matrix coordinate integer general\n5 4 5\n1 3 2\n1 1 1\n2 4 7\n4 2 1\n4 1 3\n");
  expect_uci_content(read_mm(path, vocab_));
}

class MatrixMarket : public TextCorpus {
 protected:
  void expect_error(const std::string& text, const std::vector<std::string>& parts) {
    const std::string path = write("c.mm", text);
    const std::string message = error_of([&] { read_mm(path, vocab_); });
    EXPECT_TRUE(contains(message, path + " ") || contains(message, path + ":")) << message;
    for (const auto& part : parts) EXPECT_TRUE(contains(message, part)) << "lacks '" << part << "': " << message;
  }
};

constexpr const char* kReal = "%%MatrixMarket matrix coordinate real general\n";

TEST_F(MatrixMarket, RefusesOtherHeaders) {
  expect_error("5 4 5\n", {"line 1", "expected the header '%%MatrixMarket"});
  expect_error("%%MatrixMarket matrix array real general\n2 2\n", {"line 1", "'array'"});
  expect_error("%%MatrixMarket matrix coordinate complex general\n", {"line 1", "'complex'"});
  expect_error("%%MatrixMarket matrix coordinate pattern general\n", {"line 1", "'pattern'", "counts"});
  expect_error("%%MatrixMarket matrix coordinate real symmetric\n", {"line 1", "'symmetric'"});
  expect_error(kReal, {"the size line", "is missing"});
}

TEST_F(MatrixMarket, ChecksTheSizeLineAgainstTheContent) {
  expect_error(std::string(kReal) + "2 5 1\n1 1 1\n", {"line 2", "says 5 words", "has 4"});
  expect_error(std::string(kReal) + "2 4 3\n1 1 1\n2 1 1\n", {"line 2", "says 3 entries, the file has 2"});
  expect_error(std::string(kReal) + "2 4 1\n1 1 1\n2 1 1\n", {"line 4", "more entries than the 1"});
  expect_error(std::string(kReal) + "9000 4 1\n1 1 1\n", {"line 2", "9000 documents", "far more"});
  expect_error(std::string(kReal) + "2 4\n", {"line 2", "size line"});
}

TEST_F(MatrixMarket, ChecksEveryEntry) {
  const std::string head = std::string(kReal) + "2 4 2\n1 1 1\n";
  expect_error(head + "3 1 1\n", {"line 4", "document 3 is out of range; expected 1 to 2"});
  expect_error(head + "1 0 1\n", {"line 4", "word 0 is out of range"});
  expect_error(head + "1 2 2.5\n", {"line 4", "count '2.5' is not a whole number"});
  expect_error(head + "1 2 0\n", {"line 4", "count '0'"});
  expect_error(head + "1 2 nan\n", {"line 4", "count 'nan'"});
  expect_error(head + "1 2\n", {"line 4", "'document word count'"});
  expect_error(head + "1 1 4\n", {"line 4", "word 1 is listed twice for document 1"});
  expect_error(std::string("%%MatrixMarket matrix coordinate integer general\n2 4 1\n1 1 1.0\n"),
               {"line 3", "count '1.0' is not an integer"});
}

// ---------------------------------------------------------------------------
// The split.

// "w" and the number (built so as not to trip GCC 12's false -Wrestrict on "w" + std::string).
std::string word(std::int64_t w) {
  std::string text = "w";
  text += std::to_string(w);
  return text;
}

// Document d holds word d with count d + 1.
Corpus diagonal_corpus(int docs) {
  Corpus c;
  c.vocab_size = docs;
  for (int d = 0; d < docs; ++d) {
    c.vocab.push_back(word(d));
    c.add_document({d}, {d + 1}, d);
  }
  c.total_docs = docs;
  return c;
}

TEST(SplitEvery, SendsEveryThirdDocumentToTheSecondPart) {
  const Corpus c = diagonal_corpus(8);
  const auto [first, second] = split_every(c, 3);
  EXPECT_EQ(second.doc_ids, (Offsets{2, 5}));
  EXPECT_EQ(second.indices, (Ids{2, 5}));
  EXPECT_EQ(second.counts, (Ids{3, 6}));
  EXPECT_EQ(second.indptr, (Offsets{0, 1, 2}));
  EXPECT_EQ(second.total_docs, 2);
  EXPECT_EQ(first.doc_ids, (Offsets{0, 1, 3, 4, 6, 7}));
  EXPECT_EQ(first.indices, (Ids{0, 1, 3, 4, 6, 7}));
  EXPECT_EQ(first.total_docs, 6);
  for (const Corpus* part : {&first, &second}) {
    EXPECT_EQ(part->vocab_size, 8);
    EXPECT_EQ(part->vocab, c.vocab);
    EXPECT_EQ(part->first_doc, 0);
  }
}

TEST(SplitEvery, KeepsEmptyDocumentsAndTheirSourceIndex) {
  Corpus c = diagonal_corpus(2);
  c.add_document({}, {}, 2);
  c.total_docs = 3;
  const auto [first, second] = split_every(c, 3);
  EXPECT_EQ(second.num_docs(), 1);
  EXPECT_EQ(second.doc_ids, (Offsets{2}));
  EXPECT_EQ(second.indptr, (Offsets{0, 0}));
  EXPECT_EQ(first.num_tokens(), c.num_tokens());
}

TEST(SplitEvery, RejectsEveryBelowTwo) {
  const Corpus c = diagonal_corpus(4);
  EXPECT_TRUE(contains(error_of([&] { split_every(c, 1); }), "--split-every 1"));
  EXPECT_TRUE(contains(error_of([&] { split_every(c, 0); }), "--split-every 0"));
}

// ---------------------------------------------------------------------------
// The corpus HDF5 file.

// A synthetic corpus with empty documents at 0, 6 and the end, and source ids that are not 0..D-1.
Corpus test_corpus() {
  const Corpus drawn = testing::synthetic_corpus(3, 30, 10, 20, 2);
  Corpus c;
  c.vocab_size = drawn.vocab_size;
  c.vocab = drawn.vocab;
  c.add_document({}, {}, 100);
  for (std::int64_t d = 0; d < drawn.num_docs(); ++d) {
    if (d == 5) c.add_document({}, {}, 200);
    const auto b = drawn.indptr[static_cast<std::size_t>(d)];
    const auto e = drawn.indptr[static_cast<std::size_t>(d) + 1];
    c.add_document({drawn.indices.begin() + b, drawn.indices.begin() + e},
                   {drawn.counts.begin() + b, drawn.counts.begin() + e}, 3 * d);
  }
  c.add_document({}, {}, 300);
  c.total_docs = c.num_docs();
  return c;
}

template <class T>
std::vector<T> slice(const std::vector<T>& v, std::int64_t b, std::int64_t e) {
  return {v.begin() + b, v.begin() + e};
}

class CorpusFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir(std::string("corpus_file_") +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    path_ = dir_ + "/c.h5";
  }
  // Checks that reading documents [0, 1) of `path` fails naming the path and `expected`.
  static void expect_read_error(const std::string& path, const std::string& expected) {
    const std::string message = error_of([&] { read_corpus(path, 0, 1, false); });
    EXPECT_TRUE(contains(message, path + ": ")) << message;
    EXPECT_TRUE(contains(message, expected)) << "lacks '" << expected << "': " << message;
  }
  std::string dir_;
  std::string path_;
};

TEST_F(CorpusFile, WriterStreamsMoreThanItBuffers) {
  // 200,000 documents of 1 or 2 words: the writer appends to the file several times.
  CorpusWriter writer(path_, true);
  Corpus expected;
  expected.vocab_size = 3;
  expected.vocab = {"a", "b", "c"};
  for (std::int32_t d = 0; d < 200000; ++d) {
    const std::vector<std::int32_t> ids = d % 3 == 0 ? std::vector<std::int32_t>{0, 2} : std::vector<std::int32_t>{1};
    const std::vector<std::int32_t> counts(ids.size(), 1 + d % 5);
    writer.add(ids, counts, 2 * d, "doc" + std::to_string(d));
    expected.add_document(ids, counts, 2 * d);
  }
  EXPECT_FALSE(std::filesystem::exists(path_));  // written under its temporary name until finished
  EXPECT_TRUE(std::filesystem::exists(temporary_path(path_)));
  writer.finish(expected.vocab, 3, "test");
  const Corpus r = read_corpus(path_, 0, 200000, true);
  EXPECT_EQ(r.indptr, expected.indptr);
  EXPECT_EQ(r.indices, expected.indices);
  EXPECT_EQ(r.counts, expected.counts);
  EXPECT_EQ(r.doc_ids, expected.doc_ids);
  EXPECT_EQ(read_corpus_info(path_).num_tokens, expected.num_tokens());
  const auto names = h5::File::open_read(path_).read_strings("/doc_names");
  ASSERT_EQ(names.size(), 200000u);
  EXPECT_EQ(names[199999], "doc199999");
  EXPECT_FALSE(std::filesystem::exists(temporary_path(path_)));
  // Checksummed as a file written whole: numbers with Fletcher-32, strings with the CRC-32 of write_strings.
  const h5::Handle file(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  for (const char* name : {"/indptr", "/indices", "/counts", "/doc_ids"}) {
    const h5::Handle set(H5Dopen2(file.get(), name, H5P_DEFAULT), H5Dclose);
    const h5::Handle plist(H5Dget_create_plist(set.get()), H5Pclose);
    EXPECT_GE(H5Pget_filter_by_id2(plist.get(), H5Z_FILTER_FLETCHER32, nullptr, nullptr, nullptr, 0, nullptr, nullptr),
              0)
        << name;
  }
  h5::File whole = h5::File::create(dir_ + "/whole.h5");
  whole.write_strings("/doc_names", names);
  EXPECT_EQ(h5::File::open_read(path_).attr_int("/doc_names", "crc32"), whole.attr_int("/doc_names", "crc32"));
}

TEST_F(CorpusFile, WriterNotFinishedLeavesNoFile) {
  {
    CorpusWriter writer(path_, false);
    writer.add(std::vector<std::int32_t>{0}, std::vector<std::int32_t>{1}, 0);
  }
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_FALSE(std::filesystem::exists(temporary_path(path_)));
}

TEST_F(CorpusFile, InfoReadsTheSizes) {
  const Corpus c = test_corpus();
  write_corpus(path_, c, "synthetic");
  const CorpusInfo info = read_corpus_info(path_);
  EXPECT_EQ(info.num_docs, 13);
  EXPECT_EQ(info.vocab_size, 30);
  EXPECT_EQ(info.num_tokens, c.num_tokens());
  EXPECT_EQ(info.num_tokens, 200);
}

TEST_F(CorpusFile, RoundTripOfTheWholeCorpus) {
  const Corpus c = test_corpus();
  write_corpus(path_, c, "synthetic");
  const Corpus r = read_corpus(path_, 0, c.num_docs(), true);
  EXPECT_EQ(r.first_doc, 0);
  EXPECT_EQ(r.total_docs, c.num_docs());
  EXPECT_EQ(r.vocab_size, c.vocab_size);
  EXPECT_EQ(r.indptr, c.indptr);
  EXPECT_EQ(r.indices, c.indices);
  EXPECT_EQ(r.counts, c.counts);
  EXPECT_EQ(r.doc_ids, c.doc_ids);
  EXPECT_EQ(r.vocab, c.vocab);
  EXPECT_EQ(r.checksum(), c.checksum());
  EXPECT_FALSE(std::filesystem::exists(io::temporary_path(path_)));
}

TEST_F(CorpusFile, RoundTripOfAShard) {
  const Corpus c = test_corpus();
  write_corpus(path_, c, "synthetic");
  const std::int64_t b = 4;
  const std::int64_t e = 9;  // holds the empty document 6
  const Corpus s = read_corpus(path_, b, e, false);
  EXPECT_EQ(s.first_doc, b);
  EXPECT_EQ(s.total_docs, c.num_docs());
  EXPECT_EQ(s.vocab_size, c.vocab_size);
  EXPECT_EQ(s.num_docs(), e - b);
  ASSERT_EQ(s.indptr.size(), static_cast<std::size_t>(e - b + 1));
  EXPECT_EQ(s.indptr.front(), 0);
  for (std::int64_t d = 0; d <= e - b; ++d) {
    EXPECT_EQ(s.indptr[static_cast<std::size_t>(d)], c.indptr[static_cast<std::size_t>(b + d)] - c.indptr[b]);
  }
  EXPECT_EQ(s.indices, slice(c.indices, c.indptr[b], c.indptr[e]));
  EXPECT_EQ(s.counts, slice(c.counts, c.indptr[b], c.indptr[e]));
  EXPECT_EQ(s.doc_ids, slice(c.doc_ids, b, e));
  EXPECT_TRUE(s.vocab.empty());
  EXPECT_EQ(read_corpus(path_, b, e, true).vocab, c.vocab);
  // The shards' checksums add up to the whole corpus's.
  EXPECT_EQ(read_corpus(path_, 0, b, false).checksum() + s.checksum() +
                read_corpus(path_, e, c.num_docs(), false).checksum(),
            c.checksum());
}

TEST_F(CorpusFile, EmptyShardsAtTheEdges) {
  const Corpus c = test_corpus();
  write_corpus(path_, c, "synthetic");
  const Corpus last = read_corpus(path_, c.num_docs() - 1, c.num_docs(), false);
  EXPECT_EQ(last.indptr, (Offsets{0, 0}));
  EXPECT_EQ(last.doc_ids, (Offsets{300}));
  EXPECT_EQ(read_corpus(path_, 3, 3, false).num_docs(), 0);
}

TEST_F(CorpusFile, RangeBeyondTheCorpusIsNamed) {
  write_corpus(path_, test_corpus(), "synthetic");
  const std::string message = error_of([&] { read_corpus(path_, 5, 14, false); });
  EXPECT_TRUE(contains(message, path_ + ": documents [5, 14)")) << message;
  EXPECT_TRUE(contains(message, "has 13")) << message;
}

TEST_F(CorpusFile, TextFileIsNotHdf5) {
  write_text(path_, "3\n4\n5\n");
  expect_read_error(path_, "not an HDF5 file");
  EXPECT_TRUE(contains(error_of([&] { read_corpus_info(path_); }), path_ + ": not an HDF5 file"));
}

TEST_F(CorpusFile, MissingFile) {
  expect_read_error(path_, "no such file");
  EXPECT_EQ(error_of([&] { read_corpus_info(path_); }), path_ + ": no such file");
}

TEST_F(CorpusFile, Hdf5FileWithoutTheFormatAttribute) {
  {
    h5::File file = h5::File::create(path_);
    file.write<std::int64_t>("/indptr", Offsets{0, 1}, {2});
  }
  expect_read_error(path_, "not a natgrad corpus");
  EXPECT_TRUE(contains(error_of([&] { read_corpus_info(path_); }), "'format'"));
}

// Writes a corpus with h5::File directly, so that it can break the rules.
struct RawCorpus {
  Offsets indptr{0, 2, 3};
  Ids indices{1, 4, 0};
  Ids counts{1, 2, 3};
  bool counts_as_float = false;
  std::int64_t vocab_size = 5;
};

void write_raw(const std::string& path, const RawCorpus& raw) {
  h5::File file = h5::File::create(path);
  const auto docs = static_cast<std::uint64_t>(raw.indptr.size() - 1);
  const auto nnz = static_cast<std::uint64_t>(raw.indices.size());
  file.write<std::int64_t>("/indptr", raw.indptr, {docs + 1});
  file.write<std::int32_t>("/indices", raw.indices, {nnz});
  if (raw.counts_as_float) {
    file.write<double>("/counts", std::vector<double>(raw.counts.begin(), raw.counts.end()), {nnz});
  } else {
    file.write<std::int32_t>("/counts", raw.counts, {nnz});
  }
  Offsets doc_ids(docs);
  for (std::uint64_t d = 0; d < docs; ++d) doc_ids[d] = static_cast<std::int64_t>(d);
  file.write<std::int64_t>("/doc_ids", doc_ids, {docs});
  std::vector<std::string> vocab;
  for (std::int64_t w = 0; w < raw.vocab_size; ++w) vocab.push_back(word(w));
  file.write_strings("/vocab", vocab);
  file.set_attr("/", "format", std::string(kCorpusFormat));
  file.set_attr("/", "schema_version", kCorpusSchemaVersion);
  file.set_attr("/", "num_docs", static_cast<std::int64_t>(docs));
  file.set_attr("/", "vocab_size", raw.vocab_size);
  std::int64_t tokens = 0;
  for (const auto n : raw.counts) tokens += n;
  file.set_attr("/", "num_tokens", tokens);
  file.set_attr("/", "source", std::string("test"));
}

TEST_F(CorpusFile, RawCorpusIsValid) {
  write_raw(path_, RawCorpus{});
  const Corpus c = read_corpus(path_, 0, 2, true);
  EXPECT_EQ(c.indices, (Ids{1, 4, 0}));
  EXPECT_EQ(c.vocab.size(), 5u);
}

// Found by fuzz_corpus_file (seed tests/fuzz/corpus/corpus_file/num_docs_max):
// num_docs = 2^63 − 1 overflowed num_docs + 1 in the shape check.
TEST_F(CorpusFile, LargestNumDocsIsRefusedWithoutOverflow) {
  write_raw(path_, RawCorpus{});
  {
    const hid_t file = H5Fopen(path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    const std::int64_t huge = INT64_MAX;
    const hid_t attr = H5Aopen(file, "num_docs", H5P_DEFAULT);
    H5Awrite(attr, H5T_NATIVE_INT64, &huge);
    H5Aclose(attr);
    H5Fclose(file);
  }
  EXPECT_TRUE(contains(error_of([&] { read_corpus_info(path_); }), "num_docs + 1 = 9223372036854775808"));
}

// Found by fuzz_corpus_file (seed tests/fuzz/corpus/corpus_file/indptr_rise_then_fall):
// an indptr that rises and then falls back (but not below its first entry)
// passed the check and the reader indexed beyond '/indices'.
TEST_F(CorpusFile, IndptrThatRisesThenFalls) {
  RawCorpus raw;
  raw.indptr = {0, 1, 4, 3};
  raw.indices = {0, 0, 1};
  raw.counts = {1, 1, 1};
  write_raw(path_, raw);
  // The shard of documents 1 and 2 starts at offset 1: its indptr is 1, 4, 3.
  const std::string message = error_of([&] { read_corpus(path_, 1, 3, false); });
  EXPECT_TRUE(contains(message, path_ + ": '/indptr' decreases at document 3")) << message;
}

TEST_F(CorpusFile, NegativeIndptr) {
  RawCorpus raw;
  raw.indptr = {-1, 2, 3};
  write_raw(path_, raw);
  expect_read_error(path_, "'/indptr' is -1 at document 0");
}

TEST_F(CorpusFile, WordIdAtV) {
  RawCorpus raw;
  raw.indices = {1, 5, 0};
  write_raw(path_, raw);
  expect_read_error(path_, "document 0 has word id 5");
  expect_read_error(path_, "[0, 5)");
}

TEST_F(CorpusFile, WordIdInTheSecondShardOnly) {
  RawCorpus raw;
  raw.indices = {1, 4, 7};
  write_raw(path_, raw);
  EXPECT_NO_THROW(read_corpus(path_, 0, 1, false));
  const std::string message = error_of([&] { read_corpus(path_, 1, 2, false); });
  EXPECT_TRUE(contains(message, path_ + ": document 1 has word id 7")) << message;
}

TEST_F(CorpusFile, WordIdsNotIncreasing) {
  RawCorpus raw;
  raw.indices = {4, 1, 0};
  write_raw(path_, raw);
  expect_read_error(path_, "word id 1");
}

TEST_F(CorpusFile, CountZero) {
  RawCorpus raw;
  raw.counts = {1, 0, 3};
  write_raw(path_, raw);
  expect_read_error(path_, "count 0");
}

TEST_F(CorpusFile, CountsOfTheWrongType) {
  RawCorpus raw;
  raw.counts_as_float = true;
  write_raw(path_, raw);
  expect_read_error(path_, "'/counts' holds floating point values; expected integer");
}

TEST_F(CorpusFile, IndptrOfTheWrongLength) {
  RawCorpus raw;
  raw.indptr = {0, 3};  // 1 document, but num_docs says...
  write_raw(path_, raw);
  {
    // ...2 documents.
    const hid_t file = H5Fopen(path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const std::int64_t two = 2;
    const hid_t attr = H5Aopen(file, "num_docs", H5P_DEFAULT);
    ASSERT_GE(attr, 0);
    EXPECT_GE(H5Awrite(attr, H5T_NATIVE_INT64, &two), 0);
    H5Aclose(attr);
    H5Fclose(file);
  }
  expect_read_error(path_, "'/indptr'");
}

// ---------------------------------------------------------------------------
// The shared corpora.

TEST(SharedCorpora, KosHasItsPublishedSizes) {
  const std::string docword = testing::shared_data("kos/docword.kos.txt.gz");
  if (docword.empty()) GTEST_SKIP() << "kos/docword.kos.txt.gz not found in the shared data folder";
  const Corpus c = read_uci(docword, testing::shared_data("kos/vocab.kos.txt"));
  EXPECT_EQ(c.num_docs(), 3430);
  EXPECT_EQ(c.vocab_size, 6906);
  EXPECT_EQ(c.indices.size(), 353160u);
  EXPECT_EQ(c.num_tokens(), 467714);
  // Converted to HDF5, it reads back the same.
  const std::string path = testing::temp_dir("corpus_kos") + "/kos.h5";
  write_corpus(path, c, docword);
  const CorpusInfo info = read_corpus_info(path);
  EXPECT_EQ(info.num_docs, 3430);
  EXPECT_EQ(info.vocab_size, 6906);
  EXPECT_EQ(info.num_tokens, 467714);
  EXPECT_EQ(read_corpus(path, 0, 3430, false).checksum(), c.checksum());
}

TEST(SharedCorpora, ApInLdacIsTheSameAsInUci) {
  const std::string ldac = testing::shared_data("ap/ap.dat.gz");
  const std::string docword = testing::shared_data("ap/docword.ap.txt.gz");
  const std::string vocab = testing::shared_data("ap/vocab.ap.txt");
  if (ldac.empty() || docword.empty() || vocab.empty()) {
    GTEST_SKIP()
        << "ap/ap.dat.gz, ap/docword.ap.txt.gz or ap/vocab.ap.txt not found in the shared data folder";
  }
  const Corpus a = read_ldac(ldac, vocab);
  EXPECT_EQ(a.num_docs(), 2246);
  EXPECT_EQ(a.vocab_size, 10473);
  EXPECT_EQ(a.indices.size(), 302031u);
  const Corpus u = read_uci(docword, vocab);
  EXPECT_EQ(a.indptr, u.indptr);
  EXPECT_EQ(a.indices, u.indices);
  EXPECT_EQ(a.counts, u.counts);
  EXPECT_EQ(a.vocab, u.vocab);
}

}  // namespace
}  // namespace natgrad::io
