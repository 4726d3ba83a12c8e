#include "host/app/stop_signals.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <memory>
#include <thread>
#include <vector>

namespace cyto {
namespace {

volatile std::sig_atomic_t g_received = 0;
struct sigaction g_previous[3];
constexpr int kSignals[3] = {SIGTERM, SIGINT, SIGUSR1};

// A file to put in place when the first stop signal arrives, one text per signal.
struct FileOnSignal {
  std::string path, temporary;
  std::string texts[3];
};

// Armings are kept until the process ends: a handler may still read one
// after it was replaced.
std::vector<std::unique_ptr<FileOnSignal>> g_armings;
std::atomic<const FileOnSignal*> g_armed{nullptr};
enum State : int { kIdle, kArmed, kWriting };
std::atomic<int> g_state{kIdle};

int index_of(int signal) {
  for (int i = 0; i < 3; ++i)
    if (kSignals[i] == signal) return i;
  return 0;
}

// Only async-signal-safe calls: open, write, fsync, close, rename.
void write_armed_file(int signal) {
  int expected = kArmed;
  if (!g_state.compare_exchange_strong(expected, kWriting)) return;
  const FileOnSignal* file = g_armed.load();
  const int saved_errno = errno;
  const std::string& text = file->texts[index_of(signal)];
  const int fd = ::open(file->temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    std::size_t done = 0;
    bool complete = true;
    while (done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        complete = false;
        break;
      }
      done += std::size_t(n);
    }
    complete = complete && ::fsync(fd) == 0;
    ::close(fd);
    if (complete)
      ::rename(file->temporary.c_str(), file->path.c_str());
    else
      ::unlink(file->temporary.c_str());
  }
  errno = saved_errno;
  g_state.store(kIdle);  // once: a later signal writes nothing
}

extern "C" void record_stop_signal(int signal) {
  if (g_received == 0) {
    g_received = signal;
    write_armed_file(signal);
  }
  if (signal == SIGINT) {
    // The next Ctrl-C is not asked politely.
    struct sigaction fallback {};
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(SIGINT, &fallback, nullptr);
  }
}

}  // namespace

StopSignals::StopSignals() {
  g_received = 0;
  disarm();
  struct sigaction action {};
  action.sa_handler = record_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reads and writes in progress go on
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &action, &g_previous[i]);
}

StopSignals::~StopSignals() {
  disarm();
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &g_previous[i], nullptr);
}

int StopSignals::received() { return g_received; }

const char* StopSignals::name(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGUSR1:
      return "SIGUSR1";
    default:
      return "a signal";
  }
}

void StopSignals::write_on_signal(const std::string& path,
                                  const std::function<std::string(const char*)>& content) {
  disarm();
  auto file = std::make_unique<FileOnSignal>();
  file->path = path;
  file->temporary = path + ".tmp." + std::to_string(::getpid());
  for (int i = 0; i < 3; ++i) file->texts[i] = content(name(kSignals[i]));
  g_armed.store(file.get());
  g_armings.push_back(std::move(file));
  g_state.store(kArmed);
  // A signal that arrived before the arming: its file now.
  if (const int signal = received()) write_armed_file(signal);
}

void StopSignals::disarm() {
  int expected = kArmed;
  if (g_state.compare_exchange_strong(expected, kIdle)) return;
  // A handler on another thread is writing: let it finish before the caller's own write.
  while (g_state.load() == kWriting) std::this_thread::yield();
}

}  // namespace cyto
