#pragma once
/// @file Dense data (a matrix of real numbers, one row per example, with
/// optional labels), read from CSV text, and its HDF5 file.
///
/// File layout (format "natgrad.dense", schema_version 1):
///   /data          float64 [N, D]  row i is example i, finite values
///   /labels        float64 [N]     (only if the data have labels) finite values
///   /row_ids       int64 [N]       0-based index of each row among the source file's data rows
///   /column_names  UTF-8 strings [D] (only if the source had a header line)
///   root attributes: format, schema_version, num_rows (N), num_cols (D), source
///   /truth         (synthetic data only) the true parameters, as the family that drew them writes them

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "natgrad/io/group.hpp"

namespace natgrad::io {

inline constexpr const char* kDenseFormat = "natgrad.dense";
inline constexpr std::int64_t kDenseSchemaVersion = 1;

/// Rows first_row .. first_row + num_rows() − 1 of a dense data set (all of it, or one shard).
struct DenseData {
  std::int64_t first_row = 0;             ///< global index of the first row held
  std::int64_t total_rows = 0;            ///< N of the whole data set
  std::int64_t cols = 0;                  ///< D, values per row (the label not counted)
  std::vector<double> values;             ///< num_rows() × cols, row-major
  std::vector<double> labels;             ///< one per row, or empty if the data have no labels
  std::vector<std::int64_t> row_ids;      ///< source index of each row held
  std::vector<std::string> column_names;  ///< D names, or empty without a header

  std::int64_t num_rows() const { return static_cast<std::int64_t>(row_ids.size()); }
  /// A checksum of the rows held (their global index and the bits of their
  /// values); the checksums of the shards of a data set add up (mod 2^64) to
  /// the checksum of the whole, however it is sharded.
  std::uint64_t checksum() const;
};

/// Sizes of a dense data file, read from its attributes and datasets.
struct DenseInfo {
  std::int64_t num_rows = 0;
  std::int64_t num_cols = 0;
  bool has_labels = false;
  bool has_column_names = false;
};

/// Where the label column is: none (""), "first", "last", or a 1-based column number "N".
struct LabelColumn {
  enum class Kind { kNone, kFirst, kLast, kNumber };
  Kind kind = Kind::kNone;
  std::int64_t number = 0;  ///< 1-based column, for kNumber

  /// Parses "", "first", "last" or an integer N ≥ 1.
  /// @throws natgrad::Error "--label-column 'SPEC': expected first, last or a column number >= 1".
  static LabelColumn parse(const std::string& spec);
};

/// Reads comma-separated values (plain or gzip-compressed): one row per line,
/// fields separated by commas with optional spaces or tabs around them; empty
/// lines are skipped. The first line is a header of column names when its
/// fields are not all numbers. Every other field must be a finite number
/// (std::from_chars), and every row must have as many fields as the first data
/// row. The label column (`label_column`, see LabelColumn) is taken out of the
/// values into the labels, and its name out of the column names.
/// @throws natgrad::Error naming the file, line, column (1-based) and value at
///   fault: "data.csv line 7, column 3: 'abc' is not a number", "... 'nan' is
///   not finite", "data.csv line 9: 4 fields; line 2 has 5", "data.csv: no data
///   rows", a label column beyond the last column.
DenseData read_csv(const std::string& path, const std::string& label_column = "");

/// Splits dense data: row i (0-based) goes to the second part when
/// i % every == every − 1, to the first otherwise; row ids are kept. every ≥ 2.
std::pair<DenseData, DenseData> split_every(const DenseData& data, std::int64_t every);

/// Writes `data` (whole, first_row == 0) to `path` as described above,
/// atomically, with `truth` if given (the true parameters of synthetic data,
/// under /truth, as the family that drew it writes them).
/// @throws natgrad::Error naming the path if it cannot be written.
void write_dense(const std::string& path, const DenseData& data, const std::string& source,
                 const Group* truth = nullptr);

/// Reads and checks the header of a dense data file (format, schema version, shapes).
/// @throws natgrad::Error naming the file and what is wrong with it.
DenseInfo read_dense_info(const std::string& path);

/// Reads rows [begin, end) of a dense data file (0 ≤ begin ≤ end ≤ N), by
/// hyperslab, with their labels, row ids and the column names.
/// @throws natgrad::Error naming the file and the row and column of a
///   non-finite value, or what else is wrong with the file.
DenseData read_dense(const std::string& path, std::int64_t begin, std::int64_t end);

}  // namespace natgrad::io
