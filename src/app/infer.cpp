// `natgrad infer`: what a model file says of every item of a data file, each
// rank its shard; rank 0 writes the theta file.

#include "common.hpp"
#include "natgrad/app/commands.hpp"
#include "natgrad/error.hpp"

namespace natgrad::app {

void run_infer(const config::InferConfig& config, comm::Communicator& comm, std::ostream& out) {
  detail::Applied a = detail::apply_model(config, comm, false);
  std::vector<io::ItemTable> tables = a.predictor->infer(a.shard);
  // The gathers below need the same tables on every rank: a predictor that differs must not hang them.
  const auto count = static_cast<std::int64_t>(tables.size());
  if (comm.allreduce_min(count) != -comm.allreduce_min(-count)) {
    throw Error("natgrad infer: the ranks made different numbers of tables of " + config.data +
                " (a bug of the model family's predictor)");
  }
  // Each table's rows of every rank, in rank order: the rows of the whole data set.
  io::ThetaFile theta;
  for (io::ItemTable& mine : tables) {
    io::ItemTable all = mine;
    comm.gather(mine.values, all.values, 0);
    theta.tables.push_back(std::move(all));
  }
  double items = static_cast<double>(io::num_items(a.shard));
  comm.allreduce_sum(std::span(&items, 1));
  const auto n = static_cast<std::int64_t>(items);
  comm::agree(comm, [&] {
    if (comm.rank() != 0) return;
    const io::ModelFile& model = a.model.file;
    theta.model_type = model.type;
    theta.model_path = config.model;
    theta.model_step = model.step;
    theta.model_checksum = model.data.checksum;
    theta.data_path = config.data;
    theta.attributes = a.predictor->theta_attributes(n);
    io::write_theta_file(config.out, theta);
    out << "wrote " << config.out << ": " << a.predictor->inferred(n) << " under " << config.model << " (step "
        << model.step << ")\n";
  });
}

}  // namespace natgrad::app
