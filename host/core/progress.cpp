#include "host/core/progress.hpp"

#include <cmath>

#include <fmt/format.h>
#include <unistd.h>

namespace cyto {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds)) return "?";
  if (seconds < 60) return fmt::format("{:.1f} s", seconds);
  const auto total = std::int64_t(std::llround(seconds));
  const std::int64_t h = total / 3600, m = (total / 60) % 60, s = total % 60;
  if (h > 0) return fmt::format("{}:{:02}:{:02}", h, m, s);
  return fmt::format("{}:{:02}", m, s);
}

std::string format_sim_time(double seconds) {
  if (seconds >= 2 * 86400) return fmt::format("{:.4g} d", seconds / 86400);
  if (seconds >= 2 * 3600) return fmt::format("{:.4g} h", seconds / 3600);
  if (seconds >= 120) return fmt::format("{:.4g} min", seconds / 60);
  return fmt::format("{:.4g} s", seconds);
}

ProgressReporter::ProgressReporter(std::FILE* out, double interval_s, std::int64_t total_steps,
                                   double end_time_s, std::int64_t voxels_per_step, bool enabled,
                                   std::int64_t first_step, double first_time_s)
    : out_(out),
      interval_s_(interval_s),
      total_steps_(total_steps),
      end_time_s_(end_time_s),
      first_time_s_(first_time_s),
      voxels_(voxels_per_step),
      enabled_(enabled),
      first_step_(first_step),
      terminal_(isatty(fileno(out)) != 0),
      start_(Clock::now()),
      last_(start_) {}

void ProgressReporter::update(std::int64_t step, double time_s) {
  if (!enabled_) return;
  const Clock::time_point now = Clock::now();
  if (std::chrono::duration<double>(now - last_).count() < interval_s_) return;
  last_ = now;
  print(step, time_s, false);
}

void ProgressReporter::finish(std::int64_t step, double time_s) {
  if (enabled_) print(step, time_s, true);
}

void ProgressReporter::print(std::int64_t step, double time_s, bool final_line) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  const double steps_per_s = elapsed > 0 ? double(step - first_step_) / elapsed : 0;
  const double updates_per_s = steps_per_s * double(voxels_);
  const double covered = time_s - first_time_s_;
  const double remaining = total_steps_ > 0
                               ? (steps_per_s > 0 ? double(total_steps_ - step) / steps_per_s : NAN)
                               : (covered > 0 ? elapsed * (end_time_s_ - time_s) / covered : NAN);
  const double percent = end_time_s_ > 0 ? 100.0 * time_s / end_time_s_ : 100.0;
  const std::string steps =
      total_steps_ > 0 ? fmt::format("{}/{}", step, total_steps_) : fmt::format("{}", step);
  const std::string line =
      fmt::format("step {}  t = {} ({:.1f}%)  {:.1f} steps/s  {:.3g} voxel-updates/s  {} {}", steps,
                  format_sim_time(time_s), percent, steps_per_s, updates_per_s,
                  final_line ? "elapsed" : "ETA", format_duration(final_line ? elapsed : remaining));
  if (terminal_)
    fmt::print(out_, "\r\033[K{}{}", line, final_line ? "\n" : "");
  else
    fmt::print(out_, "{}\n", line);
  std::fflush(out_);
}

}  // namespace cyto
