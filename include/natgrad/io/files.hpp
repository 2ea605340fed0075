#pragma once
/// @file Files as a job sees them: temporary names unique to the process,
/// whole files written with their errors named, paths compared as files, and
/// an exclusive lock on a folder.

#include <cstdint>
#include <string>
#include <vector>

namespace natgrad::io {

/// The temporary name a file is written under before it is renamed to `path`:
/// `path`.<host>-<pid>.tmp, unique to this process, so that two jobs writing the
/// same path never share one.
std::string temporary_path(const std::string& path);

/// Puts a file that was written whole at `tmp` (its temporary_path) in place:
/// flushed to disk (fsync), renamed to `path`, and the folder synced. On any
/// error `tmp` is removed, `path` is left as it was, and the message names the
/// file and the cause.
/// @throws natgrad::Error
void rename_into_place(const std::string& tmp, const std::string& path);

/// Whether two paths name the same file: the same inode when both exist, else
/// the same absolute, normalised path.
bool same_file(const std::string& a, const std::string& b);

/// An exclusive lock on a folder, held until destruction: flock(2) on
/// FOLDER/.natgrad.lock, which the kernel releases when the process ends however
/// it ends, so a killed job never blocks its resubmission. The lock file holds
/// the holder's host, pid and scheduler job id (SLURM_JOB_ID, PBS_JOBID).
class FolderLock {
 public:
  /// @throws natgrad::Error naming `key` (the option that gave the folder), the
  ///   folder and the holder if another process holds the lock.
  FolderLock(const std::string& folder, const std::string& key);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

/// "host x, pid 123, SLURM_JOB_ID 45": who this process is, for messages and locks.
std::string this_process();

}  // namespace natgrad::io
