// Dense data: the CSV reader (plain or gzip-compressed, with or without a
// header, the label column first, last or by number), one test per violation,
// each an error naming the file, line, column and value; the split; the dense
// HDF5 file written and read back whole and by row range (a 2-D hyperslab),
// with errors naming the file, row and column. The digits data set's shape.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "natgrad/error.hpp"
#include "natgrad/io/dense.hpp"
#include "natgrad/io/files.hpp"
#include "natgrad/io/hdf5.hpp"
#include "test_data.hpp"
#include "test_files.hpp"

namespace natgrad::io {
namespace {

using Values = std::vector<double>;
using Ids = std::vector<std::int64_t>;
using Names = std::vector<std::string>;

using testing::contains;
using testing::error_of;
using testing::write_gzip;
using testing::write_text;

// A test's own folder.
class Csv : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir(std::string("dense_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    write_text(path, text);
    return path;
  }

  // Checks that read_csv of `text` fails with a message that starts with the
  // file's path and holds every part.
  void expect_error(const std::string& text, const std::vector<std::string>& parts, const std::string& label = "") {
    const std::string path = write("data.csv", text);
    const std::string message = error_of([&] { read_csv(path, label); });
    EXPECT_EQ(message.rfind(path, 0), 0U) << message;
    for (const auto& part : parts) EXPECT_TRUE(contains(message, part)) << "lacks '" << part << "': " << message;
  }

  std::string dir_;
};

constexpr const char* kPlain = "1,2,3\n4, 5 ,6\n\n7,\t8,9\n";

void expect_plain_content(const DenseData& d) {
  EXPECT_EQ(d.first_row, 0);
  EXPECT_EQ(d.total_rows, 3);
  EXPECT_EQ(d.num_rows(), 3);
  EXPECT_EQ(d.cols, 3);
  EXPECT_EQ(d.values, (Values{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_TRUE(d.labels.empty());
  EXPECT_EQ(d.row_ids, (Ids{0, 1, 2}));
  EXPECT_TRUE(d.column_names.empty());
}

TEST_F(Csv, WithoutHeader) { expect_plain_content(read_csv(write("data.csv", kPlain))); }

TEST_F(Csv, GzipCompressed) {
  const std::string path = dir_ + "/data.csv.gz";
  write_gzip(path, kPlain);
  expect_plain_content(read_csv(path));
}

TEST_F(Csv, WithHeader) {
  const DenseData d = read_csv(write("data.csv", "x, \"y\" ,z\n1,2,3\n4,5,6\n"));
  EXPECT_EQ(d.column_names, (Names{"x", "y", "z"}));
  EXPECT_EQ(d.cols, 3);
  EXPECT_EQ(d.values, (Values{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(d.row_ids, (Ids{0, 1}));
}

TEST_F(Csv, HeaderIsTheFirstLineWithAnyFieldNotANumber) {
  const DenseData d = read_csv(write("data.csv", "\n1,height,3\n1,2,3\n"));
  EXPECT_EQ(d.column_names, (Names{"1", "height", "3"}));
  EXPECT_EQ(d.num_rows(), 1);
}

TEST_F(Csv, NumberFormsAndLineEndings) {
  const DenseData d = read_csv(write("data.csv", "\xEF\xBB\xBF-1.5,+2,3e2\r\n.5,1e-400,-0\r\n"));
  EXPECT_TRUE(d.column_names.empty());
  ASSERT_EQ(d.values.size(), 6U);
  EXPECT_EQ(d.values[0], -1.5);
  EXPECT_EQ(d.values[1], 2);
  EXPECT_EQ(d.values[2], 300);
  EXPECT_EQ(d.values[3], 0.5);
  EXPECT_GE(d.values[4], 0);  // an underflow is (nearly) zero, not an error
  EXPECT_LT(d.values[4], 1e-300);
}

TEST_F(Csv, LabelFirst) {
  const DenseData d = read_csv(write("data.csv", "y,a,b\n0,1,2\n1,3,4\n"), "first");
  EXPECT_EQ(d.cols, 2);
  EXPECT_EQ(d.values, (Values{1, 2, 3, 4}));
  EXPECT_EQ(d.labels, (Values{0, 1}));
  EXPECT_EQ(d.column_names, (Names{"a", "b"}));
}

TEST_F(Csv, LabelLast) {
  const DenseData d = read_csv(write("data.csv", "1,2,7\n3,4,8.5\n"), "last");
  EXPECT_EQ(d.cols, 2);
  EXPECT_EQ(d.values, (Values{1, 2, 3, 4}));
  EXPECT_EQ(d.labels, (Values{7, 8.5}));
}

TEST_F(Csv, LabelByNumber) {
  const DenseData d = read_csv(write("data.csv", "a,y,b\n1,9,2\n3,8,4\n"), "2");
  EXPECT_EQ(d.values, (Values{1, 2, 3, 4}));
  EXPECT_EQ(d.labels, (Values{9, 8}));
  EXPECT_EQ(d.column_names, (Names{"a", "b"}));
}

// --- Violations: each names the file, the line, the column and the value.

TEST_F(Csv, NaN) { expect_error("1,2\n3,nan\n", {"data.csv line 2, column 2: 'nan' is not finite"}); }

TEST_F(Csv, Infinity) { expect_error("1,inf\n3,4\n", {"data.csv line 1, column 2: 'inf' is not finite"}); }

TEST_F(Csv, MinusInfinity) { expect_error("1,2\n-inf,4\n", {"data.csv line 2, column 1: '-inf' is not finite"}); }

TEST_F(Csv, BeyondTheLargestDouble) {
  expect_error("1,2\n3,1e400\n", {"data.csv line 2, column 2: '1e400' is not finite"});
}

TEST_F(Csv, NotANumber) { expect_error("1,2,3\n4,abc,6\n", {"data.csv line 2, column 2: 'abc' is not a number"}); }

TEST_F(Csv, NotANumberAfterTheHeader) {
  expect_error("a,b,c\n1,2,3\n4,5,6x\n", {"data.csv line 3, column 3: '6x' is not a number"});
}

TEST_F(Csv, EmptyField) { expect_error("1,2,3\n4,,6\n", {"data.csv line 2, column 2: '' is not a number"}); }

TEST_F(Csv, LongValueIsCutShort) {
  const std::string value(100, 'z');
  expect_error("1\n" + value + "\n", {"data.csv line 2, column 1: '" + std::string(40, 'z') + "...' is not a number"});
}

TEST_F(Csv, RaggedRow) { expect_error("1,2,3\n4,5\n", {"data.csv line 2: 2 fields; line 1 has 3"}); }

TEST_F(Csv, RaggedRowAfterHeaderAndBlankLines) {
  expect_error("a,b,c,d,e\n\n1,2,3,4,5\n1,2,3,4,5\n1,2,3,4\n", {"data.csv line 5: 4 fields; line 3 has 5"});
}

TEST_F(Csv, HeaderOfAnotherWidth) {
  expect_error("a,b\n1,2,3\n", {"data.csv line 2: 3 fields; the header has 2 names"});
}

TEST_F(Csv, EmptyFile) { expect_error("", {"data.csv: no data rows"}); }

TEST_F(Csv, BlankLinesOnly) { expect_error("\n  \n\n", {"data.csv: no data rows"}); }

TEST_F(Csv, HeaderOnly) { expect_error("a,b,c\n", {"data.csv: no data rows"}); }

TEST_F(Csv, LabelColumnOutOfRange) {
  expect_error("1,2,3\n4,5,6\n", {"data.csv: --label-column 4 is out of range; line 1 has 3 columns"}, "4");
}

TEST_F(Csv, LabelColumnLeavesNoData) {
  expect_error("1\n2\n", {"data.csv: --label-column last leaves no data columns"}, "last");
}

TEST_F(Csv, LabelColumnNotAColumn) {
  const std::string path = write("data.csv", kPlain);
  for (const std::string spec : {"middle", "0", "-1", "2x"}) {
    EXPECT_EQ(error_of([&] { read_csv(path, spec); }),
              "--label-column '" + spec + "': expected first, last or a column number >= 1");
  }
}

TEST_F(Csv, MissingFile) {
  const std::string path = dir_ + "/nowhere.csv";
  EXPECT_EQ(error_of([&] { read_csv(path); }), path + ": no such file");
}

TEST_F(Csv, TruncatedGzip) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += std::to_string(i) + "," + std::to_string(i * 7 % 1000) + ",0.25\n";
  const std::string path = dir_ + "/data.csv.gz";
  write_gzip(path, text);
  EXPECT_EQ(read_csv(path).num_rows(), 20000);  // whole, it is valid
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  const std::string message = error_of([&] { read_csv(path); });
  EXPECT_TRUE(contains(message, path + " line ")) << message;
  EXPECT_TRUE(contains(message, "damaged or truncated")) << message;
}

// ---------------------------------------------------------------------------
// The split.

// Row i holds (i, 10 i) with label i % 2.
DenseData counting_rows(int rows) {
  DenseData d;
  d.cols = 2;
  for (int i = 0; i < rows; ++i) {
    d.values.insert(d.values.end(), {double(i), 10.0 * i});
    d.labels.push_back(i % 2);
    d.row_ids.push_back(i);
  }
  d.column_names = {"a", "b"};
  d.total_rows = rows;
  return d;
}

TEST(DenseSplitEvery, SendsEveryThirdRowToTheSecondPart) {
  const auto [first, second] = split_every(counting_rows(7), 3);
  EXPECT_EQ(second.row_ids, (Ids{2, 5}));
  EXPECT_EQ(second.values, (Values{2, 20, 5, 50}));
  EXPECT_EQ(second.labels, (Values{0, 1}));
  EXPECT_EQ(first.row_ids, (Ids{0, 1, 3, 4, 6}));
  EXPECT_EQ(first.values, (Values{0, 0, 1, 10, 3, 30, 4, 40, 6, 60}));
  EXPECT_EQ(first.labels, (Values{0, 1, 1, 0, 0}));
  for (const DenseData* part : {&first, &second}) {
    EXPECT_EQ(part->cols, 2);
    EXPECT_EQ(part->total_rows, part->num_rows());
    EXPECT_EQ(part->column_names, (Names{"a", "b"}));
  }
}

TEST(DenseSplitEvery, WithoutLabels) {
  DenseData d = counting_rows(4);
  d.labels.clear();
  const auto [first, second] = split_every(d, 2);
  EXPECT_TRUE(first.labels.empty());
  EXPECT_TRUE(second.labels.empty());
  EXPECT_EQ(second.row_ids, (Ids{1, 3}));
}

TEST(DenseSplitEvery, RejectsEveryBelowTwo) {
  EXPECT_TRUE(contains(error_of([] { split_every(counting_rows(3), 1); }), "--split-every 1"));
}

// ---------------------------------------------------------------------------
// The HDF5 file.

class DenseFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::temp_dir(std::string("dense_file_") +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  std::string dir_;
};

TEST_F(DenseFile, RoundTripWhole) {
  const DenseData d = counting_rows(9);
  const std::string path = dir_ + "/d.h5";
  write_dense(path, d, "source.csv");
  EXPECT_FALSE(std::filesystem::exists(io::temporary_path(path)));
  const DenseInfo info = read_dense_info(path);
  EXPECT_EQ(info.num_rows, 9);
  EXPECT_EQ(info.num_cols, 2);
  EXPECT_TRUE(info.has_labels);
  EXPECT_TRUE(info.has_column_names);
  const DenseData back = read_dense(path, 0, 9);
  EXPECT_EQ(back.first_row, 0);
  EXPECT_EQ(back.total_rows, 9);
  EXPECT_EQ(back.cols, 2);
  EXPECT_EQ(back.values, d.values);
  EXPECT_EQ(back.labels, d.labels);
  EXPECT_EQ(back.row_ids, d.row_ids);
  EXPECT_EQ(back.column_names, d.column_names);
  const auto file = h5::File::open_read(path);
  EXPECT_EQ(file.attr_string("/", "format"), "natgrad.dense");
  EXPECT_EQ(file.attr_int("/", "schema_version"), 1);
  EXPECT_EQ(file.attr_string("/", "source"), "source.csv");
  EXPECT_EQ(file.shape("/data"), (std::vector<std::uint64_t>{9, 2}));
}

TEST_F(DenseFile, RoundTripByRowRange) {
  const DenseData d = counting_rows(9);
  const std::string path = dir_ + "/d.h5";
  write_dense(path, d, "source.csv");
  const DenseData part = read_dense(path, 3, 6);
  EXPECT_EQ(part.first_row, 3);
  EXPECT_EQ(part.total_rows, 9);
  EXPECT_EQ(part.num_rows(), 3);
  EXPECT_EQ(part.values, (Values{3, 30, 4, 40, 5, 50}));
  EXPECT_EQ(part.labels, (Values{1, 0, 1}));
  EXPECT_EQ(part.row_ids, (Ids{3, 4, 5}));
  EXPECT_EQ(read_dense(path, 9, 9).num_rows(), 0);
  EXPECT_EQ(error_of([&] { read_dense(path, 5, 10); }), path + ": rows [5, 10) requested, the data have 9");
}

TEST_F(DenseFile, WithoutLabelsOrNames) {
  DenseData d = counting_rows(3);
  d.labels.clear();
  d.column_names.clear();
  const std::string path = dir_ + "/d.h5";
  write_dense(path, d, "x");
  const DenseInfo info = read_dense_info(path);
  EXPECT_FALSE(info.has_labels);
  EXPECT_FALSE(info.has_column_names);
  const auto file = h5::File::open_read(path);
  EXPECT_FALSE(file.exists("/labels"));
  EXPECT_FALSE(file.exists("/column_names"));
  const DenseData back = read_dense(path, 1, 3);
  EXPECT_TRUE(back.labels.empty());
  EXPECT_EQ(back.values, (Values{1, 10, 2, 20}));
}

TEST_F(DenseFile, CsvConvertedAndReadBack) {
  const std::string csv = dir_ + "/data.csv";
  write_text(csv, "p,q,label\n1.25,2,0\n3,4.5,1\n");
  const std::string path = dir_ + "/d.h5";
  write_dense(path, read_csv(csv, "last"), csv);
  const DenseData back = read_dense(path, 0, 2);
  EXPECT_EQ(back.values, (Values{1.25, 2, 3, 4.5}));
  EXPECT_EQ(back.labels, (Values{0, 1}));
  EXPECT_EQ(back.column_names, (Names{"p", "q"}));
}

TEST_F(DenseFile, NonFiniteValueNamesTheRowAndColumn) {
  DenseData d = counting_rows(4);
  d.values[2 * 2 + 1] = std::numeric_limits<double>::quiet_NaN();
  const std::string path = dir_ + "/d.h5";
  write_dense(path, d, "x");
  EXPECT_EQ(read_dense(path, 0, 2).num_rows(), 2);  // the shard without it is fine
  EXPECT_EQ(error_of([&] { read_dense(path, 0, 4); }),
            path + ": '/data' row 2, column 1 (0-based) is nan; expected finite values");
}

TEST_F(DenseFile, NonFiniteLabelNamesTheRow) {
  DenseData d = counting_rows(4);
  d.labels[3] = -std::numeric_limits<double>::infinity();
  const std::string path = dir_ + "/d.h5";
  write_dense(path, d, "x");
  EXPECT_EQ(error_of([&] { read_dense(path, 2, 4); }),
            path + ": '/labels' row 3 (0-based) is -inf; expected finite values");
}

TEST_F(DenseFile, OtherFormatsAreRefused) {
  const std::string path = dir_ + "/other.h5";
  h5::write_file_atomically(path, [](h5::File& f) { f.set_attr("/", "format", std::string("natgrad.corpus")); });
  EXPECT_TRUE(contains(error_of([&] { read_dense_info(path); }), path + ": not natgrad dense data"));
  EXPECT_EQ(error_of([&] { read_dense(dir_ + "/none.h5", 0, 0); }), dir_ + "/none.h5: no such file");
}

TEST_F(DenseFile, DataOfTheWrongShapeIsRefused) {
  const std::string path = dir_ + "/flat.h5";
  h5::write_file_atomically(path, [](h5::File& f) {
    const std::vector<double> values{1, 2, 3, 4};
    const std::vector<std::int64_t> ids{0, 1};
    f.write<double>("/data", values, {4});
    f.write<std::int64_t>("/row_ids", ids, {2});
    f.set_attr("/", "format", std::string("natgrad.dense"));
    f.set_attr("/", "schema_version", std::int64_t{1});
    f.set_attr("/", "num_rows", std::int64_t{2});
    f.set_attr("/", "num_cols", std::int64_t{2});
  });
  EXPECT_EQ(error_of([&] { read_dense_info(path); }),
            path + ": dataset '/data' must be 2-D of num_rows × num_cols = 2 × 2 elements");
  const auto file = h5::File::open_read(path);
  EXPECT_EQ(error_of([&] { file.read_rows<double>("/data", 0, 1); }),
            path + ": dataset '/data' has 1 dimensions; expected 2");
}

TEST_F(DenseFile, ReadRowsChecksTheTypeAndTheRange) {
  const std::string path = dir_ + "/m.h5";
  h5::write_file_atomically(path, [](h5::File& f) {
    const std::vector<std::int64_t> ints{1, 2, 3, 4, 5, 6};
    const std::vector<double> reals{1, 2, 3, 4, 5, 6};
    f.write<std::int64_t>("/ints", ints, {3, 2});
    f.write<double>("/reals", reals, {3, 2});
  });
  const auto file = h5::File::open_read(path);
  EXPECT_EQ(file.read_rows<double>("/reals", 1, 2), (Values{3, 4, 5, 6}));
  EXPECT_TRUE(file.read_rows<double>("/reals", 3, 0).empty());
  EXPECT_TRUE(contains(error_of([&] { file.read_rows<double>("/ints", 0, 1); }), "holds integer values"));
  EXPECT_TRUE(contains(error_of([&] { file.read_rows<double>("/reals", 2, 2); }), "has 3 rows"));
  EXPECT_TRUE(contains(error_of([&] { file.read_rows<double>("/reals", 4, 0); }), "has 3 rows"));
}

// ---------------------------------------------------------------------------
// Real data.

// The UCI/scikit-learn handwritten digits: 8 × 8 pixel values 0..16, then the
// digit. The file has no header line (its first line is numbers).
TEST(SharedData, DigitsHas1797RowsOf64PixelsAndLabels0To9) {
  const std::string path = testing::shared_data("digits/digits.csv.gz");
  if (path.empty()) GTEST_SKIP() << "digits/digits.csv.gz not found in the shared data folder";
  const DenseData d = read_csv(path, "last");
  EXPECT_EQ(d.num_rows(), 1797);
  EXPECT_EQ(d.cols, 64);
  EXPECT_TRUE(d.column_names.empty());
  ASSERT_EQ(d.values.size(), 1797U * 64U);
  ASSERT_EQ(d.labels.size(), 1797U);
  const std::set<double> labels(d.labels.begin(), d.labels.end());
  EXPECT_EQ(labels, (std::set<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  for (const double v : d.values) ASSERT_TRUE(v >= 0 && v <= 16 && v == std::floor(v)) << v;
  EXPECT_EQ(d.row_ids.back(), 1796);
}

}  // namespace
}  // namespace natgrad::io
