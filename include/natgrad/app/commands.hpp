#pragma once
/// @file The bodies of natgrad's commands. They take already-parsed parameters
/// so that tests call them directly; main() only parses and dispatches.

#include <Eigen/Core>
#include <csignal>
#include <ostream>
#include <string>
#include <vector>

#include "natgrad/comm/communicator.hpp"
#include "natgrad/config/config.hpp"
#include "natgrad/io/model_file.hpp"
#include "natgrad/models/family.hpp"

namespace natgrad::app {

/// Exit status of a fit that was asked to stop (SIGTERM, SIGUSR1) and wrote a
/// checkpoint to continue from (EX_TEMPFAIL: "try again later").
inline constexpr int kExitPreempted = 75;

/// What a fit leaves besides its model file.
struct FitResult {
  Eigen::VectorXd lambda;                 ///< final λ (flat, the model's layout)
  std::vector<io::HistoryRow> history;
  bool finished = true;                   ///< false if stopped early by `stop`
};

/// `natgrad fit`: reads this rank's shards, continues from a checkpoint if
/// asked (config.restart), runs SVI with periodic checkpoints, and has rank 0
/// write the model file. Collective; every error reaches every rank as AgreedError.
/// @param out  where rank 0 prints progress and the summary
/// @param stop set non-zero (by a signal handler) to finish the current step,
///             checkpoint and return with finished = false
FitResult run_fit(const config::FitConfig& config, comm::Communicator& comm, std::ostream& out,
                  const volatile std::sig_atomic_t* stop = nullptr);

/// `natgrad convert`: reads a text corpus or CSV data and writes the HDF5 data
/// file (or the train / held-out pair). Runs in one process.
void run_convert(const config::ConvertConfig& config, std::ostream& out);

/// `natgrad synth TYPE`: draws data from the family's generative model and
/// writes it (or the train / held-out pair) with the truth. Runs in one process.
void run_synth(const models::Family& family, const config::SynthConfig& config, std::ostream& out);

/// `natgrad infer`: what a fitted model says of every item of a data file
/// (its family's local factors), each rank its shard; rank 0 writes the theta
/// file. Collective.
void run_infer(const config::InferConfig& config, comm::Communicator& comm, std::ostream& out);

/// `natgrad evaluate`: the held-out score of a model file on a data file (its
/// family's held-out metric), each rank scoring its shard; rank 0 prints it.
/// Collective. @return the metric
double run_evaluate(const config::InferConfig& config, comm::Communicator& comm, std::ostream& out);

/// Parses `args` (without the program name) and runs the command they name.
/// Collective; returns the exit status.
int dispatch(const std::vector<std::string>& args, comm::Communicator& comm, std::ostream& out,
             const volatile std::sig_atomic_t* stop = nullptr);

}  // namespace natgrad::app
