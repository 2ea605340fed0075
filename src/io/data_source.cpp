#include "natgrad/io/data_source.hpp"

#include <unordered_map>

#include "natgrad/error.hpp"
#include "natgrad/io/text_corpus.hpp"

namespace natgrad::io {

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace

const DataNouns& nouns(DataKind kind) {
  static const DataNouns corpus{"corpus", "document", "documents", "V", "words", "the vocabulary size V", "tokens",
                                "the training corpus", "; convert both with the same vocabulary"};
  static const DataNouns dense{"data", "row", "rows", "D", "columns", "the dimension D", "values", "the training data",
                               ""};
  return kind == DataKind::kCorpus ? corpus : dense;
}

DataInfo read_info(DataKind kind, const std::string& path) {
  if (kind == DataKind::kCorpus) {
    const CorpusInfo info = read_corpus_info(path);
    return {info.num_docs, info.vocab_size, info.num_tokens, info.train_checksum, info.vocab_hash};
  }
  const DenseInfo info = read_dense_info(path);
  return {info.num_rows, info.num_cols, info.num_rows * info.num_cols, "", ""};
}

void require_same_names(DataKind kind, const std::string& path, const DataInfo& info,
                        const std::vector<std::string>& expected, const std::string& expected_hash,
                        const std::string& other) {
  if (expected.empty()) return;
  if (!info.names_hash.empty() && !expected_hash.empty() && info.names_hash == expected_hash) return;
  const std::vector<std::string> names =
      kind == DataKind::kCorpus ? read_vocabulary(path) : read_dense(path, 0, 0).column_names;
  require_same_words(names, path, expected, other);
}

void require_split_of(const std::string& heldout, const DataInfo& held, const std::string& key,
                      const std::string& train, std::uint64_t train_checksum) {
  if (!held.train_checksum.empty() && held.train_checksum != checksum_text(train_checksum)) {
    throw Error(heldout + ": held out from training data of checksum " + held.train_checksum + ", but " + key +
                " = " + train + " has checksum " + checksum_text(train_checksum) +
                " (use the two files that one split wrote)");
  }
}

void require_columns(DataKind kind, const std::string& path, std::int64_t found, std::int64_t expected,
                     const std::string& other) {
  if (found == expected) return;
  const DataNouns& n = nouns(kind);
  throw Error(path + ": " + n.symbol + " = " + std::to_string(found) + " " + n.columns + ", but " + other + " has " +
              n.symbol + " = " + std::to_string(expected) + n.remedy);
}

Shard read_shard(DataKind kind, const std::string& path, std::int64_t items, int rank, int size, bool with_names) {
  const auto [begin, end] = comm::shard_of(items, rank, size);
  if (kind == DataKind::kCorpus) return read_corpus(path, begin, end, with_names);
  return read_dense(path, begin, end);
}

std::int64_t num_items(const Shard& shard) {
  return std::visit(Overloaded{[](const Corpus& c) { return c.num_docs(); }, [](const DenseData& d) { return d.num_rows(); }},
                    shard);
}

std::pair<Shard, Shard> split_every(const Shard& data, std::int64_t every) {
  return std::visit([every](const auto& d) -> std::pair<Shard, Shard> {
    auto [a, b] = io::split_every(d, every);
    return {std::move(a), std::move(b)};
  }, data);
}

void write_data(const std::string& path, const Shard& data, const std::string& source, const Group* truth) {
  std::visit(Overloaded{[&](const Corpus& c) { write_corpus(path, c, source, truth); },
                        [&](const DenseData& d) { write_dense(path, d, source, truth); }},
             data);
}

std::string describe(const Shard& data) {
  return std::visit(Overloaded{[](const Corpus& c) {
                                 return std::to_string(c.num_docs()) + " documents, " + std::to_string(c.vocab_size) +
                                        " words, " + std::to_string(c.num_tokens()) + " tokens";
                               },
                               [](const DenseData& d) {
                                 return std::to_string(d.num_rows()) + " rows, " + std::to_string(d.cols) + " columns";
                               }},
                    data);
}

ColumnMatch match_columns(const std::vector<std::string>& old_names, std::int64_t old_count,
                          const std::vector<std::string>& new_names, std::int64_t new_count, bool drop_unseen) {
  ColumnMatch m;
  if (old_names.empty() || new_names.empty()) {
    if (old_count != new_count) {
      throw Error("the model has " + std::to_string(old_count) + " columns and the data " + std::to_string(new_count) +
                  ", without names to match them by");
    }
    for (std::int64_t j = 0; j < new_count; ++j) m.old_of_new.push_back(j);
    return m;
  }
  std::unordered_map<std::string, std::int64_t> old_index;
  for (std::size_t i = 0; i < old_names.size(); ++i) old_index.emplace(old_names[i], static_cast<std::int64_t>(i));
  std::vector<bool> seen(old_names.size(), false);
  for (const std::string& name : new_names) {
    const auto it = old_index.find(name);
    m.old_of_new.push_back(it == old_index.end() ? -1 : it->second);
    if (it != old_index.end()) seen[static_cast<std::size_t>(it->second)] = true;
  }
  for (std::size_t i = 0; i < old_names.size() && !drop_unseen; ++i) {
    if (seen[i]) continue;
    m.old_of_new.push_back(static_cast<std::int64_t>(i));
    m.added.push_back(old_names[i]);
  }
  return m;
}

void DataSource::add_columns(const std::vector<std::string>& names, std::int64_t count) {
  if (count == 0) return;
  if (kind_ != DataKind::kCorpus) {
    throw Error("dense data cannot gain columns (" + std::to_string(count) + " of the old model's are not in " +
                "the data)");
  }
  const auto widen = [&](Shard& shard) {
    Corpus& c = std::get<Corpus>(shard);
    if (c.vocab_size + count > INT32_MAX) throw Error("more than 2^31 - 1 words");
    c.vocab_size = static_cast<std::int32_t>(c.vocab_size + count);
    if (!c.vocab.empty()) c.vocab.insert(c.vocab.end(), names.begin(), names.end());
  };
  widen(train_);
  if (heldout_) widen(*heldout_);
  names_.insert(names_.end(), names.begin(), names.end());
}

DataSource::DataSource(DataKind kind, const std::string& train, const std::string& heldout, comm::Communicator& comm)
    : kind_(kind) {
  const DataNouns& n = nouns(kind);
  const bool root = comm.rank() == 0;
  DataInfo info;
  DataInfo held;
  comm::agree(comm, [&] {
    info = read_info(kind, train);
    if (info.items == 0) {
      throw Error(train + ": the " + (kind == DataKind::kCorpus ? "corpus has" : "data have") + " no " + n.items);
    }
    if (info.values == 0) {
      throw Error(train + ": the " + (kind == DataKind::kCorpus ? "corpus has" : "data have") + " no " + n.values +
                  " (its " + std::to_string(info.items) + " " + n.items + " are empty)");
    }
    if (info.items < comm.size()) {
      throw Error(train + ": " + std::to_string(info.items) + " " + n.items + " for " + std::to_string(comm.size()) +
                  " ranks; every rank needs at least one " + n.item);
    }
    if (!heldout.empty()) {
      held = read_info(kind, heldout);
      require_columns(kind, heldout, held.columns, info.columns, train);
      if (held.items == 0) {
        throw Error(heldout + ": the held-out " + (kind == DataKind::kCorpus ? "corpus has" : "data have") + " no " +
                    n.items + " to score");
      }
      heldout_ = read_shard(kind, heldout, held.items, comm.rank(), comm.size(), false);
    }
    train_ = read_shard(kind, train, info.items, comm.rank(), comm.size(), root);
    if (root) {
      names_ = std::visit(Overloaded{[](const Corpus& c) { return c.vocab; },
                                     [](const DenseData& d) { return d.column_names; }},
                          train_);
      if (!heldout.empty()) require_same_names(kind, heldout, held, names_, info.names_hash, train);
    }
  });
  std::uint64_t checksum = std::visit([](const auto& d) { return d.checksum(); }, train_);
  comm.allreduce_sum(std::span(&checksum, 1));
  fingerprint_ = {info.items, info.columns, info.values, checksum};
  comm::agree(comm, [&] { require_split_of(heldout, held, "data.train", train, checksum); });
}

}  // namespace natgrad::io
