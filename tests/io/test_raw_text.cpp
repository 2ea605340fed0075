// `natgrad convert text` piece by piece: UTF-8 checking and replacement (as
// Python's decoder does it), lowercasing, token patterns and their errors,
// the JSON of JSON lines, and the converter on folders, line files and JSON
// lines: names, pruning, a given vocabulary, empty documents, the split, and
// each error naming the file, line and byte.

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "natgrad/error.hpp"
#include "natgrad/io/corpus.hpp"
#include "natgrad/io/hdf5.hpp"
#include "natgrad/io/json.hpp"
#include "natgrad/io/raw_text.hpp"
#include "natgrad/io/tokenizer.hpp"
#include "test_data.hpp"
#include "test_files.hpp"

namespace natgrad::io {
namespace {

using testing::contains;
using testing::error_of;
using testing::write_gzip;
using testing::write_text;
using Words = std::vector<std::string>;

Words tokens_of(const std::string& pattern, const std::string& text, const Words& stop = {}) {
  Tokenizer t(TokenPattern(pattern), stop);
  Words out;
  t.tokens(text, [&](std::string_view token) { out.emplace_back(token); });
  return out;
}

TEST(Utf8, FindsTheFirstInvalidSequence) {
  EXPECT_EQ(find_invalid_utf8("plain ascii"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("ab\xC0\xAF"), 2u);          // overlong
  EXPECT_EQ(find_invalid_utf8("a\xED\xA0\x80"), 1u);       // a surrogate
  EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0u);    // above U+10FFFF
  EXPECT_EQ(find_invalid_utf8("abc\xE2\x82"), 3u);         // cut short
  EXPECT_EQ(find_invalid_utf8(std::string("a\0b", 3)), std::string_view::npos);  // NUL is a character
}

TEST(Utf8, ReplacesMaximalSubpartsAsPythonDoes) {
  // Each expectation is bytes.decode("utf-8", "replace") of Python 3.11.
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(replace_invalid_utf8("\xE2\x82\x28"), r + "(");
  EXPECT_EQ(replace_invalid_utf8("\xF0\x9F\x98"), r);
  EXPECT_EQ(replace_invalid_utf8("\xC0\xAF"), r + r);
  EXPECT_EQ(replace_invalid_utf8("\xED\xA0\x80x"), r + r + r + "x");
  EXPECT_EQ(replace_invalid_utf8("a\xFF" "b\x80"), "a" + r + "b" + r);
  EXPECT_EQ(replace_invalid_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(Tokenizer, LowercasesAsPythonDoes) {
  EXPECT_EQ(Tokenizer::lowercase("ÄÖÜ Straße ΣΑΣ"), "äöü straße σασ");  // no final ς: see tokenizer.hpp
  EXPECT_EQ(Tokenizer::lowercase("\xC4\xB0stanbul"), "i\xCC\x87stanbul");  // İ → i + U+0307
  EXPECT_EQ(Tokenizer::lowercase("\xE2\x84\xAA"), "k");                     // KELVIN SIGN
  EXPECT_EQ(Tokenizer::lowercase("ǅ Ǆ ǈ Ꭰ"), "ǆ ǆ ǉ ꭰ");
}

TEST(Tokenizer, FindsTokensAsReFindall) {
  // Each expectation is re.findall(pattern, text.lower()) of Python 3.11 (with \p{L} as str.isalpha).
  EXPECT_EQ(tokens_of("\\p{L}{3,}", "Hello, Wörld! x2 ab-cd naïve 123 straße"),
            (Words{"hello", "wörld", "naïve", "straße"}));
  EXPECT_EQ(tokens_of("[a-z]{3,}", "Wörld naïve Über"), (Words{"rld", "ber"}));
  EXPECT_EQ(tokens_of("[a-z]{3,4}", "abcdefghi abcdefgh ab"), (Words{"abcd", "efgh", "abcd", "efgh"}));
  EXPECT_EQ(tokens_of("[a-z]{2}", "abcde"), (Words{"ab", "cd"}));
  EXPECT_EQ(tokens_of("\\d+", "a1 23 ٣٤x"), (Words{"1", "23", "٣٤"}));
  EXPECT_EQ(tokens_of("\\w{2,}", "snake_case x9 a"), (Words{"snake_case", "x9"}));
  EXPECT_EQ(tokens_of("[^ ]+", "two  words"), (Words{"two", "words"}));
  EXPECT_EQ(tokens_of("[\\p{L}\\-]{2,}", "well-known x"), (Words{"well-known"}));
  EXPECT_EQ(tokens_of("[-a]+", "a-a b"), (Words{"a-a"}));
  EXPECT_EQ(tokens_of("\\p{L}{3,}", "\xC4\xB0stanbul"), (Words{"stanbul"}));  // U+0307 is not a letter
  EXPECT_EQ(tokens_of("\\p{L}{3,}", "The cat and THE hat", {"The", "and"}), (Words{"cat", "hat"}));
}

TEST(Tokenizer, RefusesPatternsOutsideTheGrammar) {
  for (const std::string bad : {"", "[a-z", "[a-z]{0,}", "[a-z]{3,2}", "\\s+", "[z-a]", "[a-z]x", "[a-z]{3",
                                 "[a-z]{a,}", "\\p{N}", "[a-\\d]", "a\\"}) {
    const std::string message = error_of([&] { TokenPattern p(bad); });
    EXPECT_TRUE(contains(message, "--token-pattern '" + bad + "'")) << bad << ": " << message;
  }
  const TokenPattern p("[a-z]{2,5}");
  EXPECT_EQ(p.min_length(), 2);
  EXPECT_EQ(p.max_length(), 5);
  EXPECT_EQ(TokenPattern("x+").max_length(), 0);
  EXPECT_EQ(TokenPattern("[]a]").min_length(), 1);
}

TEST(Json, TakesTheNamedMembers) {
  const auto m = json_members(R"( {"a": {"text": [1, {"x": null}]}, "text": "caf\u00e9 \ud83d\ude00\n\"q\"",
      "id": -1.5e3, "text2": true, "id": 7} )", {"text", "id", "missing", "text2"}, false);
  ASSERT_TRUE(m[0] && m[1] && !m[2] && m[3]);
  EXPECT_EQ(m[0]->kind, JsonValue::Kind::kString);
  EXPECT_EQ(m[0]->text, "café \xF0\x9F\x98\x80\n\"q\"");
  EXPECT_EQ(m[1]->kind, JsonValue::Kind::kNumber);
  EXPECT_EQ(m[1]->text, "7");  // the last of a name given twice
  EXPECT_EQ(std::string(m[3]->what), "true");
  EXPECT_TRUE(json_members("{}", {"a"}, false)[0] == std::nullopt);
}

TEST(Json, RefusesWhatIsNotOneObject) {
  const auto offset = [](const std::string& text) -> std::int64_t {
    try {
      json_members(text, {"a"}, false);
    } catch (const JsonError& e) {
      return static_cast<std::int64_t>(e.offset());
    }
    return -1;
  };
  EXPECT_EQ(offset(R"({"a": 1,})"), 8);
  EXPECT_EQ(offset(R"({"a" 1})"), 5);
  EXPECT_EQ(offset("{\"a\": \"x\ty\"}"), 8);  // a raw tab in a string
  EXPECT_EQ(offset(R"({"a": "x)"), 8);
  EXPECT_EQ(offset(R"([1])"), 0);
  EXPECT_EQ(offset(R"({"a": 01})"), 7);
  EXPECT_EQ(offset(R"({"a": 1} x)"), 9);
  EXPECT_EQ(offset(R"({"a": tru})"), 6);
  EXPECT_EQ(offset(R"({"a": "\x"})"), 7);
  EXPECT_EQ(offset(R"({"a": "\ud800"})"), 7);  // a lone surrogate
  EXPECT_EQ(json_members(R"({"a": "\ud800x"})", {"a"}, true)[0]->text, "\xEF\xBF\xBDx");
  EXPECT_EQ(offset("{\"a\": " + std::string(kJsonMaxDepth + 5, '[')), 6 + kJsonMaxDepth);
}

// A test's own folder.
class ConvertText : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir(std::string("text_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string write(const std::string& name, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path(name)).parent_path());
    write_text(path(name), text);
    return path(name);
  }
  // Converts with `o`, returning the report.
  std::string convert(TextOptions o, std::int64_t split = 0) {
    std::ostringstream report;
    convert_text(o, path("out.h5"), split, split > 0 ? path("test.h5") : "", report);
    return report.str();
  }
  std::string dir_;
};

// The documents of a corpus file as word lists (word repeated count times), and its document names.
std::vector<Words> documents_of(const std::string& path, Words* names = nullptr) {
  const Corpus c = read_corpus(path, 0, read_corpus_info(path).num_docs, true);
  std::vector<Words> out;
  for (std::int64_t d = 0; d < c.num_docs(); ++d) {
    Words words;
    for (std::size_t j = 0; j < c.doc_words(d).size(); ++j) {
      for (int n = 0; n < c.doc_counts(d)[j]; ++n) words.push_back(c.vocab[static_cast<std::size_t>(c.doc_words(d)[j])]);
    }
    out.push_back(words);
  }
  if (names != nullptr) *names = h5::File::open_read(path).read_strings("/doc_names");
  return out;
}

TEST_F(ConvertText, AFolderIsOneDocumentPerFileInPathOrder) {
  write("docs/b.txt", "Beta beta alpha");
  write("docs/a/z.txt", "gamma");
  write("docs/a-b.txt", "");  // left empty: dropped
  write_gzip(path("docs/c.txt.gz"), "alpha Gamma");
  TextOptions o;
  o.inputs = {path("docs")};
  const std::string report = convert(o);
  EXPECT_TRUE(contains(report, "1 documents left without tokens dropped")) << report;
  Words names;
  const auto docs = documents_of(path("out.h5"), &names);
  // Relative paths in byte order: "a-b.txt" < "a/z.txt" < "b.txt" < "c.txt.gz".
  EXPECT_EQ(names, (Words{path("docs/a/z.txt"), path("docs/b.txt"), path("docs/c.txt.gz")}));
  EXPECT_EQ(docs, (std::vector<Words>{{"gamma"}, {"alpha", "beta", "beta"}, {"alpha", "gamma"}}));
  const Corpus c = read_corpus(path("out.h5"), 0, 3, true);
  EXPECT_EQ(c.vocab, (Words{"alpha", "beta", "gamma"}));
  EXPECT_EQ(c.doc_ids, (std::vector<std::int64_t>{1, 2, 3}));  // the empty one was document 0
}

TEST_F(ConvertText, LinesAreDocumentsNamedByLineAndEmptyOnesCanBeKept) {
  const std::string file = write("lines.txt", "one two\n\nthree one\r\n");
  TextOptions o;
  o.inputs = {file};
  o.keep_empty = true;
  o.token_pattern = "\\p{L}+";
  Words names;
  convert(o);
  EXPECT_EQ(documents_of(path("out.h5"), &names), (std::vector<Words>{{"one", "two"}, {}, {"one", "three"}}));
  EXPECT_EQ(names, (Words{file + ":1", file + ":2", file + ":3"}));
}

TEST_F(ConvertText, JsonLinesTakeTheFieldAndTheName) {
  const std::string file = write("docs.jsonl", "{\"id\": 7, \"text\": \"Caf\\u00e9 caf\\u00e9 bar\"}\n\n"
                                               "{\"text\": \"bar\", \"id\": \"x\"}\n");
  TextOptions o;
  o.inputs = {file};
  o.field = "text";
  o.name_field = "id";
  Words names;
  convert(o);
  EXPECT_EQ(documents_of(path("out.h5"), &names), (std::vector<Words>{{"bar", "café", "café"}, {"bar"}}));
  EXPECT_EQ(names, (Words{"7", "x"}));
}

TEST_F(ConvertText, PrunesTheVocabularyByTheRules) {
  // totals: aaa 6 (3 docs), bbb 3 (3 docs), ccc 3 (1 doc), ddd 1, eee 4 (4 docs = all)
  const std::string file =
      write("d.txt", "aaa aaa bbb eee\naaa bbb ccc ccc ccc eee\naaa aaa aaa bbb eee\nddd eee\n");
  TextOptions o;
  o.inputs = {file};
  o.min_count = 3;
  convert(o);
  EXPECT_EQ(read_corpus(path("out.h5"), 0, 4, true).vocab, (Words{"aaa", "bbb", "ccc", "eee"}));
  o.min_df = 2;
  o.max_df = 0.9;  // eee is in all 4
  convert(o);
  EXPECT_EQ(read_corpus(path("out.h5"), 0, 3, true).vocab, (Words{"aaa", "bbb"}));
  o = TextOptions{};
  o.inputs = {file};
  o.keep_top = 2;  // aaa (6), then eee (4)
  const std::string report = convert(o);
  EXPECT_EQ(read_corpus(path("out.h5"), 0, 4, true).vocab, (Words{"aaa", "eee"}));
  EXPECT_TRUE(contains(report, "vocabulary: 2 of the 5 distinct tokens of 4 documents")) << report;
  o.keep_top = 3;  // bbb and ccc tie at 3: the earlier word
  convert(o);
  EXPECT_EQ(read_corpus(path("out.h5"), 0, 4, true).vocab, (Words{"aaa", "bbb", "eee"}));
  o.min_count = 100;
  EXPECT_TRUE(contains(error_of([&] { convert(o); }), "no word is left in the vocabulary (5 distinct tokens"));
  EXPECT_FALSE(std::filesystem::exists(path("out.h5.tmp")));
}

TEST_F(ConvertText, AGivenVocabularyCountsAndDropsOtherWords) {
  const std::string file = write("d.txt", "zeta alpha omega alpha\nomega\n");
  write("vocab.txt", "omega\nalpha\n");
  TextOptions o;
  o.inputs = {file};
  o.vocab = path("vocab.txt");
  const std::string report = convert(o);
  EXPECT_TRUE(contains(report, "(1 tokens of 1 other words dropped)")) << report;
  EXPECT_EQ(documents_of(path("out.h5")), (std::vector<Words>{{"omega", "alpha", "alpha"}, {"omega"}}));
  // The /vocab of a corpus (or model) file serves as well.
  std::filesystem::rename(path("out.h5"), path("first.h5"));
  o.vocab = path("first.h5");
  convert(o);
  EXPECT_EQ(read_corpus(path("out.h5"), 0, 2, true).vocab, (Words{"omega", "alpha"}));
  write("twice.txt", "a\nb\na\n");
  EXPECT_TRUE(contains(error_of([&] { read_word_list(path("twice.txt")); }), "word 2 'a' is listed twice"));
}

TEST_F(ConvertText, SplitsTheDocumentsWritten) {
  const std::string file = write("d.txt", "aaa\nbbb\n\nccc\nddd\neee\n");
  TextOptions o;
  o.inputs = {file};
  convert(o, 2);
  EXPECT_EQ(documents_of(path("out.h5")), (std::vector<Words>{{"aaa"}, {"ccc"}, {"eee"}}));
  EXPECT_EQ(documents_of(path("test.h5")), (std::vector<Words>{{"bbb"}, {"ddd"}}));
  EXPECT_EQ(read_corpus(path("test.h5"), 0, 2, true).vocab, read_corpus(path("out.h5"), 0, 3, true).vocab);
}

TEST_F(ConvertText, BadUtf8IsAnErrorNamingTheByteOrIsReplaced) {
  const std::string file = write("d.txt", "good line\nbad \xC3\x28 line\n");
  TextOptions o;
  o.inputs = {file};
  EXPECT_TRUE(contains(error_of([&] { convert(o); }), file + " line 2, byte 14: invalid UTF-8 (byte 0xC3)"));
  EXPECT_FALSE(std::filesystem::exists(path("out.h5")));
  write_gzip(path("d.txt.gz"), "good line\nbad \xC3\x28 line\n");
  o.inputs = {path("d.txt.gz")};
  EXPECT_TRUE(contains(error_of([&] { convert(o); }), "d.txt.gz line 2, byte 14: invalid UTF-8"));
  write("folder/x.txt", "abc\xFF");
  o.inputs = {path("folder")};
  EXPECT_TRUE(contains(error_of([&] { convert(o); }), "x.txt, byte 3: invalid UTF-8 (byte 0xFF)"));
  o.inputs = {file};
  o.replace_errors = true;
  convert(o);
  EXPECT_EQ(documents_of(path("out.h5")), (std::vector<Words>{{"good", "line"}, {"bad", "line"}}));
}

TEST_F(ConvertText, JsonErrorsNameTheLineAndTheByte) {
  TextOptions o;
  o.field = "text";
  const auto fails = [&](const std::string& text, const std::string& part) {
    o.inputs = {write("d.jsonl", "{\"text\": \"fine\", \"id\": 1}\n" + text + "\n")};
    const std::string message = error_of([&] { convert(o); });
    EXPECT_TRUE(contains(message, o.inputs[0] + " line 2") && contains(message, part)) << message;
  };
  fails(R"({"text": "x",})", "byte 39: not JSON: expected a member name in double quotes");
  fails(R"({"body": "x"})", "the object has no member 'text' (--field)");
  fails(R"({"text": 3})", "member 'text' is a number; expected a string (--field)");
  fails("[]", "byte 26: not JSON: expected a JSON object");
  fails("{\"text\": \"\xFF\"}", "byte 36: invalid UTF-8");
  o.name_field = "id";
  fails(R"({"text": "x", "id": [1]})", "member 'id' is an array; expected a string or a number (--name-field)");
}

TEST_F(ConvertText, MissingInputsAreNamed) {
  TextOptions o;
  o.inputs = {path("nowhere")};
  EXPECT_TRUE(contains(error_of([&] { convert(o); }), path("nowhere") + ": no such file or folder"));
  o.inputs = {write("d.txt", "abc\n")};
  o.stop_words = path("no_stop_words.txt");
  EXPECT_TRUE(contains(error_of([&] { convert(o); }), "no_stop_words.txt: no such file"));
}

}  // namespace
}  // namespace natgrad::io
