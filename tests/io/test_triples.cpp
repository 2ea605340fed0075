// `natgrad convert triples`: user–item–count records (tab, comma or spaces,
// plain or .gz, LF or CRLF, with or without a header, columns chosen) to a
// corpus with users as documents and items as words; repeated pairs summed,
// binarized, filtered; one test per error, each naming the file, line and
// column. The split of each user's entries, and the names through the corpus file.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>

#include "natgrad/error.hpp"
#include "natgrad/io/corpus.hpp"
#include "natgrad/io/text_corpus.hpp"
#include "test_data.hpp"
#include "test_files.hpp"

namespace natgrad::io {
namespace {

using testing::contains;
using testing::error_of;

class Triples : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir(std::string("triples_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    if (name.ends_with(".gz")) {
      testing::write_gzip(path, text);
    } else {
      testing::write_text(path, text);
    }
    return path;
  }
  Corpus read(const std::string& text, const TriplesOptions& o = {}) { return read_triples(write("t.txt", text), o); }
  void expect_error(const std::string& text, const std::vector<std::string>& parts, const TriplesOptions& o = {}) {
    const std::string path = write("bad.txt", text);
    const std::string message = error_of([&] { read_triples(path, o); });
    EXPECT_TRUE(contains(message, path)) << message;
    for (const auto& part : parts) EXPECT_TRUE(contains(message, part)) << "lacks '" << part << "': " << message;
  }
  std::string dir_;
};

// The counts of a corpus as (user name, item name) -> count.
std::map<std::pair<std::string, std::string>, int> cells(const Corpus& c) {
  std::map<std::pair<std::string, std::string>, int> out;
  for (std::int64_t d = 0; d < c.num_docs(); ++d) {
    const auto w = c.doc_words(d);
    const auto n = c.doc_counts(d);
    for (std::size_t j = 0; j < w.size(); ++j) {
      out[{c.doc_names[static_cast<std::size_t>(d)], c.vocab[static_cast<std::size_t>(w[j])]}] = n[j];
    }
  }
  return out;
}

TEST_F(Triples, TabsWithAHeaderAndStringIds) {
  // Debian's layout: a header, then package, dependency, 1.
  const Corpus c = read("package\tdependency\tcount\nzsh\tlibc6\t1\nzsh\tlibcap2\t1\nbash\tlibc6\t1\n");
  EXPECT_EQ(c.num_docs(), 2);
  EXPECT_EQ(c.doc_names, (std::vector<std::string>{"zsh", "bash"}));  // in order of first appearance
  EXPECT_EQ(c.vocab, (std::vector<std::string>{"libc6", "libcap2"}));
  EXPECT_EQ(c.vocab_size, 2);
  EXPECT_EQ(c.indptr, (std::vector<std::int64_t>{0, 2, 3}));
  EXPECT_EQ(c.indices, (std::vector<std::int32_t>{0, 1, 0}));
  EXPECT_EQ(c.doc_ids, (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(c.total_docs, 2);
}

TEST_F(Triples, CommasSpacesGzipAndCrlfReadTheSame) {
  const auto expected = cells(read("u1 i1 3\nu2 i2 1\nu1 i2 2\n"));
  EXPECT_EQ(cells(read("u1,i1,3\r\nu2, i2 ,1\r\n\r\nu1,i2,2\r\n")), expected);
  EXPECT_EQ(cells(read("u1\ti1\t3\nu2\ti2\t1\nu1\ti2\t2\n")), expected);
  EXPECT_EQ(cells(read_triples(write("t.txt.gz", "u1  i1   3\n  u2 i2 1\nu1 i2 2"), {})), expected);
  // Items of a user sorted by id, whatever the order of the lines.
  const Corpus c = read("u1 i2 2\nu2 i1 1\nu1 i1 3\n");
  EXPECT_EQ(c.doc_words(0)[0] < c.doc_words(0)[1], true);
}

TEST_F(Triples, MovieLensColumnsIntegerIdsAndTheCountColumn) {
  // user item rating timestamp: the third field by default, any with --count-column.
  const Corpus c = read("196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t5\t881250950\n");
  EXPECT_EQ((cells(c)[{"196", "302"}]), 5);
  TriplesOptions stamps;
  stamps.count_column = 4;
  stamps.row_column = 2;  // items as rows
  stamps.column_column = 1;
  const Corpus t = read("196\t242\t3\t7\n186\t302\t3\t8\n", stamps);
  EXPECT_EQ(t.doc_names, (std::vector<std::string>{"242", "302"}));
  EXPECT_EQ((cells(t)[{"302", "186"}]), 8);
}

TEST_F(Triples, WithoutACountColumnEveryRecordCountsOne) {
  const Corpus two = read("a x\nb y\na x\n");  // two fields: no count column; repeats sum
  EXPECT_EQ((cells(two)[{"a", "x"}]), 2);
  TriplesOptions none;
  none.count_column = 0;
  EXPECT_EQ((cells(read("a x 9\nb y 9\n", none))[{"a", "x"}]), 1);
  // Without a count column, a header must be said: --header.
  TriplesOptions header;
  header.header = true;
  header.count_column = 0;
  EXPECT_EQ(read("user item\na x\n", header).doc_names, (std::vector<std::string>{"a"}));
  EXPECT_EQ(read("user item\na x\n", none).doc_names, (std::vector<std::string>{"user", "a"}));
}

TEST_F(Triples, HeaderDetectedOrForced) {
  EXPECT_EQ(read("user,item,count\na,x,2\n").num_docs(), 1);
  TriplesOptions forced;
  forced.header = true;
  // A numeric first line is data unless --header says otherwise.
  EXPECT_EQ(read("7 8 9\na x 2\n").num_docs(), 2);
  EXPECT_EQ(read("7 8 9\na x 2\n", forced).num_docs(), 1);
}

TEST_F(Triples, RepeatsSummedThenFilteredAndBinarized) {
  const std::string text = "a x 2\na x 3\na y 1\nb y 1\nb z 4\n";
  const Corpus summed = read(text);
  EXPECT_EQ((cells(summed)[{"a", "x"}]), 5);
  TriplesOptions binary;
  binary.binarize = true;
  const Corpus b = read(text, binary);
  for (const std::int32_t n : b.counts) EXPECT_EQ(n, 1);
  EXPECT_EQ(b.indices.size(), 4u);
  // Pairs below --min-count go; so do users and items left without any entry.
  TriplesOptions at_least;
  at_least.min_count = 4;
  const Corpus f = read(text, at_least);
  EXPECT_EQ(cells(f), (std::map<std::pair<std::string, std::string>, int>{{{"a", "x"}, 5}, {{"b", "z"}, 4}}));
  EXPECT_EQ(f.vocab, (std::vector<std::string>{"x", "z"}));
  EXPECT_EQ(f.doc_names, (std::vector<std::string>{"a", "b"}));
}

TEST_F(Triples, EachErrorNamesTheFileLineAndColumn) {
  expect_error("a x 1\nb y \n", {"line 2", "2 fields; line 1 has 3"});
  expect_error("a,x,1\nb,y,\n", {"line 2, column 3", "empty count"});
  expect_error("a x 1\nb y 2.5\n", {"line 2, column 3", "count '2.5' is not an integer"});
  expect_error("a x 1\nb y two\n", {"line 2, column 3", "'two' is not an integer"});
  expect_error("a x 1\nb y -3\n", {"line 2, column 3", "count '-3' is out of range; expected 1 to 2147483647"});
  expect_error("a x 0\n", {"line 1, column 3", "count '0' is out of range"});
  expect_error("a x 99999999999\n", {"line 1, column 3", "out of range"});
  expect_error("a x 99999999999999999999999\n", {"line 1, column 3", "out of range"});
  expect_error("a x 2000000000\nb y 1\na x 2000000000\n", {"line 3", "counts of user 'a' and item 'x'", "2147483647"});
  expect_error("a x 1\nb y 1 5\n", {"line 2", "4 fields; line 1 has 3"});
  expect_error("a x 1\n\xff\xfe y 1\n", {"line 2, column 1", "not valid UTF-8"});
  expect_error("a x 1\nb \xc3\x28 1\n", {"line 2, column 2", "item id", "not valid UTF-8"});
  expect_error("a x 1\nb \xed\xa0\x80 1\n", {"line 2, column 2", "not valid UTF-8"});  // a surrogate
  expect_error("a x 1\nb \xc0\xaf 1\n", {"line 2, column 2", "not valid UTF-8"});      // overlong '/'
  expect_error("a,x,1\n,y,1\n", {"line 2, column 1", "empty user id"});
  expect_error("", {"no records"});
  expect_error("user item count\n", {"no records"});
  TriplesOptions far;
  far.column_column = 7;
  expect_error("a x 1\n", {"line 1", "--item-column 7 is beyond the 3 fields"}, far);
  // A header wider than the records (found by fuzz_triples: the records' missing fields were read).
  expect_error("user\titem\tcount\nalice bob 3\n", {"line 2", "--item-column 2 is beyond the 1 fields"});
  TriplesOptions high;
  high.min_count = 10;
  expect_error("a x 1\n", {"--min-count 10"}, high);
  const std::string missing = dir_ + "/nowhere.tsv";
  EXPECT_TRUE(contains(error_of([&] { read_triples(missing, {}); }), missing + ": no such file"));
  // A truncated gzip file stops at a line that names it.
  const std::string gz = write("t.tsv.gz", std::string(20000, 'a') + " x 1\n");
  std::filesystem::resize_file(gz, std::filesystem::file_size(gz) / 2);
  EXPECT_TRUE(contains(error_of([&] { read_triples(gz, {}); }), "damaged or truncated"));
  // Unicode names are fine.
  EXPECT_EQ(read("café,naïve,1\n").doc_names[0], "café");
}

TEST_F(Triples, NamesSurviveTheCorpusFile) {
  Corpus c = read("zsh\tlibc6\t1\nbash\tlibc6\t2\n");
  const std::string path = dir_ + "/c.h5";
  write_corpus(path, c, "test");
  const Corpus back = read_corpus(path, 0, 2, true);
  EXPECT_EQ(back.doc_names, c.doc_names);
  EXPECT_EQ(back.vocab, c.vocab);
  EXPECT_TRUE(read_corpus(path, 1, 2, false).doc_names.empty());
}

TEST_F(Triples, ItemsFromAnotherFileKeepItsColumnsAndSkipOthers) {
  // New users' records read with the items of a fitted model's (here: a corpus's) /vocab, so that the
  // model can score them: every one of its items, in its order; records of other items skipped and counted.
  const std::string known = dir_ + "/known.h5";
  write_corpus(known, read("u\tlibc6\t1\nu\tzlib\t1\nv\tperl\t2\n"), "test");
  TriplesOptions o;
  o.items_from = known;
  std::int64_t skipped = -1;
  const Corpus c = read_triples(write("new.tsv", "new1\tperl\t3\nnew1\tpython3\t1\nnew2\tpython3\t4\nnew3\tlibc6\t1\n"),
                                o, &skipped);
  EXPECT_EQ(skipped, 2);
  EXPECT_EQ(c.vocab, (std::vector<std::string>{"libc6", "zlib", "perl"}));
  EXPECT_EQ(c.vocab_size, 3);
  EXPECT_EQ(c.doc_names, (std::vector<std::string>{"new1", "new3"}));  // new2 had only an unknown item
  const auto got = cells(c);
  const std::map<std::pair<std::string, std::string>, int> want = {{{"new1", "perl"}, 3}, {{"new3", "libc6"}, 1}};
  EXPECT_EQ(got, want);
  // Nothing known: an error naming both files; a file without names: an error naming it.
  expect_error("a\tpython3\t1\n", {"no record names an item of --items-from " + known, "1 record of another item"}, o);
  const std::string unnamed = dir_ + "/unnamed.h5";
  Corpus anonymous = read("u\tlibc6\t1\n");
  anonymous.vocab.clear();
  write_corpus(unnamed, anonymous, "test");
  o.items_from = unnamed;
  const std::string message = error_of([&] { read_triples(write("x.tsv", "a\tb\t1\n"), o); });
  EXPECT_TRUE(contains(message, "--items-from " + unnamed + ": the file has no names of its items")) << message;
}

TEST(SplitEntries, HoldsOutAFractionOfEachUsersEntriesKeyedByTheSeed) {
  const Corpus c = testing::synthetic_corpus(3, 200, 300, 40, 5);
  const auto [train, test] = split_entries(c, 0.2, 7, 5);
  ASSERT_EQ(train.num_docs(), c.num_docs());
  ASSERT_EQ(test.num_docs(), c.num_docs());
  EXPECT_EQ(train.vocab, c.vocab);
  EXPECT_EQ(test.vocab_size, c.vocab_size);
  for (std::int64_t d = 0; d < c.num_docs(); ++d) {
    const auto all = c.doc_words(d);
    const auto n = static_cast<std::int64_t>(all.size());
    const auto held = test.doc_words(d);
    const auto kept = train.doc_words(d);
    if (n < 5) {
      EXPECT_TRUE(held.empty());
      continue;
    }
    // round(0.2 n) of them, at least 1, never all; together exactly the document's entries, with their counts.
    EXPECT_EQ(static_cast<std::int64_t>(held.size()), std::clamp<std::int64_t>(std::llround(0.2 * static_cast<double>(n)), 1, n - 1));
    std::set<std::int32_t> both(kept.begin(), kept.end());
    for (const std::int32_t w : held) EXPECT_TRUE(both.insert(w).second) << "entry in both parts";
    EXPECT_EQ(both, std::set<std::int32_t>(all.begin(), all.end()));
    EXPECT_TRUE(std::is_sorted(held.begin(), held.end()));
  }
  EXPECT_EQ(train.num_tokens() + test.num_tokens(), c.num_tokens());
  // The same seed, the same split; another seed, another.
  EXPECT_EQ(split_entries(c, 0.2, 7, 5).second.indices, test.indices);
  EXPECT_NE(split_entries(c, 0.2, 8, 5).second.indices, test.indices);
  EXPECT_TRUE(contains(error_of([&] { split_entries(c, 1.0, 1, 5); }), "--holdout-fraction"));
  EXPECT_TRUE(contains(error_of([&] { split_entries(c, 0.5, 1, 1); }), "--holdout-min-entries 1"));
}

}  // namespace
}  // namespace natgrad::io
