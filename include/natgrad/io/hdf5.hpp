#pragma once
/// @file RAII wrappers over the HDF5 C API, with errors that name the file and
/// the object at fault. Only code under src/io and its tests include this.

#include <hdf5.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "natgrad/io/group.hpp"

namespace natgrad::io::h5 {

/// Owns an HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(Handle&& other) noexcept;
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle();
  hid_t get() const { return id_; }
  /// Closes the identifier now; its closer's status (negative: it failed).
  herr_t close();

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

/// One named column of a table (a 1-D compound dataset, one row per entry).
struct Column {
  std::string name;
  std::variant<std::vector<std::int64_t>, std::vector<double>> values;
};

/// What a dataset or attribute holds.
enum class ValueClass { kInteger, kFloat, kString, kOther };

/// A member of a group: its name (not the path) and whether it is a group (else a dataset).
struct Member {
  std::string name;
  bool is_group = false;
};

/// An open HDF5 file. Object names are absolute paths such as "/model/lambda".
class File {
 public:
  /// Opens an existing file read-only.
  /// @throws natgrad::Error naming the path if it is missing, unreadable or not HDF5.
  static File open_read(const std::string& path);
  /// Whether `path` is a readable HDF5 file (by its signature).
  static bool is_hdf5(const std::string& path);
  /// Creates (truncates) a file for writing, on disk.
  /// @throws natgrad::Error naming the path if it cannot be created.
  static File create(const std::string& path);
  const std::string& path() const { return path_; }
  /// Flushes buffers to the operating system.
  void flush();
  /// Flushes and closes the file.
  /// @throws natgrad::Error naming the path and the cause if what is left cannot be written.
  void close();

  bool exists(const std::string& name) const;
  void create_group(const std::string& name);

  /// Writes a dataset of `dims` (row-major) from `data`; product(dims) == data.size().
  /// Stored in chunks of about 1 MB with a Fletcher-32 checksum each, which every
  /// read verifies (HDF5 and h5py alike); a string dataset carries a CRC-32 of
  /// its strings (attribute crc32), which read_strings verifies.
  template <class T>
  void write(const std::string& name, std::span<const T> data, const std::vector<std::uint64_t>& dims);
  /// Writes a float64 dataset of `dims` as write() does, a block of its leading rows at a time (whole
  /// chunks, some 8 MB): fill(first, count, out) puts rows [first, first + count) in `out`, row-major.
  /// For values made as they are written, without an array of all of them.
  void write_rows(const std::string& name, const std::vector<std::uint64_t>& dims,
                  const std::function<void(std::uint64_t first, std::uint64_t count, std::span<double> out)>& fill);
  /// Writes a scalar dataset.
  template <class T>
  void write_scalar(const std::string& name, T value);
  /// Writes a dataset of variable-length UTF-8 strings: 1-D, or of `dims` (row-major,
  /// product(dims) == values.size()).
  void write_strings(const std::string& name, const std::vector<std::string>& values,
                     const std::vector<std::uint64_t>& dims = {});
  /// Writes a table as a 1-D compound dataset; all columns have the same length.
  void write_table(const std::string& name, const std::vector<Column>& columns);
  /// Creates an empty 1-D dataset of T that append() extends, stored in chunks of `chunk` elements
  /// (for data written piece by piece, whose size is not known in advance), each with a
  /// Fletcher-32 checksum as File::write's.
  template <class T>
  void create_appendable(const std::string& name, std::uint64_t chunk);
  /// The same for variable-length UTF-8 strings, whose CRC-32 attribute (as write_strings')
  /// append_strings keeps up to date.
  void create_appendable_strings(const std::string& name, std::uint64_t chunk);
  /// Appends `values` at the end of a dataset made by create_appendable (of T, or of strings).
  template <class T>
  void append(const std::string& name, std::span<const T> values);
  void append_strings(const std::string& name, std::span<const std::string> values);

  /// Shape of a dataset. @throws natgrad::Error if it does not exist.
  std::vector<std::uint64_t> shape(const std::string& name) const;
  /// Reads `count` elements from `offset` of a 1-D numeric dataset, converting
  /// to T. @throws natgrad::Error if the dataset is missing, not 1-D, shorter
  /// than offset + count, or not of T's class (integer or floating point).
  template <class T>
  std::vector<T> read(const std::string& name, std::uint64_t offset, std::uint64_t count) const;
  /// Reads rows [first_row, first_row + count) of a 2-D floating-point dataset
  /// of shape [R, C], as count × C values, row-major, converting to T.
  /// @throws natgrad::Error if the dataset is missing, not 2-D, not floating
  ///   point, or has fewer than first_row + count rows.
  template <class T>
  std::vector<T> read_rows(const std::string& name, std::uint64_t first_row, std::uint64_t count) const;
  /// Reads a whole numeric dataset of any rank, flattened row-major.
  template <class T>
  std::vector<T> read_all(const std::string& name) const;
  /// Reads one column of a table written by write_table.
  /// @throws natgrad::Error if the table or the column is missing.
  template <class T>
  std::vector<T> read_column(const std::string& table, const std::string& column) const;
  /// Names of a table's columns, in order.
  std::vector<std::string> columns(const std::string& table) const;
  /// Reads a 1-D dataset of strings.
  std::vector<std::string> read_strings(const std::string& name) const;

