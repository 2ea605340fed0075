#include "natgrad/io/hdf5.hpp"

#include <cerrno>
#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <type_traits>

#include <zlib.h>

#include "natgrad/error.hpp"
#include "natgrad/io/files.hpp"
#include "natgrad/memory.hpp"

namespace natgrad::io::h5 {

namespace {

// HDF5 prints its own error stack by default; natgrad reports errors itself.
void silence_hdf5() {
  static const bool silenced = [] {
    // natgrad closes every file it opens; HDF5's own closing at exit would close again a file whose close
    // failed (a full disk), and crash.
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

template <class T>
hid_t native_type() {
  if constexpr (std::is_same_v<T, double>) return H5T_NATIVE_DOUBLE;
  if constexpr (std::is_same_v<T, std::int64_t>) return H5T_NATIVE_INT64;
  if constexpr (std::is_same_v<T, std::int32_t>) return H5T_NATIVE_INT32;
}

template <class T>
H5T_class_t native_class() {
  return std::is_floating_point_v<T> ? H5T_FLOAT : H5T_INTEGER;
}

const char* class_name(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "floating point";
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    default: return "other";
  }
}

Handle string_type() {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

// Bytes of raw data per chunk of a checksummed dataset.
constexpr std::uint64_t kChunkBytes = std::uint64_t{1} << 20;

// A chunk's length along a dimension of `dim` entries, at most `limit`, that
// wastes little in the last chunk (HDF5 stores an edge chunk whole): the
// chunks made equal, and for long rows (limit ≤ 4096) the length in
// [limit / 2, limit] that wastes least, the longest of those.
hsize_t chunk_length(hsize_t dim, hsize_t limit) {
  limit = std::clamp<hsize_t>(limit, 1, dim);
  const hsize_t chunks = (dim + limit - 1) / limit;
  hsize_t best = (dim + chunks - 1) / chunks;
  for (hsize_t r = limit; limit <= 4096 && r >= 1 && 2 * r >= limit; --r) {
    if ((dim + r - 1) / r * r - dim < (dim + best - 1) / best * best - dim) best = r;
  }
  return best;
}

// How natgrad stores a dataset of `dims` and `element` bytes an element so
// that reading it verifies it: chunked, each chunk with a Fletcher-32 checksum
// that HDF5 (and h5py) verify on every read, partial reads included; a scalar
// in the object header (compact), which the file's metadata checksums cover.
// An empty dataset has nothing to check.
Handle checked_layout(const std::vector<hsize_t>& dims, std::size_t element) {
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (dims.empty()) {
    H5Pset_layout(dcpl.get(), H5D_COMPACT);
    return dcpl;
  }
  if (std::find(dims.begin(), dims.end(), hsize_t{0}) != dims.end()) return dcpl;
  // Whole trailing dimensions, and as many leading rows as fit in a chunk.
  std::vector<hsize_t> chunk = dims;
  std::uint64_t row = element;
  for (std::size_t i = 1; i < dims.size(); ++i) row *= dims[i];
  chunk[0] = chunk_length(dims[0], kChunkBytes / std::max<std::uint64_t>(row, 1));
  // A row larger than a chunk: split the next dimensions too (HDF5 limits a chunk to 4 GB).
  for (std::size_t i = 1; i < dims.size() && chunk[0] == 1; ++i) {
    std::uint64_t rest = element;
    for (std::size_t j = i + 1; j < dims.size(); ++j) rest *= dims[j];
    chunk[i] = chunk_length(dims[i], kChunkBytes / std::max<std::uint64_t>(rest, 1));
    if (chunk[i] < dims[i]) break;
  }
  H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
  H5Pset_fletcher32(dcpl.get());
  return dcpl;
}

// A checksum of strings, for variable-length string datasets (whose contents
// live in the file's global heap, which has no checksum of its own): CRC-32 of
// each string's UTF-8 bytes followed by a 0 byte, in order.
std::int64_t strings_crc(std::span<const std::string> values, std::int64_t start = 0) {
  uLong crc = static_cast<uLong>(start);
  const unsigned char zero = 0;
  for (const std::string& v : values) {
    crc = crc32(crc, reinterpret_cast<const Bytef*>(v.data()), static_cast<uInt>(v.size()));
    crc = crc32(crc, &zero, 1);
  }
  return static_cast<std::int64_t>(crc);
}

// The attribute of a string dataset that holds strings_crc() of its values.
constexpr const char* kStringsCrc = "crc32";

// Files natgrad writes use the HDF5 1.8 format objects, whose superblock,
// object headers (with their attributes) and heaps carry checksums that HDF5
// verifies on reading; HDF5 1.8 and later, and h5py, read them.
Handle checked_access() {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_V18);
  return fapl;
}

}  // namespace

Handle::Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) {
  other.id_ = H5I_INVALID_HID;
}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    if (id_ >= 0 && closer_ != nullptr) closer_(id_);
    id_ = other.id_;
    closer_ = other.closer_;
    other.id_ = H5I_INVALID_HID;
  }
  return *this;
}

