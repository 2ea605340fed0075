#pragma once
/// @file The bodies of natgrad's commands. They take already-parsed parameters
/// so that tests call them directly; main() only parses and dispatches.

#include <Eigen/Core>
#include <ostream>
#include <string>
#include <vector>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/config/config.hpp"
#include "natgrad/io/model_file.hpp"

namespace natgrad::app {

/// What a fit leaves besides its model file.
struct FitResult {
  Eigen::VectorXd lambda;                 ///< final λ (flat, the model's layout)
  std::vector<io::HistoryRow> history;
};

/// `natgrad fit`: reads this rank's shards, runs SVI, and has rank 0 write the
/// model file. Collective; every error reaches every rank as AgreedError.
/// @param out where rank 0 prints progress and the summary
FitResult run_fit(const config::FitConfig& config, comm::Communicator& comm, std::ostream& out);

/// `natgrad convert`: reads a text corpus and writes the HDF5 corpus (or the
/// train / held-out pair). Runs in one process.
void run_convert(const config::ConvertConfig& config, std::ostream& out);

/// Parses `args` (without the program name) and runs the command they name.
/// Collective; returns the exit status.
int dispatch(const std::vector<std::string>& args, comm::Communicator& comm, std::ostream& out);

}  // namespace natgrad::app
