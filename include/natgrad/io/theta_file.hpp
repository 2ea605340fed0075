#pragma once
/// @file The theta file: what a fitted model says of each item of a data set
/// (`natgrad infer`), whatever the family: one row per item in each of the
/// family's tables, and the family's root attributes.
///
/// Layout (format "natgrad.theta", schema_version 1), written atomically by rank 0:
///   root attributes  format, schema_version, model_type, model (path),
///                    model_step, model_checksum (the model's training-data
///                    checksum), data (path), and the family's (the numbers of
///                    items and of columns, e.g. num_docs and topics)
///   /<table>         [N, width] or [N], float64, int64 or UTF-8 strings: the family's tables,
///                    row i = item i (e.g. theta, gamma, doc_ids and doc_lengths of a topic model;
///                    a recommender's recommended items and their names)

#include <cstdint>
#include <string>
#include <vector>

#include "natgrad/io/group.hpp"

namespace natgrad::io {

inline constexpr const char* kThetaFormat = "natgrad.theta";
inline constexpr std::int64_t kThetaSchemaVersion = 1;

/// One table of the theta file for some items: row-major rows × width values
/// (width 0: a column, written 1-D).
struct ItemTable {
  std::string name;       ///< dataset name, without the leading '/'
  std::int64_t width = 0;
  bool integer = false;   ///< written as int64 (the values are whole numbers)
  std::vector<double> values;
  /// Not empty: a table of names, written as UTF-8 strings; each value is an
  /// index into `labels` (−1: no name, written ""). The writer takes the
  /// labels of rank 0's table (`natgrad infer` gathers the values only).
  std::vector<std::string> labels{};
};

struct ThetaFile {
  std::string model_type;
  std::string model_path;
  std::int64_t model_step = 0;
  std::uint64_t model_checksum = 0;
  std::string data_path;
  std::vector<ItemTable> tables;  ///< of all items, in item order
  Group attributes;               ///< the family's root attributes
};

/// Writes the theta file atomically (its tables' values moved into the file's content, not copied).
/// @throws natgrad::Error naming the path.
void write_theta_file(const std::string& path, ThetaFile contents);

}  // namespace natgrad::io
