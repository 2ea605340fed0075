#pragma once
/// @file The kinds of data a model family reads (a corpus in CSR form, dense
/// rows), and the DataSource that gives each rank its shard of them: a family
/// says which kind it reads and never opens a file itself.
///
/// Rank r of P holds items [N·r/P, N·(r+1)/P) of a file of N items (documents
/// or rows), read by HDF5 hyperslab.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/io/corpus.hpp"
#include "natgrad/io/dense.hpp"
#include "natgrad/io/model_file.hpp"

namespace natgrad::io {

enum class DataKind { kCorpus, kDense };

/// How messages, help and summaries name the parts of a kind of data.
struct DataNouns {
  std::string file;          ///< "corpus", "data"
  std::string item;          ///< "document", "row"
  std::string items;         ///< "documents", "rows"
  std::string symbol;        ///< of the number of columns: "V", "D"
  std::string columns;       ///< "words", "columns"
  std::string column_count;  ///< "the vocabulary size V", "the dimension D"
  std::string values;        ///< "tokens", "values"
  std::string content;       ///< "the training corpus", "the training data"
  std::string remedy;        ///< what to do when the columns of two files differ ("; convert both ...")
};
const DataNouns& nouns(DataKind kind);

/// Data of either kind: a corpus's documents or dense data's rows (all of a file, or a shard).
using Shard = std::variant<Corpus, DenseData>;

/// Sizes of a data file: items (D documents or N rows), columns (V or D) and values (tokens or N·D).
struct DataInfo {
  std::int64_t items = 0;
  std::int64_t columns = 0;
  std::int64_t values = 0;
  std::string train_checksum;  ///< held-out data split by entries: the checksum of its training part (else "")
  std::string names_hash;  ///< of the columns' names where the file stores one (a corpus's vocab_hash), else ""
};

/// Reads and checks the header of a data file of `kind`.
/// @throws natgrad::Error naming the file (e.g. one of another kind).
DataInfo read_info(DataKind kind, const std::string& path);

/// Refuses held-out data (`heldout`, of `held` sizes) split by entries from
/// training data of another checksum than `train_checksum`, that of `train`
/// (given as `key`: "data.train", "--train"); data that names none passes.
/// @throws natgrad::Error naming both files
void require_split_of(const std::string& heldout, const DataInfo& held, const std::string& key,
                      const std::string& train, std::uint64_t train_checksum);

/// Refuses a file whose number of columns is not `expected`, the number of
/// `other` ("train.h5", "the model m.h5"). @throws natgrad::Error naming `path`.
void require_columns(DataKind kind, const std::string& path, std::int64_t found, std::int64_t expected,
                     const std::string& other);

/// Refuses data whose columns' names (a corpus's words, dense data's column
/// names) differ from `expected` (the names of `other`, whose hash is
/// `expected_hash` or ""), naming the first that differs. Compares the hashes
/// where both are known and the names otherwise (reading them from `path`);
/// data or `other` without names are not compared. One process.
/// @throws natgrad::Error
void require_same_names(DataKind kind, const std::string& path, const DataInfo& info,
                        const std::vector<std::string>& expected, const std::string& expected_hash,
                        const std::string& other);

/// The shard of rank `rank` of `size` of the data file `path` (of `items`
/// items), with the names of its columns (vocabulary, column names) if
/// `with_names`; a rank may get no items.
Shard read_shard(DataKind kind, const std::string& path, std::int64_t items, int rank, int size, bool with_names);

/// The number of items (documents, rows) of a shard.
std::int64_t num_items(const Shard& shard);

/// Splits whole data: item i goes to the second part when i % every == every − 1.
std::pair<Shard, Shard> split_every(const Shard& data, std::int64_t every);

/// Writes whole data to `path` atomically, with `truth` under /truth if given.
void write_data(const std::string& path, const Shard& data, const std::string& source, const Group* truth);

/// "1000 documents, 60 words, 29880 tokens" / "240 rows, 3 columns": what a file holds.
std::string describe(const Shard& data);

/// How the columns of new data match those of an old model, by name (`natgrad fit --init-model`).
struct ColumnMatch {
  /// Per column of the continued model: the old column it continues, or −1 (a column the old model lacks).
  /// The data's columns come first, then (unless dropped) the old columns the data lack, in their old order.
  std::vector<std::int64_t> old_of_new;
  std::vector<std::string> added;  ///< the names of those old columns the data lack
};

/// Matches the new data's columns to an old model's by name (or, where either
/// has no names, by position, if they are as many), keeping the old columns
/// the data lack unless `drop_unseen`.
/// @throws natgrad::Error if there are no names to match and the counts differ
ColumnMatch match_columns(const std::vector<std::string>& old_names, std::int64_t old_count,
                          const std::vector<std::string>& new_names, std::int64_t new_count, bool drop_unseen);

/// The training (and held-out) data of a fit, each rank holding its shard.
class DataSource {
 public:
  /// Reads this rank's shards of `train` (and of `heldout`, unless ""), both of
  /// `kind`: refuses training data without items or with fewer items than ranks,
  /// and held-out data with other columns; sums the training data's checksum
  /// across ranks. Collective; errors are agreed.
  DataSource(DataKind kind, const std::string& train, const std::string& heldout, comm::Communicator& comm);

  DataKind kind() const { return kind_; }
  /// Sizes and checksum of the whole training data (the same on every rank).
  const DataFingerprint& fingerprint() const { return fingerprint_; }
  /// The names of the training data's columns, on rank 0 (elsewhere, and for data without names: empty).
  const std::vector<std::string>& column_names() const { return names_; }
  /// Gives the data `count` more columns, which no item uses, named `names`
  /// (on rank 0): the columns a model continued with --init-model keeps from
  /// its old data. Call before the shards are handed over.
  /// @throws natgrad::Error for dense data, whose rows would need values there
  void add_columns(const std::vector<std::string>& names, std::int64_t count);
  /// This rank's shard of the training data, handed over once; T is Corpus or DenseData.
  template <class T>
  T take_train() {
    return std::get<T>(std::move(train_));
  }
  /// This rank's shard of the held-out data, if any, handed over once.
  template <class T>
  std::optional<T> take_heldout() {
    if (!heldout_) return std::nullopt;
    return std::get<T>(std::move(*heldout_));
  }

 private:
  DataKind kind_;
  DataFingerprint fingerprint_;
  std::vector<std::string> names_;
  Shard train_;
  std::optional<Shard> heldout_;
};

}  // namespace natgrad::io
