#include "common.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "natgrad/error.hpp"
#include "natgrad/io/model_file.hpp"
#include "natgrad/io/text_corpus.hpp"
#include "natgrad/models/registry.hpp"

namespace natgrad::app::detail {

void check_writable(const std::string& key, const std::string& path) {
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    throw Error(key + " = " + path + ": folder '" + folder.string() + "' does not exist");
  }
  const std::string probe = path + ".tmp";
  if (!std::ofstream(probe)) throw Error(key + " = " + path + ": folder '" + folder.string() + "' is not writable");
  std::filesystem::remove(probe, ec);
}

std::string format_double(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

Applied apply_model(const config::InferConfig& config, comm::Communicator& comm, bool scoring) {
  Applied a;
  io::DataInfo info;
  std::string train;
  comm::agree(comm, [&] {
    a.model = models::load_model_file(config.model);
    if (comm.rank() == 0 && !config.out.empty()) check_writable("--out", config.out);
    models::LocalOptions local;
    local.max_iters = static_cast<int>(config.local_max_iters);
    local.tol = config.local_tol;
    local.threads = static_cast<int>(config.threads);
    local.top = config.top;
    a.predictor = a.model.family->make_predictor(a.model.file, local);
    const io::DataKind kind = a.model.family->data_kind();
    info = io::read_info(kind, config.data);
    io::require_columns(kind, config.data, info.columns, a.predictor->columns(), "the model " + config.model);
    a.shard = io::read_shard(kind, config.data, info.items, comm.rank(), comm.size(), comm.rank() == 0);
    if (!scoring || !a.predictor->scores_need_training_data()) return;
    train = config.train.empty() ? a.model.file.train_path : config.train;
    const std::string key = config.train.empty() ? "the training data of " + config.model : "--train";
    std::error_code ec;
    if (!std::filesystem::exists(train, ec)) {
      throw Error(key + " = " + train + ": no such file; " + config.model + "'s held-out score conditions on each " +
                  io::nouns(kind).item + "'s training entries: give the training data with --train");
    }
    const io::DataInfo train_info = io::read_info(kind, train);
    if (train_info.items != info.items) {
      throw Error(config.data + ": " + std::to_string(info.items) + " " + io::nouns(kind).items + ", but " + key +
                  " = " + train + " has " + std::to_string(train_info.items) +
                  "; the held-out data must have the training data's " + io::nouns(kind).items);
    }
    io::require_columns(kind, train, train_info.columns, a.predictor->columns(), "the model " + config.model);
    a.train = io::read_shard(kind, train, train_info.items, comm.rank(), comm.size(), false);
  });
  if (!a.train) return a;
  std::uint64_t checksum = std::visit([](const auto& d) { return d.checksum(); }, *a.train);
  comm.allreduce_sum(std::span(&checksum, 1));
  comm::agree(comm, [&] {
    io::require_split_of(config.data, info, config.train.empty() ? "the model's training data" : "--train", train,
                         checksum);
    a.predictor->use_training_data(std::move(*a.train));
  });
  return a;
}

void write_split(const io::Shard& data, const std::string& out_path, const Split& split, const std::string& source,
                 const io::Group* truth, std::ostream& out) {
  const auto report = [&](const std::string& path, const io::Shard& part, const io::Group* extra) {
    io::write_data(path, part, source, extra);
    out << "wrote " << path << ": " << io::describe(part) << "\n";
  };
  if (split.fraction > 0) {
    const auto* corpus = std::get_if<io::Corpus>(&data);
    if (corpus == nullptr) throw Error("--holdout-fraction splits the entries of a corpus's documents, not dense data");
    const auto [train, heldout] = io::split_entries(*corpus, split.fraction, split.seed, split.min_entries);
    io::Group named = truth != nullptr ? *truth : io::Group();
    named.set("/", "train_file", out_path);
    named.set("/", "train_checksum", io::checksum_text(train.checksum()));
    report(out_path, train, truth);
    report(split.heldout_path, heldout, &named);
    return;
  }
  if (split.every == 0) {
    report(out_path, data, truth);
    return;
  }
  const auto [train, heldout] = io::split_every(data, split.every);
  report(out_path, train, truth);
  report(split.heldout_path, heldout, truth);
}

}  // namespace natgrad::app::detail
