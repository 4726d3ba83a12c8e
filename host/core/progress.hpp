// Progress lines: step, simulated time, steps/s, voxel-updates/s, ETA.
// On a terminal the line is redrawn in place; otherwise (batch logs) each
// report is a plain line.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace cyto {

class ProgressReporter {
 public:
  // total_steps 0: not known ahead (adaptive steps); the ETA then comes from
  // the simulated time covered since first_time_s.
  ProgressReporter(std::FILE* out, double interval_s, std::int64_t total_steps, double end_time_s,
                   std::int64_t voxels_per_step, bool enabled, std::int64_t first_step = 0,
                   double first_time_s = 0);
  // Called after each step; prints when the interval has passed.
  void update(std::int64_t step, double time_s);
  // Prints the final line (always, when enabled).
  void finish(std::int64_t step, double time_s);

 private:
  void print(std::int64_t step, double time_s, bool final_line);

  using Clock = std::chrono::steady_clock;
  std::FILE* out_;
  double interval_s_;
  std::int64_t total_steps_;
  double end_time_s_;
  double first_time_s_ = 0;
  std::int64_t voxels_;
  bool enabled_;
  std::int64_t first_step_;  // the step this process started from (a restart's)
  bool terminal_;
  Clock::time_point start_, last_;
};

// "1:02:03", "4:05" or "12.3 s".
std::string format_duration(double seconds);
// "12.5 min", "3 h" etc., the unit chosen for readability.
std::string format_sim_time(double seconds);

}  // namespace cyto
