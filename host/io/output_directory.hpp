// A run's output directory as a whole: the lock by which a run owns it, the
// outputs of an earlier run moved aside (never deleted), the temporaries of
// killed writers cleaned, and the fingerprints (size, CRC-32) by which a
// restart knows the outputs it continues are the ones its checkpoint saw.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace cyto {

// The lock file of an output directory.
inline constexpr const char* kLockFileName = ".cytostorm.lock";

// An advisory lock (an open-file-description fcntl lock, which NFS forwards to
// its lock manager) on <directory>/.cytostorm.lock, held until destroyed
// (then the file is removed); the file records the holder's pid, host and
// start time for the message a second run gets. The kernel drops the lock
// when its process dies, so the lock file of a killed run is never in the
// way (it stays, and the next run takes it and overwrites its record). A lock held from another host of a
// shared file system is refused like a local one; if that host died, the file server frees it when the
// client's lease runs out (NFSv4: about 90 s). On a file system without locks the run goes on with a warning
// on `log`.
class DirectoryLock {
 public:
  // Takes the lock; InputError (exit 2) at the directory, naming the holder's
  // pid and host, if another run holds it.
  DirectoryLock(const std::string& directory, std::FILE* log);
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  ~DirectoryLock();

  bool held() const { return fd_ >= 0; }

 private:
  std::string path_;
  int fd_ = -1;
};

// Whether a run holds the lock of `directory` now, asked without taking it:
// Held (with the holder's record), Free (no lock file, or nobody holds it),
// or Unknown (the file system does not answer lock queries).
struct LockProbe {
  enum class State { Free, Held, Unknown } state = State::Free;
  std::string holder;  // "pid 12 on host n1 since ..." when Held
};
LockProbe probe_directory_lock(const std::string& directory);

// Removes the temporaries (`<name>.tmp.<pid>@<host>`) that killed writers of
// cytostorm's files left in `directory`: only those whose process is gone
// (TemporaryOwner::Dead). Those of live processes and of other hosts stay;
// the latter are counted in `other_hosts` (if given). Returns how many were removed.
int remove_dead_temporaries(const std::string& directory, int* other_hosts = nullptr);

// The outputs of an earlier run moved aside by a run from t = 0.
struct MovedAside {
  std::string folder;  // "<directory>/previous.<n>", empty if nothing was moved
  int files = 0;
};

// Moves the files cytostorm writes (summary.json, time series, snapshots,
// geometry.h5, fields.xmf, diagnostics, superseded checkpoints) of an earlier
// run in `directory` into a new folder previous.<n> there (n one more than
// the highest existing: an older backup is never overwritten). Files not
// cytostorm's stay. RuntimeFailure if a file cannot be moved.
MovedAside move_aside_previous_outputs(const std::string& directory);

// A file as a restart verifies it: its size, and (when `checksum`) a CRC-32
// of its bytes. size -1: the file did not exist.
struct OutputFingerprint {
  std::string name;  // relative to the output directory
  std::int64_t size = -1;
  std::int64_t crc32 = -1;  // -1: not computed
};
OutputFingerprint fingerprint_output(const std::string& directory, const std::string& name, bool checksum);

// Fingerprints as one text ("name size crc32" per line) and back: what rank
// 0 hands the other ranks, whose collective checkpoint writes need the same.
std::string fingerprints_to_text(const std::vector<OutputFingerprint>& prints);
std::vector<OutputFingerprint> fingerprints_from_text(const std::string& text);

// Compares recorded fingerprints with the files in `directory` now: "" if
// every recorded file that exists has the recorded size and (where
// recorded) checksum, else what differs (the first file, and how many).
// A recorded file that is missing now is not a difference (a restart
// reports missing snapshots itself).
std::string compare_fingerprints(const std::string& directory,
                                 const std::vector<OutputFingerprint>& recorded);

}  // namespace cyto
