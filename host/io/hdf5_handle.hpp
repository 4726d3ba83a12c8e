// Owning wrapper for HDF5 identifiers, and checks that turn the HDF5 error
// stack into one RuntimeFailure line. Only for cytostorm_host sources: the
// HDF5 headers are private to that library.
#pragma once

#include <hdf5.h>

#include <string>
#include <utility>

#include <fmt/format.h>

#include "host/core/error.hpp"

namespace cyto::h5 {

// Call before any other HDF5 function of a writer.
inline void prepare_library() {
  // A file whose close failed (a full disk) stays registered in HDF5 1.10 and
  // the library's exit-time cleanup then crashes on it; every file is closed
  // explicitly, so that cleanup is not needed. Effective only before the
  // library's first use, hence done at the first call.
  [[maybe_unused]] static const bool no_exit_cleanup = (H5dont_atexit(), true);
  // The default handler prints the whole stack to stderr; we report ourselves.
  // Per thread in thread-safe builds, so on every call.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

// The most specific message on the error stack, reduced to the OS reason when
// HDF5 quotes one ("... error message = 'No space left on device' ..."); the
// stack is cleared.
inline std::string pop_error_detail() {
  std::string detail;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* entry, void* out) -> herr_t {
        if (entry->desc != nullptr && entry->desc[0] != '\0') {
          *static_cast<std::string*>(out) = entry->desc;
        }
        return 0;
      },
      &detail);
  H5Eclear2(H5E_DEFAULT);
  const std::string marker = "error message = '";
  if (const auto start = detail.find(marker); start != std::string::npos) {
    const auto begin = start + marker.size();
    if (const auto end = detail.find('\'', begin); end != std::string::npos) {
      return detail.substr(begin, end - begin);
    }
  }
  return detail;
}

[[noreturn]] inline void fail(const std::string& operation) {
  const std::string detail = pop_error_detail();
  if (detail.empty()) throw RuntimeFailure(fmt::format("{} failed", operation));
  throw RuntimeFailure(fmt::format("{} failed: {}", operation, detail));
}

inline void check(herr_t status, const std::string& operation) {
  if (status < 0) fail(operation);
}

// Owns the identifier returned by an HDF5 call (RuntimeFailure naming
// `operation` if the call failed) and closes it on destruction. Errors are
// ignored there: an earlier, more telling failure is being reported.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);

  Handle(hid_t id, Closer closer, const std::string& operation) : id_(id), closer_(closer) {
    if (id_ < 0) fail(operation);
  }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle& operator=(Handle&&) = delete;
  ~Handle() {
    if (id_ >= 0) closer_(id_);
  }

  hid_t get() const { return id_; }

  // Closes now and returns the status: closing a file flushes it, so write
  // errors (a full disk) may surface only here.
  herr_t close() { return closer_(std::exchange(id_, H5I_INVALID_HID)); }

 private:
  hid_t id_;
  Closer closer_;
};

}  // namespace cyto::h5