  /// The members of group `name`, in increasing name order. @throws natgrad::Error if it is not a group.
  std::vector<Member> members(const std::string& name) const;
  /// What dataset `name` holds.
  ValueClass value_class(const std::string& name) const;
  /// What attribute `attr` of `object` holds.
  ValueClass attr_class(const std::string& object, const std::string& attr) const;

  /// Attributes on the object `object` ("/" for the root).
  void set_attr(const std::string& object, const std::string& attr, std::int64_t value);
  void set_attr(const std::string& object, const std::string& attr, double value);
  void set_attr(const std::string& object, const std::string& attr, const std::string& value);
  bool has_attr(const std::string& object, const std::string& attr) const;
  /// Names of the attributes of `object`.
  std::vector<std::string> attr_names(const std::string& object) const;
  std::int64_t attr_int(const std::string& object, const std::string& attr) const;
  double attr_double(const std::string& object, const std::string& attr) const;
  std::string attr_string(const std::string& object, const std::string& attr) const;

 private:
  friend class AtomicFile;
  File(std::string path, Handle handle) : path_(std::move(path)), handle_(std::move(handle)) {}
  /// Creates the file `at` on disk, named `shown` in messages.
  static File create_on_disk(const std::string& at, const std::string& shown);
  [[noreturn]] void fail(const std::string& what) const;
  /// fail() for a write to disk: names errno's cause where the write set it.
  [[noreturn]] void fail_write(const std::string& what) const;
  Handle open_dataset(const std::string& name) const;
  void create_appendable_of(const std::string& name, hid_t type, std::uint64_t chunk);
  void append_of(const std::string& name, hid_t type, std::uint64_t count, const void* values);
  /// Opens a dataset whose values are of T's class (integer or floating point).
  template <class T>
  Handle open_numeric(const std::string& name) const;
  template <class T>
  T attr_number(const std::string& object, const std::string& attr) const;
  Handle open_attr(const std::string& object, const std::string& attr) const;
  Handle create_attr(const std::string& object, const std::string& attr, hid_t type);

  std::string path_;
  Handle handle_;
};

/// Writes the groups, datasets and attributes of `group` (paths absolute).
void write_group(File& file, const Group& group);

/// Reads everything under the group `root` of `file` ("/model"): its datasets
/// (float64, int64 or strings), those of its subgroups, and the attributes of
/// all of them and of `root` itself, into a Group named after the file.
/// @throws natgrad::Error naming the file and the object it cannot read.
Group read_group(const File& file, const std::string& root);

/// A file written on disk piece by piece (every file natgrad writes: a corpus
/// converted from text as it streams, the others through write_file_atomically)
/// under its temporary_path(path), and put in place by commit(): closed, synced
/// to disk and renamed over `path` (io::rename_into_place), so a reader never
/// sees it half-written. Destroyed without commit() (an error on the way), it
/// removes the temporary file and leaves `path` as it was. Its datasets are
/// checksummed as any (File::write, File::create_appendable).
class AtomicFile {
 public:
  /// @throws natgrad::Error naming the path if the temporary file cannot be created.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  /// The open temporary file, until commit().
  File& file() { return *file_; }
  /// Flushes, closes, syncs and renames the file into place.
  /// @throws natgrad::Error naming the path and the cause if it cannot be written.
  void commit();

 private:
  std::string path_;
  std::string tmp_;
  std::optional<File> file_;
  bool committed_ = false;
};

/// Creates `path` atomically: `body` writes the file (an AtomicFile: on disk
/// under a temporary name unique to this process, synced and renamed over
/// `path`); on any error no temporary file is left and `path` is as it was.
/// Datasets are written so that reading them verifies them (see File::write),
/// and the file's metadata is checksummed.
/// @throws natgrad::Error naming the path and the cause if it cannot be written.
void write_file_atomically(const std::string& path, const std::function<void(File&)>& body);

}  // namespace natgrad::io::h5
