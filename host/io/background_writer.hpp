// One thread that writes files (snapshots, checkpoints) while the time
// stepping goes on: the caller hands over a copy of the data in a job and
// continues. Jobs run in order; at most one waits while another runs, so the
// copies held are bounded. A failed job's error is rethrown to the caller at
// its next submit() or drain(), and no later job runs.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace cyto {

class BackgroundWriter {
 public:
  BackgroundWriter();
  ~BackgroundWriter();  // waits for the queued jobs; their errors are dropped (call drain() to see them)
  BackgroundWriter(const BackgroundWriter&) = delete;
  BackgroundWriter& operator=(const BackgroundWriter&) = delete;

  // Queues `job`, first waiting while another job is already waiting.
  void submit(std::function<void()> job);
  // Waits until every job has run; rethrows the first failure.
  void drain();

  // Wall seconds the caller spent blocked in submit() and drain(): the stall
  // the writing imposed on the stepping.
  double wait_seconds() const { return wait_seconds_; }
  // Wall seconds the thread spent running jobs.
  double busy_seconds() const;

 private:
  void work();
  void rethrow_failure();

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> queue_;
  bool running_job_ = false;
  bool stopping_ = false;
  std::exception_ptr failure_;
  double wait_seconds_ = 0;
  double busy_seconds_ = 0;
  std::thread thread_;
};

}  // namespace cyto
