// The blow-up guard: scans every field for NaN, infinity and negative
// values beyond round-off, and stops the run with where it happened.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "host/core/progress.hpp"
#include "host/geometry/geometry.hpp"
#include "host/io/output.hpp"
#include "host/io/value_bounds.hpp"
#include "host/solver/simulation.hpp"

namespace cyto {

// Steps between scans of every field for NaN, infinity and negative values;
// also scanned before every output and checkpoint. A scan reads each field
// once, so this costs about 1% of the stepping.
constexpr std::int64_t kGuardInterval = 100;

template <class Real>
class BlowUpGuard {
 public:
  // before_snapshot (if set) runs before the diagnostic snapshot is written
  // (the run waits there for its background writes). newest_good_checkpoint
  // (if set) names the newest checkpoint known to hold a good state (each
  // is written after a clean scan; one restarted from was scanned on load),
  // "" if none: the message says which state to go back to.
  BlowUpGuard(const Simulation<Real>& sim, std::vector<std::string> names, std::string directory,
              std::function<void()> before_snapshot = {},
              std::function<std::string()> newest_good_checkpoint = {})
      : sim_(sim),
        names_(std::move(names)),
        directory_(std::move(directory)),
        before_snapshot_(std::move(before_snapshot)),
        newest_good_checkpoint_(std::move(newest_good_checkpoint)) {}

  // Scans every field; on a bad value writes a diagnostic snapshot and throws
  // RuntimeFailure naming the step, voxel, position, tissue, species and the
  // neighbouring values. `before` says what waits for the verdict.
  void check(const char* before) {
    if (last_clean_step_ == sim_.steps()) return;
    const FieldLayout& layout = sim_.fields();
    for (int f = 0; f < layout.count(); ++f) {
      const FieldScan scan = sim_.scan_field(f);  // collective: every rank decides alike
      const double tolerance = negative_tolerance<Real>() * std::max(std::abs(scan.max), 1e-300);
      if (scan.nonfinite > 0 || scan.min < -tolerance) fail(f, tolerance, before);
    }
    last_clean_step_ = sim_.steps();
  }

 private:
  [[noreturn]] void fail(int f, double tolerance, const char* before) {
    const DenseGrid& g = sim_.tissues().grid;
    const std::vector<Real> values = sim_.native_field(f);  // gathered on the root, which reports
    if (!sim_.comm().root()) {
      for (int field = 0; field < sim_.fields().count(); ++field) sim_.native_field(field);  // the snapshot's
      throw RuntimeFailure(fmt::format("blow-up at step {} (reported by rank 0)", sim_.steps()));
    }
    // The voxel named: the first non-finite one, else the most negative.
    std::int64_t bad = -1, count = 0;
    for (std::int64_t idx = 0; idx < g.voxels(); ++idx) {
      const double v = double(values[idx]);
      if (sim_.tissues().tissue[std::size_t(idx)] == 0 || !is_bad_value<Real>(v, tolerance)) continue;
      ++count;
      if (bad < 0 || (std::isfinite(double(values[bad])) && (!std::isfinite(v) || v < double(values[bad]))))
        bad = idx;
    }
    const Scenario& s = sim_.scenario();
    const std::string& name = names_[std::size_t(f)];
    if (bad < 0)  // the scan and the download disagree: report without a voxel
      throw RuntimeFailure(
          fmt::format("{} went bad at step {} (t = {}), but no voxel holds the bad value "
                      "when read back",
                      name, sim_.steps(), format_sim_time(sim_.time())));
    const int i = int(bad % g.nx), j = int(bad / g.nx % g.ny), k = int(bad / g.nx / g.ny);
    const Vec3 p = voxel_centre(g, i, j, k);
    std::string around;
    const int offsets[6][3] = {{-1, 0, 0}, {1, 0, 0}, {0, -1, 0}, {0, 1, 0}, {0, 0, -1}, {0, 0, 1}};
    const char* labels[6] = {"-x", "+x", "-y", "+y", "-z", "+z"};
    for (int n = 0; n < 6; ++n) {
      const int a = i + offsets[n][0], b = j + offsets[n][1], c = k + offsets[n][2];
      std::string value = "edge";
      if (a >= 0 && b >= 0 && c >= 0 && a < g.nx && b < g.ny && c < g.nz) {
        const std::int64_t nidx = sim_.tissues().index(a, b, c);
        value = sim_.tissues().tissue[std::size_t(nidx)] == 0 ? "outside"
                                                              : fmt::format("{:.6g}", double(values[nidx]));
      }
      around += fmt::format("{}{} {}", n ? ", " : "", labels[n], value);
    }
    const std::string snapshot = write_snapshot(name, i, j, k);
    const std::string kind = std::isnan(double(values[bad]))   ? "NaN"
                             : std::isinf(double(values[bad])) ? "infinite"
                                                               : "negative";
    throw RuntimeFailure(fmt::format(
        "blow-up: {} is {} ({}) at step {} (t = {}) in voxel ({}, {}, {}), position ({:.6g}, {:.6g}, {:.6g}) "
        "mm, tissue \"{}\"; neighbours {}; {} voxel{} of {} are bad; the previous scan (step {}) was clean; "
        "the fields are in {}; stopped before {}; {}. Reduce time.dt or check the rates near this voxel",
        name, double(values[bad]), kind, sim_.steps(), format_sim_time(sim_.time()), i, j, k, p[0] * 1e3,
        p[1] * 1e3, p[2] * 1e3, s.tissues[std::size_t(sim_.tissues().tissue[std::size_t(bad)] - 1)].name,
        around, count, count == 1 ? "" : "s", name, last_clean_step_, snapshot, before, last_good()));
  }

  std::string last_good() const {
    const std::string path = newest_good_checkpoint_ ? newest_good_checkpoint_() : std::string();
    return path.empty() ? "no checkpoint of a good state is known"
                        : fmt::format("the newest checkpoint of a good state is {}", path);
  }

  // diagnostic_step_<N>.h5: every field at the bad step, next to geometry.h5.
  std::string write_snapshot(const std::string& field, int i, int j, int k) const {
    const std::string path = fmt::format("{}/diagnostic_step_{:012d}.h5", directory_, sim_.steps());
    if (before_snapshot_) before_snapshot_();
    try {
      const Precision native = sizeof(Real) == 4 ? Precision::Float : Precision::Double;
      std::vector<std::vector<Real>> data;
      std::vector<FieldView> views;
      for (int f = 0; f < sim_.fields().count(); ++f) data.push_back(sim_.native_field(f));
      for (int f = 0; f < sim_.fields().count(); ++f)
        views.push_back({names_[std::size_t(f)], data[std::size_t(f)].data(), native});
      write_diagnostic_snapshot(path, sim_.tissues().grid, label_values(sim_.scenario(), sim_.tissues()),
                                sim_.scenario().tissues, sim_.time(), sim_.steps(), views,
                                fmt::format("{} at voxel ({}, {}, {})", field, i, j, k));
      return path;
    } catch (const RuntimeFailure& e) {
      return fmt::format("no diagnostic snapshot ({})", e.what());
    }
  }

  const Simulation<Real>& sim_;
  std::vector<std::string> names_;
  std::string directory_;
  std::function<void()> before_snapshot_;
  std::function<std::string()> newest_good_checkpoint_;
  std::int64_t last_clean_step_ = -1;
};

}  // namespace cyto
