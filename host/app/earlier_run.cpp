#include "host/app/earlier_run.hpp"

#include <signal.h>

#include <cerrno>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "host/core/atomic_file.hpp"
#include "host/core/error.hpp"
#include "host/core/input_file.hpp"
#include "host/io/output_directory.hpp"

namespace cyto {
namespace {

constexpr std::uint64_t kMaxSummaryBytes = 16u << 20;  // a summary is kilobytes; anything larger is not ours

// Whether the recorded process is known to be gone: only a pid on this host can be asked.
bool recorded_process_gone(const nlohmann::json& process) {
  if (!process.is_object() || !process.contains("pid") || !process.contains("host")) return false;
  if (!process["pid"].is_number_integer() || !process["host"].is_string()) return false;
  if (process["host"].get<std::string>() != host_name()) return false;
  const long long pid = process["pid"].get<long long>();
  return pid > 0 && pid <= 0x7fffffff && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace

EarlierRun inspect_earlier_run(const std::string& directory) {
  namespace fs = std::filesystem;
  EarlierRun earlier;
  std::error_code ec;
  const fs::path path = fs::path(directory) / "summary.json";
  if (!fs::exists(path, ec)) {
    earlier.description = fs::exists(directory, ec) ? "holds no run summary" : "does not exist yet";
    return earlier;
  }
  nlohmann::json summary;
  try {
    summary = nlohmann::json::parse(read_input_file(path.string(), "run summary", kMaxSummaryBytes));
  } catch (const std::exception& e) {
    earlier.state = EarlierRun::State::Unknown;
    earlier.description = fmt::format("its summary.json cannot be read ({})", one_line(e.what()));
    return earlier;
  }
  if (summary.is_object() && summary.contains("status") && summary["status"].is_string())
    earlier.status = summary["status"].get<std::string>();
  const nlohmann::json process =
      summary.is_object() && summary.contains("process") ? summary["process"] : nlohmann::json();
  if (process.is_object() && process.contains("pid") && process.contains("host"))
    earlier.process = fmt::format(
        "pid {} on host {}", process["pid"].dump(),
        process["host"].is_string() ? process["host"].get<std::string>() : process["host"].dump());
  if (earlier.status != "running" && earlier.status != "stopping") {
    earlier.state = EarlierRun::State::Ended;
    earlier.description = fmt::format("holds a run that ended (summary.json: status {})",
                                      earlier.status.empty() ? "not recorded" : quote_value(earlier.status));
    return earlier;
  }
  const LockProbe lock = probe_directory_lock(directory);
  const std::string who = earlier.process.empty() ? std::string() : " (" + earlier.process + ")";
  if (lock.state == LockProbe::State::Held) {
    earlier.state = EarlierRun::State::InProgress;
    earlier.description =
        fmt::format("is in use by a run in progress ({}); a run into it now is refused", lock.holder);
  } else if (lock.state == LockProbe::State::Free || recorded_process_gone(process)) {
    earlier.state = EarlierRun::State::Killed;
    earlier.description = fmt::format(
        "holds a run that was killed{}: summary.json still says \"{}\" but no process holds the directory",
        who, earlier.status);
  } else {
    earlier.state = EarlierRun::State::Unknown;
    earlier.description = fmt::format(
        "summary.json says \"{}\"{}, and this file system cannot tell whether that run still holds the "
        "directory",
        earlier.status, who);
  }
  return earlier;
}

}  // namespace cyto
