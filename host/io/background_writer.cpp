#include "host/io/background_writer.hpp"

#include <signal.h>

#include <chrono>

namespace cyto {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

BackgroundWriter::BackgroundWriter() {
  // The stop signals belong to the stepping thread: the writer thread is
  // created with them blocked, so a signal never interrupts a write.
  sigset_t stop_signals, previous;
  sigemptyset(&stop_signals);
  for (const int s : {SIGTERM, SIGINT, SIGUSR1}) sigaddset(&stop_signals, s);
  pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);
  thread_ = std::thread([this] { work(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

BackgroundWriter::~BackgroundWriter() {
  {
    std::unique_lock lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void BackgroundWriter::rethrow_failure() {
  if (failure_) {
    const std::exception_ptr failure = failure_;
    failure_ = nullptr;
    queue_.clear();
    std::rethrow_exception(failure);
  }
}

void BackgroundWriter::submit(std::function<void()> job) {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return queue_.empty() || failure_; });
  wait_seconds_ += seconds_since(start);
  rethrow_failure();
  queue_.push_back(std::move(job));
  changed_.notify_all();
}

void BackgroundWriter::drain() {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return (queue_.empty() && !running_job_) || failure_; });
  wait_seconds_ += seconds_since(start);
  rethrow_failure();
}

double BackgroundWriter::busy_seconds() const {
  std::unique_lock lock(mutex_);
  return busy_seconds_;
}

void BackgroundWriter::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;  // stopping, nothing left
    std::function<void()> job = std::move(queue_.front());
    queue_.pop_front();
    running_job_ = true;
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    std::exception_ptr failure;
    try {
      job();
    } catch (...) {
      failure = std::current_exception();
    }
    job = nullptr;  // frees the data copy before the next one is queued
    lock.lock();
    busy_seconds_ += seconds_since(start);
    running_job_ = false;
    if (failure && !failure_) {
      failure_ = failure;
      queue_.clear();
    }
    changed_.notify_all();
  }
}

}  // namespace cyto
