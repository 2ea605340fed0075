#include "natgrad/io/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "natgrad/error.hpp"

namespace natgrad::io {

namespace {

std::string host_name() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) return "unknown";
  return host;
}

std::string cause() { return std::strerror(errno); }

}  // namespace

std::string this_process() {
  std::string out = "host " + host_name() + ", pid " + std::to_string(::getpid());
  for (const char* name : {"SLURM_JOB_ID", "PBS_JOBID"}) {
    if (const char* id = std::getenv(name); id != nullptr && *id != '\0') out += std::string(", ") + name + " " + id;
  }
  return out;
}

std::string temporary_path(const std::string& path) {
  return path + "." + host_name() + "-" + std::to_string(::getpid()) + ".tmp";
}

void rename_into_place(const std::string& tmp, const std::string& path) {
  const auto fail = [&](const std::string& what) {
    const std::string why = cause();
    ::unlink(tmp.c_str());
    throw Error(path + ": " + what + ": " + why);
  };
  const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open " + tmp);
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    errno = err;
    fail("cannot sync to disk");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot rename the finished file into place");
  // The rename itself reaches the disk with the folder.
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec)) {
    return std::filesystem::equivalent(a, b, ec) && !ec;
  }
  return std::filesystem::weakly_canonical(a, ec) == std::filesystem::weakly_canonical(b, ec);
}

FolderLock::FolderLock(const std::string& folder, const std::string& key) {
  const std::string path = (std::filesystem::path(folder) / ".natgrad.lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(key + " = " + folder + ": cannot open the lock file " + path + ": " + cause());
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char holder[512] = {0};
    const ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) throw Error(key + " = " + folder + ": cannot lock " + path + ": " + std::strerror(err));
    std::string who = n > 0 ? std::string(holder, static_cast<std::size_t>(n)) : "unknown";
    while (!who.empty() && (who.back() == '\n' || who.back() == '\0')) who.pop_back();
    throw Error(key + " = " + folder + ": the folder is in use by another job (" + who +
                "); one job per checkpoint folder: wait for it to end, or give this job another checkpoint.path");
  }
  const std::string me = this_process() + "\n";
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t written = ::pwrite(fd_, me.data(), me.size(), 0);
  }
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

}  // namespace natgrad::io
