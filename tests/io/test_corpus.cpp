// The converters' checks (each violation names the file, the line and the
// value), the split, and the corpus HDF5 file read back whole and by shard.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "natgrad/error.hpp"
#include "natgrad/io/corpus.hpp"
#include "natgrad/io/hdf5.hpp"
#include "natgrad/io/text_corpus.hpp"
#include "test_data.hpp"

namespace natgrad::io {
namespace {

class TextCorpus : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    write("vocab.txt", "apple\nbanana\ncherry\ndate\n");
  }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  // Expects read_uci of `docword` to fail with a message holding every part.
  void expect_uci_error(const std::string& docword, const std::vector<std::string>& parts) {
    const std::string path = write("docword.txt", docword);
    try {
      read_uci(path, dir_ + "/vocab.txt");
      FAIL() << "accepted:\n" << docword;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      for (const auto& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  }
  std::string dir_;
};

TEST_F(TextCorpus, ReadsUciKeepingEmptyDocumentsAndSortingWords) {
  const std::string path = write("docword.txt", "4\n4\n5\n1 3 2\n1 1 1\n2 4 7\n4 2 1\n4 1 3\n");
  const Corpus c = read_uci(path, dir_ + "/vocab.txt");
  EXPECT_EQ(c.num_docs(), 4);
  EXPECT_EQ(c.vocab_size, 4);
  EXPECT_EQ(c.indptr, (std::vector<std::int64_t>{0, 2, 3, 3, 5}));
  EXPECT_EQ(c.indices, (std::vector<std::int32_t>{0, 2, 3, 0, 1}));
  EXPECT_EQ(c.counts, (std::vector<std::int32_t>{1, 2, 7, 3, 1}));
  EXPECT_EQ(c.num_tokens(), 14);
  EXPECT_EQ(c.vocab[2], "cherry");
  // The same file gzip-compressed reads the same.
  ASSERT_EQ(std::system(("gzip -k " + path).c_str()), 0);
  const Corpus z = read_uci(path + ".gz", dir_ + "/vocab.txt");
  EXPECT_EQ(z.indptr, c.indptr);
  EXPECT_EQ(z.indices, c.indices);
  EXPECT_EQ(z.counts, c.counts);
}

TEST_F(TextCorpus, UciNnzDisagreesWithContent) { expect_uci_error("2\n4\n3\n1 1 1\n2 2 2\n", {"NNZ = 3", "2"}); }
TEST_F(TextCorpus, UciWordIdZero) { expect_uci_error("2\n4\n2\n1 0 1\n2 2 2\n", {"line 4", "wordID 0"}); }
TEST_F(TextCorpus, UciWordIdAboveW) { expect_uci_error("2\n4\n2\n1 1 1\n2 5 2\n", {"line 5", "wordID 5"}); }
TEST_F(TextCorpus, UciDocIdZero) { expect_uci_error("2\n4\n1\n0 1 1\n", {"line 4", "docID 0"}); }
TEST_F(TextCorpus, UciDocIdAboveD) { expect_uci_error("2\n4\n1\n3 1 1\n", {"line 4", "docID 3"}); }
TEST_F(TextCorpus, UciCountZero) { expect_uci_error("2\n4\n1\n1 1 0\n", {"line 4", "count 0"}); }
TEST_F(TextCorpus, UciCountNegative) { expect_uci_error("2\n4\n1\n1 1 -2\n", {"line 4", "count -2"}); }
TEST_F(TextCorpus, UciCountNotAnInteger) { expect_uci_error("2\n4\n1\n1 1 1.5\n", {"line 4", "'1.5'", "not an integer"}); }
TEST_F(TextCorpus, UciLineWithTwoFields) { expect_uci_error("2\n4\n1\n1 1\n", {"line 4", "docID wordID count"}); }
TEST_F(TextCorpus, UciRepeatedWord) { expect_uci_error("2\n4\n2\n1 1 1\n1 1 2\n", {"document 1", "word 0 twice"}); }
TEST_F(TextCorpus, UciDocumentsOutOfOrder) { expect_uci_error("2\n4\n2\n2 1 1\n1 1 2\n", {"line 5", "sorted"}); }
TEST_F(TextCorpus, UciIncompleteHeader) { expect_uci_error("2\n4\n", {"header"}); }
TEST_F(TextCorpus, UciVocabularyOfAnotherSize) {
  write("vocab.txt", "apple\nbanana\n");
  expect_uci_error("2\n4\n1\n1 1 1\n", {"vocab.txt", "2 words", "W = 4"});
}

TEST_F(TextCorpus, UciTruncatedGzip) {
  std::string text = "300\n4\n600\n";
  for (int d = 1; d <= 300; ++d) text += std::to_string(d) + " 1 3\n" + std::to_string(d) + " 3 1\n";
  const std::string path = write("big.txt", text);
  ASSERT_EQ(std::system(("gzip -k " + path).c_str()), 0);
  const auto size = std::filesystem::file_size(path + ".gz");
  std::filesystem::resize_file(path + ".gz", size / 2);
  try {
    read_uci(path + ".gz", dir_ + "/vocab.txt");
    FAIL() << "accepted a truncated file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("big.txt.gz"), std::string::npos) << e.what();
  }
}

TEST_F(TextCorpus, MissingFileIsNamed) {
  try {
    read_uci(dir_ + "/nowhere.txt", dir_ + "/vocab.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nowhere.txt: no such file"), std::string::npos) << e.what();
  }
}

TEST_F(TextCorpus, ReadsLdacAndChecksIt) {
  const Corpus c = read_ldac(write("a.dat", "2 3:1 0:4\n0\n1 1:2\n"), dir_ + "/vocab.txt");
  EXPECT_EQ(c.num_docs(), 3);
  EXPECT_EQ(c.indptr, (std::vector<std::int64_t>{0, 2, 2, 3}));
  EXPECT_EQ(c.indices, (std::vector<std::int32_t>{0, 3, 1}));
  EXPECT_EQ(c.counts, (std::vector<std::int32_t>{4, 1, 2}));
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"3 3:1 0:4\n", "says 3 distinct words but lists 2"},
      {"1 4:1\n", "word id 4"},
      {"1 2:0\n", "count 0"},
      {"1 3:\n", "line 1"},
      {"1 3\n", "expected 'id:count'"},
  };
  for (const auto& [text, expected] : bad) {
    const std::string path = write("bad.dat", text);
    try {
      read_ldac(path, dir_ + "/vocab.txt");
      FAIL() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

TEST(SplitEvery, SendsEveryNthDocumentToTheSecondPart) {
  const Corpus c = testing::synthetic_corpus(2, 10, 10, 5, 1);
  const auto [train, test] = split_every(c, 3);
  EXPECT_EQ(train.num_docs(), 7);
  EXPECT_EQ(test.num_docs(), 3);
  EXPECT_EQ(test.doc_ids, (std::vector<std::int64_t>{2, 5, 8}));
  EXPECT_EQ(train.doc_ids, (std::vector<std::int64_t>{0, 1, 3, 4, 6, 7, 9}));
  EXPECT_EQ(train.num_tokens() + test.num_tokens(), c.num_tokens());
  EXPECT_THROW(split_every(c, 1), Error);
}

TEST(CorpusFile, RoundTripWholeAndByShard) {
  const std::string dir = testing::temp_dir("corpus_file");
  const Corpus c = testing::synthetic_corpus(3, 30, 17, 20, 2);
  write_corpus(dir + "/c.h5", c, "synthetic");
  const CorpusInfo info = read_corpus_info(dir + "/c.h5");
  EXPECT_EQ(info.num_docs, 17);
  EXPECT_EQ(info.vocab_size, 30);
  EXPECT_EQ(info.num_tokens, c.num_tokens());
  const Corpus whole = read_corpus(dir + "/c.h5", 0, 17, true);
  EXPECT_EQ(whole.indptr, c.indptr);
  EXPECT_EQ(whole.indices, c.indices);
  EXPECT_EQ(whole.counts, c.counts);
  EXPECT_EQ(whole.vocab, c.vocab);
  const Corpus shard = read_corpus(dir + "/c.h5", 5, 9, false);
  EXPECT_EQ(shard.first_doc, 5);
  EXPECT_EQ(shard.total_docs, 17);
  EXPECT_EQ(shard.num_docs(), 4);
  EXPECT_EQ(shard.indptr.front(), 0);
  EXPECT_TRUE(shard.vocab.empty());
  EXPECT_EQ(shard.indices, std::vector<std::int32_t>(c.indices.begin() + c.indptr[5], c.indices.begin() + c.indptr[9]));
  // Shards' checksums add up to the whole corpus's.
  EXPECT_EQ(read_corpus(dir + "/c.h5", 0, 5, false).checksum() + shard.checksum() +
                read_corpus(dir + "/c.h5", 9, 17, false).checksum(),
            whole.checksum());
}

TEST(CorpusFile, BadFilesAreNamed) {
  const std::string dir = testing::temp_dir("corpus_bad");
  const auto expect_error = [](const std::string& path, const std::string& expected) {
    try {
      read_corpus(path, 0, 1, false);
      FAIL() << "accepted " << path;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  std::ofstream(dir + "/text.h5") << "hello\n";
  expect_error(dir + "/text.h5", "not an HDF5 file");
  expect_error(dir + "/missing.h5", "no such file");
  {
    auto f = h5::File::create(dir + "/other.h5");
    f.write_scalar("/x", 1.0);
  }
  expect_error(dir + "/other.h5", "not a natgrad corpus");
  // A word id out of range, and counts stored as floating point.
  Corpus c = testing::synthetic_corpus(2, 10, 3, 5, 3);
  c.indices[0] = 10;
  write_corpus(dir + "/range.h5", c, "test");
  expect_error(dir + "/range.h5", "word id 10");
  c = testing::synthetic_corpus(2, 10, 3, 5, 3);
  write_corpus(dir + "/dtype.h5", c, "test");
  {
    // Rewrite /counts as float64, as a careless h5py script might.
    const hid_t file = H5Fopen((dir + "/dtype.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(file, "/counts", H5P_DEFAULT);
    std::vector<double> counts(c.counts.begin(), c.counts.end());
    const hsize_t n = counts.size();
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t set = H5Dcreate2(file, "/counts", H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, counts.data());
    H5Dclose(set);
    H5Sclose(space);
    H5Fclose(file);
  }
  expect_error(dir + "/dtype.h5", "'/counts' holds floating point values; expected integer");
}

TEST(SharedCorpora, KosAndApConvertWithTheirPublishedSizes) {
  const std::string kos = testing::shared_data("kos/docword.kos.txt.gz");
  if (kos.empty()) GTEST_SKIP() << "shared corpora not found beside the repository (../shared/data)";
  const Corpus k = read_uci(kos, testing::shared_data("kos/vocab.kos.txt"));
  EXPECT_EQ(k.num_docs(), 3430);
  EXPECT_EQ(k.vocab_size, 6906);
  EXPECT_EQ(k.indices.size(), 353160u);
  EXPECT_EQ(k.num_tokens(), 467714);
  // AP in both formats: the same documents.
  const Corpus uci = read_uci(testing::shared_data("ap/docword.ap.txt.gz"), testing::shared_data("ap/vocab.ap.txt"));
  const Corpus ldac = read_ldac(testing::shared_data("ap/ap.dat.gz"), testing::shared_data("ap/vocab.ap.txt"));
  EXPECT_EQ(ldac.num_docs(), 2246);
  EXPECT_EQ(ldac.vocab_size, 10473);
  EXPECT_EQ(ldac.indices.size(), 302031u);
  EXPECT_EQ(ldac.indptr, uci.indptr);
  EXPECT_EQ(ldac.indices, uci.indices);
  EXPECT_EQ(ldac.counts, uci.counts);
}

}  // namespace
}  // namespace natgrad::io