Handle::~Handle() {
  if (id_ >= 0 && closer_ != nullptr) closer_(id_);
}

herr_t Handle::close() {
  const herr_t status = id_ >= 0 && closer_ != nullptr ? closer_(id_) : 0;
  id_ = H5I_INVALID_HID;
  return status;
}

File File::open_read(const std::string& path) {
  silence_hdf5();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error(path + ": no such file");
  if (std::filesystem::is_directory(path, ec)) throw Error(path + ": is a directory, expected an HDF5 file");
  if (!std::ifstream(path).good()) throw Error(path + ": cannot be read (permission denied?)");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw Error(path + ": not an HDF5 file (or truncated)");
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) throw Error(path + ": cannot open as HDF5 (damaged or truncated file?)");
  return File(path, Handle(id, H5Fclose));
}

bool File::is_hdf5(const std::string& path) {
  silence_hdf5();
  return H5Fis_hdf5(path.c_str()) > 0;
}

File File::create(const std::string& path) { return create_on_disk(path, path); }

File File::create_on_disk(const std::string& at, const std::string& shown) {
  silence_hdf5();
  const Handle fapl = checked_access();
  const hid_t id = H5Fcreate(at.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  if (id < 0) {
    throw Error(shown + ": cannot create file (does the folder exist, and is it writable?)");
  }
  return File(shown, Handle(id, H5Fclose));
}

void File::fail(const std::string& what) const { throw Error(path_ + ": " + what); }

void File::fail_write(const std::string& what) const {
  // HDF5 leaves errno as its failed write(2) set it; cleared before each call that writes.
  fail(what + (errno != 0 ? ": " + std::string(std::strerror(errno)) : " (disk full?)"));
}

void File::flush() {
  errno = 0;
  if (H5Fflush(handle_.get(), H5F_SCOPE_GLOBAL) < 0) fail_write("cannot write");
}

void File::close() {
  flush();
  errno = 0;
  if (handle_.close() < 0) fail_write("cannot write");
}

bool File::exists(const std::string& name) const {
  // Check each prefix: H5Lexists fails when an intermediate group is missing.
  std::size_t pos = 0;
  while ((pos = name.find('/', pos + 1)) != std::string::npos) {
    if (H5Lexists(handle_.get(), name.substr(0, pos).c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return H5Lexists(handle_.get(), name.c_str(), H5P_DEFAULT) > 0;
}

void File::create_group(const std::string& name) {
  Handle group(H5Gcreate2(handle_.get(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (group.get() < 0) fail("cannot create group '" + name + "'");
}

template <class T>
void File::write(const std::string& name, std::span<const T> data, const std::vector<std::uint64_t>& dims) {
  if (std::accumulate(dims.begin(), dims.end(), std::uint64_t{1}, std::multiplies<>()) != data.size()) {
    fail("dataset '" + name + "': " + std::to_string(data.size()) + " values do not fill its shape");
  }
  std::vector<hsize_t> hdims(dims.begin(), dims.end());
  Handle space(H5Screate_simple(static_cast<int>(hdims.size()), hdims.data(), nullptr), H5Sclose);
  const Handle dcpl = checked_layout(hdims, sizeof(T));
  Handle set(H5Dcreate2(handle_.get(), name.c_str(), native_type<T>(), space.get(), H5P_DEFAULT,
                        dcpl.get(), H5P_DEFAULT),
             H5Dclose);
  if (set.get() < 0) fail("cannot create dataset '" + name + "'");
  errno = 0;
  if (!data.empty() && H5Dwrite(set.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0) {
    fail_write("cannot write dataset '" + name + "'");
  }
}

void File::write_rows(const std::string& name, const std::vector<std::uint64_t>& dims,
                      const std::function<void(std::uint64_t, std::uint64_t, std::span<double>)>& fill) {
  const std::uint64_t row = std::accumulate(dims.begin() + (dims.empty() ? 0 : 1), dims.end(), std::uint64_t{1},
                                            std::multiplies<>());
  if (dims.empty() || row * dims[0] == 0) {  // a scalar, or nothing: at once
    std::vector<double> all(dims.empty() ? 1 : 0);
    fill(0, dims.empty() ? 1 : dims[0], all);
    if (dims.empty()) write_scalar(name, all[0]);
    else write<double>(name, all, dims);
    return;
  }
  std::vector<hsize_t> hdims(dims.begin(), dims.end());
  Handle space(H5Screate_simple(static_cast<int>(hdims.size()), hdims.data(), nullptr), H5Sclose);
  const Handle dcpl = checked_layout(hdims, sizeof(double));
  std::vector<hsize_t> chunk(hdims.size());
  H5Pget_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
  Handle set(H5Dcreate2(handle_.get(), name.c_str(), H5T_NATIVE_DOUBLE, space.get(), H5P_DEFAULT, dcpl.get(),
                        H5P_DEFAULT),
             H5Dclose);
  if (set.get() < 0) fail("cannot create dataset '" + name + "'");
  // Blocks of some 8 MB, in huge pages: in 4 KB pages, the first touch of a block cost as much as
  // the array of all the values did in huge pages (on this project's VM).
  constexpr std::uint64_t kBlockBytes = std::uint64_t{8} << 20;
  const std::uint64_t rows = chunk[0] * std::max<std::uint64_t>(1, kBlockBytes / (chunk[0] * row * sizeof(double)));
  std::vector<double> block = huge_vector<double>(std::min<std::uint64_t>(rows, dims[0]) * row);
  for (std::uint64_t first = 0; first < dims[0]; first += rows) {
    const std::uint64_t count = std::min(rows, dims[0] - first);
    const std::span<double> out(block.data(), count * row);
    fill(first, count, out);
    std::vector<hsize_t> start(hdims.size(), 0), extent = hdims;
    start[0] = first;
    extent[0] = count;
    H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, extent.data(), nullptr);
    Handle memory(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr), H5Sclose);
    errno = 0;
    if (H5Dwrite(set.get(), H5T_NATIVE_DOUBLE, memory.get(), space.get(), H5P_DEFAULT, out.data()) < 0) {
      fail_write("cannot write dataset '" + name + "'");
    }
  }
}

template <class T>
void File::write_scalar(const std::string& name, T value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  const Handle dcpl = checked_layout({}, sizeof(T));
  Handle set(H5Dcreate2(handle_.get(), name.c_str(), native_type<T>(), space.get(), H5P_DEFAULT,
                        dcpl.get(), H5P_DEFAULT),
             H5Dclose);
  if (set.get() < 0 || H5Dwrite(set.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &value) < 0) {
    fail("cannot write dataset '" + name + "'");
  }
}

void File::write_strings(const std::string& name, const std::vector<std::string>& values,
                         const std::vector<std::uint64_t>& dims) {
  const hsize_t n = values.size();
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const auto& v : values) pointers.push_back(v.c_str());
  const Handle type = string_type();
  const std::vector<hsize_t> shape = dims.empty() ? std::vector<hsize_t>{n} : std::vector<hsize_t>(dims.begin(), dims.end());
  Handle space(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr), H5Sclose);
  Handle set(H5Dcreate2(handle_.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT),
             H5Dclose);
  if (set.get() < 0) fail("cannot create dataset '" + name + "'");
  errno = 0;
  if (n > 0 && H5Dwrite(set.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) < 0) {
    fail_write("cannot write dataset '" + name + "'");
  }
  set_attr(name, kStringsCrc, strings_crc(values));
}

void File::write_table(const std::string& name, const std::vector<Column>& columns) {
  const std::size_t rows =
      columns.empty() ? 0 : std::visit([](const auto& v) { return v.size(); }, columns.front().values);
  constexpr std::size_t kField = 8;  // int64 and double are both 8 bytes
  const std::size_t row_size = kField * columns.size();
  Handle type(H5Tcreate(H5T_COMPOUND, row_size), H5Tclose);
  std::vector<unsigned char> buffer(rows * row_size);
  for (std::size_t c = 0; c < columns.size(); ++c) {
    std::visit(
        [&](const auto& values) {
          using T = typename std::decay_t<decltype(values)>::value_type;
          if (values.size() != rows) fail("table '" + name + "': columns differ in length");
          H5Tinsert(type.get(), columns[c].name.c_str(), c * kField, native_type<T>());
          for (std::size_t r = 0; r < rows; ++r) {
            std::memcpy(&buffer[r * row_size + c * kField], &values[r], kField);
          }
        },
        columns[c].values);
  }
  const hsize_t n = rows;
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  const Handle dcpl = checked_layout({n}, row_size);
  Handle set(H5Dcreate2(handle_.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, dcpl.get(),
                        H5P_DEFAULT),
             H5Dclose);
  if (set.get() < 0) fail("cannot create dataset '" + name + "'");
  if (rows > 0 && H5Dwrite(set.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()) < 0) {
    fail("cannot write dataset '" + name + "'");
  }
}

void File::create_appendable_of(const std::string& name, hid_t type, std::uint64_t chunk) {
  const hsize_t zero = 0;
  const hsize_t unlimited = H5S_UNLIMITED;
  const hsize_t chunk_dims = chunk;
  Handle space(H5Screate_simple(1, &zero, &unlimited), H5Sclose);
  Handle properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(properties.get(), 1, &chunk_dims);
  // Numbers checksummed as File::write's; strings by their CRC-32 attribute (the heap holds their bytes).
  if (H5Tget_class(type) != H5T_STRING) H5Pset_fletcher32(properties.get());
  Handle set(H5Dcreate2(handle_.get(), name.c_str(), type, space.get(), H5P_DEFAULT, properties.get(), H5P_DEFAULT),
             H5Dclose);
  if (set.get() < 0) fail("cannot create dataset '" + name + "'");
}

template <class T>
void File::create_appendable(const std::string& name, std::uint64_t chunk) {
  create_appendable_of(name, native_type<T>(), chunk);
}

void File::create_appendable_strings(const std::string& name, std::uint64_t chunk) {
  create_appendable_of(name, string_type().get(), chunk);
  set_attr(name, kStringsCrc, strings_crc({}));
}

void File::append_of(const std::string& name, hid_t type, std::uint64_t count, const void* values) {
  if (count == 0) return;
  const Handle set = open_dataset(name);
  hsize_t length = 0;
  {
    const Handle space(H5Dget_space(set.get()), H5Sclose);
    H5Sget_simple_extent_dims(space.get(), &length, nullptr);
  }
  const hsize_t start = length;
  const hsize_t n = count;
  const hsize_t grown = length + n;
  errno = 0;
  if (H5Dset_extent(set.get(), &grown) < 0) fail_write("cannot extend dataset '" + name + "'");
  const Handle space(H5Dget_space(set.get()), H5Sclose);
  H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, &start, nullptr, &n, nullptr);
  const Handle memory(H5Screate_simple(1, &n, nullptr), H5Sclose);
  errno = 0;
  if (H5Dwrite(set.get(), type, memory.get(), space.get(), H5P_DEFAULT, values) < 0) {
    fail_write("cannot write dataset '" + name + "'");
  }
}

template <class T>
void File::append(const std::string& name, std::span<const T> values) {
  append_of(name, native_type<T>(), values.size(), values.data());
}

void File::append_strings(const std::string& name, std::span<const std::string> values) {
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const auto& v : values) pointers.push_back(v.c_str());
  append_of(name, string_type().get(), pointers.size(), pointers.data());
  // The CRC goes on from the strings before (CRC-32 is computed incrementally).
  set_attr(name, kStringsCrc, strings_crc(values, attr_int(name, kStringsCrc)));
}

Handle File::open_dataset(const std::string& name) const {
  if (!exists(name)) fail("dataset '" + name + "' is missing");
  Handle set(H5Dopen2(handle_.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
  if (set.get() < 0) fail("'" + name + "' is not a dataset, or its header fails its checksum (damaged file?)");
  return set;
}

std::vector<std::uint64_t> File::shape(const std::string& name) const {
  const Handle set = open_dataset(name);
  const Handle space(H5Dget_space(set.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return {dims.begin(), dims.end()};
}

template <class T>
Handle File::open_numeric(const std::string& name) const {
  Handle set = open_dataset(name);
  const Handle file_type(H5Dget_type(set.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(file_type.get());
  if (cls != native_class<T>()) {
    fail("dataset '" + name + "' holds " + class_name(cls) + " values; expected " + class_name(native_class<T>()));
  }
  return set;
}

template <class T>
std::vector<T> File::read(const std::string& name, std::uint64_t offset, std::uint64_t count) const {
  const Handle set = open_numeric<T>(name);
  const Handle space(H5Dget_space(set.get()), H5Sclose);
  if (H5Sget_simple_extent_ndims(space.get()) != 1) {
    fail("dataset '" + name + "' has " + std::to_string(H5Sget_simple_extent_ndims(space.get())) +
         " dimensions; expected 1");
  }
  hsize_t length = 0;
  H5Sget_simple_extent_dims(space.get(), &length, nullptr);
  if (offset > length || count > length - offset) {  // offset + count could wrap around
    fail("dataset '" + name + "' has " + std::to_string(length) + " elements; expected at least " + std::to_string(offset) +
         " + " + std::to_string(count));
  }
  std::vector<T> out = huge_vector<T>(count);
  if (count == 0) return out;
  const hsize_t start = offset;
  const hsize_t n = count;
  H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, &start, nullptr, &n, nullptr);
  const Handle memory(H5Screate_simple(1, &n, nullptr), H5Sclose);
  if (H5Dread(set.get(), native_type<T>(), memory.get(), space.get(), H5P_DEFAULT, out.data()) < 0) {
    fail("cannot read dataset '" + name + "': it fails its checksum or the file is truncated (damaged file?)");
  }
  return out;
}

template <class T>
std::vector<T> File::read_rows(const std::string& name, std::uint64_t first_row, std::uint64_t count) const {
  static_assert(std::is_floating_point_v<T>, "read_rows reads floating-point datasets");
  const Handle set = open_numeric<T>(name);
  const Handle space(H5Dget_space(set.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank != 2) fail("dataset '" + name + "' has " + std::to_string(rank) + " dimensions; expected 2");
  hsize_t dims[2] = {0, 0};
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  if (first_row > dims[0] || count > dims[0] - first_row) {
    fail("dataset '" + name + "' has " + std::to_string(dims[0]) + " rows; expected at least " +
         std::to_string(first_row) + " + " + std::to_string(count));
  }
  std::vector<T> out(count * dims[1]);
  if (out.empty()) return out;
  const hsize_t start[2] = {first_row, 0};
  const hsize_t n[2] = {count, dims[1]};
  H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, n, nullptr);
  const Handle memory(H5Screate_simple(2, n, nullptr), H5Sclose);
  if (H5Dread(set.get(), native_type<T>(), memory.get(), space.get(), H5P_DEFAULT, out.data()) < 0) {
    fail("cannot read dataset '" + name + "': it fails its checksum or the file is truncated (damaged file?)");
  }
  return out;
}

template <class T>
std::vector<T> File::read_all(const std::string& name) const {
  const Handle set = open_numeric<T>(name);
  const auto dims = shape(name);
  const std::uint64_t total =
      std::accumulate(dims.begin(), dims.end(), std::uint64_t{1}, std::multiplies<>());
  std::vector<T> out(total);
  if (total > 0 && H5Dread(set.get(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) {
    fail("cannot read dataset '" + name + "': it fails its checksum or the file is truncated (damaged file?)");
  }
  return out;
}

std::vector<std::string> File::columns(const std::string& table) const {
  const Handle set = open_dataset(table);
  const Handle type(H5Dget_type(set.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_COMPOUND) fail("dataset '" + table + "' is not a table");
  std::vector<std::string> names;
  for (int i = 0; i < H5Tget_nmembers(type.get()); ++i) {
    char* name = H5Tget_member_name(type.get(), static_cast<unsigned>(i));
    names.emplace_back(name);
    H5free_memory(name);
  }
  return names;
}

template <class T>
std::vector<T> File::read_column(const std::string& table, const std::string& column) const {
  const auto names = columns(table);
  if (std::find(names.begin(), names.end(), column) == names.end()) {
    fail("table '" + table + "' has no column '" + column + "'");
  }
  const Handle set = open_dataset(table);
  const auto dims = shape(table);
  if (dims.size() != 1) fail("table '" + table + "' is not 1-D");
  const Handle memory(H5Tcreate(H5T_COMPOUND, sizeof(T)), H5Tclose);
  H5Tinsert(memory.get(), column.c_str(), 0, native_type<T>());
  std::vector<T> out(dims[0]);
  if (!out.empty() && H5Dread(set.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) {
    fail("cannot read column '" + column + "' of table '" + table + "': it fails its checksum or the file is truncated (damaged file?)");
  }
  return out;
}

std::vector<std::string> File::read_strings(const std::string& name) const {
  const Handle set = open_dataset(name);
  const Handle file_type(H5Dget_type(set.get()), H5Tclose);
  if (H5Tget_class(file_type.get()) != H5T_STRING || H5Tis_variable_str(file_type.get()) <= 0) {
    fail("dataset '" + name + "' does not hold variable-length strings");
  }
  const auto dims = shape(name);
  if (dims.size() != 1) fail("dataset '" + name + "' is not 1-D");
  std::vector<char*> pointers(dims[0], nullptr);
  const Handle type = string_type();
  if (!pointers.empty() &&
      H5Dread(set.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) < 0) {
    fail("cannot read dataset '" + name + "'");
  }
  std::vector<std::string> out;
  out.reserve(pointers.size());
  for (char* p : pointers) out.emplace_back(p == nullptr ? "" : p);
  if (!pointers.empty()) {
    const Handle space(H5Dget_space(set.get()), H5Sclose);
    H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, pointers.data());
  }
  // Files written before strings carried a checksum have none to verify.
  if (has_attr(name, kStringsCrc) && attr_int(name, kStringsCrc) != strings_crc(out)) {
    fail("dataset '" + name + "' fails its checksum (damaged file?)");
  }
  return out;
}

std::vector<Member> File::members(const std::string& name) const {
  if (name != "/" && !exists(name)) fail("group '" + name + "' is missing");
  H5O_info_t info;
  if (H5Oget_info_by_name(handle_.get(), name.c_str(), &info, H5P_DEFAULT) < 0 || info.type != H5O_TYPE_GROUP) {
    fail("'" + name + "' is not a group");
  }
  struct Found {
    std::vector<Member> members;
    bool odd = false;  ///< a member that is neither a group nor a dataset (a named type, a dangling link)
  } found;
  const auto collect = [](hid_t group, const char* member, const H5L_info_t*, void* out) -> herr_t {
    auto& f = *static_cast<Found*>(out);
    H5O_info_t object;
    if (H5Oget_info_by_name(group, member, &object, H5P_DEFAULT) < 0 ||
        (object.type != H5O_TYPE_GROUP && object.type != H5O_TYPE_DATASET)) {
      f.odd = true;
      return 1;
    }
    f.members.push_back({member, object.type == H5O_TYPE_GROUP});
    return 0;
  };
  if (H5Literate_by_name(handle_.get(), name.c_str(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &found,
                         H5P_DEFAULT) < 0 || found.odd) {
    fail("cannot list the members of '" + name + "'");
  }
  return found.members;
}

namespace {

ValueClass value_class_of(hid_t type) {
  switch (H5Tget_class(type)) {
    case H5T_INTEGER: return ValueClass::kInteger;
    case H5T_FLOAT: return ValueClass::kFloat;
    case H5T_STRING: return ValueClass::kString;
    default: return ValueClass::kOther;
  }
}

}  // namespace

ValueClass File::value_class(const std::string& name) const {
  const Handle set = open_dataset(name);
  const Handle type(H5Dget_type(set.get()), H5Tclose);
  return value_class_of(type.get());
}

ValueClass File::attr_class(const std::string& object, const std::string& attr) const {
  const Handle a = open_attr(object, attr);
  const Handle type(H5Aget_type(a.get()), H5Tclose);
  const Handle space(H5Aget_space(a.get()), H5Sclose);
  // Only scalar attributes are natgrad's.
  if (H5Sget_simple_extent_ndims(space.get()) != 0) return ValueClass::kOther;
  return value_class_of(type.get());
}

Handle File::create_attr(const std::string& object, const std::string& attr, hid_t type) {
  if (H5Aexists_by_name(handle_.get(), object.c_str(), attr.c_str(), H5P_DEFAULT) > 0) {
    H5Adelete_by_name(handle_.get(), object.c_str(), attr.c_str(), H5P_DEFAULT);
  }
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle a(H5Acreate_by_name(handle_.get(), object.c_str(), attr.c_str(), type, space.get(), H5P_DEFAULT,
                             H5P_DEFAULT, H5P_DEFAULT),
           H5Aclose);
  if (a.get() < 0) fail("cannot create attribute '" + attr + "' on '" + object + "'");
  return a;
}

void File::set_attr(const std::string& object, const std::string& attr, std::int64_t value) {
  const Handle a = create_attr(object, attr, H5T_NATIVE_INT64);
  H5Awrite(a.get(), H5T_NATIVE_INT64, &value);
}

void File::set_attr(const std::string& object, const std::string& attr, double value) {
  const Handle a = create_attr(object, attr, H5T_NATIVE_DOUBLE);
  H5Awrite(a.get(), H5T_NATIVE_DOUBLE, &value);
}

void File::set_attr(const std::string& object, const std::string& attr, const std::string& value) {
  const Handle type = string_type();
  const Handle a = create_attr(object, attr, type.get());
  const char* p = value.c_str();
  H5Awrite(a.get(), type.get(), &p);
}

bool File::has_attr(const std::string& object, const std::string& attr) const {
  if (object != "/" && !exists(object)) return false;
  return H5Aexists_by_name(handle_.get(), object.c_str(), attr.c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> File::attr_names(const std::string& object) const {
  if (object != "/" && !exists(object)) fail("'" + object + "' is missing");
  std::vector<std::string> names;
  const auto collect = [](hid_t, const char* name, const H5A_info_t*, void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  };
  if (H5Aiterate_by_name(handle_.get(), object.c_str(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names,
                         H5P_DEFAULT) < 0) {
    fail("cannot read the attributes of '" + object + "'");
  }
  return names;
}

Handle File::open_attr(const std::string& object, const std::string& attr) const {
  if (!has_attr(object, attr)) fail("attribute '" + attr + "' of '" + object + "' is missing");
  Handle a(H5Aopen_by_name(handle_.get(), object.c_str(), attr.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (a.get() < 0) fail("cannot open attribute '" + attr + "' of '" + object + "'");
  return a;
}

template <class T>
T File::attr_number(const std::string& object, const std::string& attr) const {
  const Handle a = open_attr(object, attr);
  const Handle type(H5Aget_type(a.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  // An integer reads as a double; a floating-point value never as an integer.
  if (cls != H5T_INTEGER && (cls != H5T_FLOAT || std::is_integral_v<T>)) {
    fail("attribute '" + attr + "' of '" + object + "' is not " + (std::is_integral_v<T> ? "an integer" : "a number"));
  }
  T value = 0;
  H5Aread(a.get(), native_type<T>(), &value);
  return value;
}

std::int64_t File::attr_int(const std::string& object, const std::string& attr) const {
  return attr_number<std::int64_t>(object, attr);
}

double File::attr_double(const std::string& object, const std::string& attr) const {
  return attr_number<double>(object, attr);
}

std::string File::attr_string(const std::string& object, const std::string& attr) const {
  const Handle a = open_attr(object, attr);
  const Handle file_type(H5Aget_type(a.get()), H5Tclose);
  if (H5Tget_class(file_type.get()) != H5T_STRING) {
    fail("attribute '" + attr + "' of '" + object + "' is not a string");
  }
  if (H5Tis_variable_str(file_type.get()) > 0) {
    const Handle type = string_type();
    char* p = nullptr;
    H5Aread(a.get(), type.get(), &p);
    std::string out = p == nullptr ? "" : p;
    H5free_memory(p);
    return out;
  }
  std::string out(H5Tget_size(file_type.get()), '\0');
  H5Aread(a.get(), file_type.get(), out.data());
  return out.substr(0, out.find('\0'));
}

void write_group(File& file, const Group& group) {
  for (const std::string& name : group.groups()) file.create_group(name);
  for (const Dataset& d : group.datasets()) {
    std::visit(
        [&](const auto& values) {
          using T = typename std::decay_t<decltype(values)>::value_type;
          if constexpr (std::is_same_v<T, std::string>) {
            file.write_strings(d.name, values, d.shape);
          } else if (d.shape.empty()) {
            file.write_scalar<T>(d.name, values.at(0));
          } else {
            file.write<T>(d.name, values, d.shape);
          }
        },
        d.values);
  }
  for (const Attribute& a : group.attributes()) std::visit([&](const auto& v) { file.set_attr(a.object, a.name, v); }, a.value);
}

namespace {

void read_attributes(const File& file, const std::string& object, Group& out) {
  for (const std::string& attr : file.attr_names(object)) {
    switch (file.attr_class(object, attr)) {
      case ValueClass::kInteger: out.set(object, attr, file.attr_int(object, attr)); break;
      case ValueClass::kFloat: out.set(object, attr, file.attr_double(object, attr)); break;
      case ValueClass::kString: out.set(object, attr, file.attr_string(object, attr)); break;
      case ValueClass::kOther:
        throw Error(file.path() + ": attribute '" + attr + "' of '" + object + "' is not a number or a string");
    }
  }
}

void read_members(const File& file, const std::string& group, Group& out) {
  read_attributes(file, group, out);
  for (const Member& m : file.members(group)) {
    const std::string name = group + "/" + m.name;
    if (m.is_group) {
      out.add_group(name);
      read_members(file, name, out);
      continue;
    }
    const auto dims = file.shape(name);
    switch (file.value_class(name)) {
      case ValueClass::kFloat: out.add(name, dims, file.read_all<double>(name)); break;
      case ValueClass::kInteger: out.add(name, dims, file.read_all<std::int64_t>(name)); break;
      case ValueClass::kString: out.add_strings(name, file.read_strings(name)); break;
      case ValueClass::kOther: throw Error(file.path() + ": dataset '" + name + "' is not numbers or strings");
    }
    read_attributes(file, name, out);
  }
}

}  // namespace

Group read_group(const File& file, const std::string& root) {
  Group out(file.path());
  read_members(file, root, out);
  return out;
}

AtomicFile::AtomicFile(std::string path)
    : path_(std::move(path)), tmp_(temporary_path(path_)), file_(File::create_on_disk(tmp_, path_)) {}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  // Emptied first, so that HDF5's last writes at the close find space even on a full disk: a file whose
  // close fails stays open in HDF5, which then crashes at exit closing it again.
  if (file_) ::truncate(tmp_.c_str(), 0);
  file_.reset();  // closed before it is removed
  std::remove(tmp_.c_str());
}

void AtomicFile::commit() {
  file_->close();  // a file whose last writes fail is not renamed into place
  file_.reset();
  rename_into_place(tmp_, path_);
  committed_ = true;
}

void write_file_atomically(const std::string& path, const std::function<void(File&)>& body) {
  // Straight to disk: a file built in memory first (HDF5's core driver) cost a
  // second copy of its bytes, and a page fault for each 4 KB of it.
  AtomicFile file(path);
  body(file.file());
  file.commit();
}

template void File::write<double>(const std::string&, std::span<const double>, const std::vector<std::uint64_t>&);
template void File::write<std::int64_t>(const std::string&, std::span<const std::int64_t>,
                                        const std::vector<std::uint64_t>&);
template void File::write<std::int32_t>(const std::string&, std::span<const std::int32_t>,
                                        const std::vector<std::uint64_t>&);
template void File::create_appendable<std::int64_t>(const std::string&, std::uint64_t);
template void File::create_appendable<std::int32_t>(const std::string&, std::uint64_t);
template void File::append<std::int64_t>(const std::string&, std::span<const std::int64_t>);
template void File::append<std::int32_t>(const std::string&, std::span<const std::int32_t>);
template void File::write_scalar<double>(const std::string&, double);
template void File::write_scalar<std::int64_t>(const std::string&, std::int64_t);
template std::vector<double> File::read<double>(const std::string&, std::uint64_t, std::uint64_t) const;
template std::vector<std::int64_t> File::read<std::int64_t>(const std::string&, std::uint64_t,
                                                            std::uint64_t) const;
template std::vector<std::int32_t> File::read<std::int32_t>(const std::string&, std::uint64_t,
                                                            std::uint64_t) const;
template std::vector<double> File::read_column<double>(const std::string&, const std::string&) const;
template std::vector<std::int64_t> File::read_column<std::int64_t>(const std::string&, const std::string&) const;
template std::vector<double> File::read_rows<double>(const std::string&, std::uint64_t, std::uint64_t) const;
template std::vector<double> File::read_all<double>(const std::string&) const;
template std::vector<std::int64_t> File::read_all<std::int64_t>(const std::string&) const;

}  // namespace natgrad::io::h5
