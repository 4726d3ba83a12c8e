// How the run goes: time (end, dt, sub-stepping), output (where, how often,
// which fields) and checkpoints.
#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "host/core/progress.hpp"  // format_sim_time
#include "host/scenario/read_sections.hpp"
#include "host/scenario/yaml_values.hpp"

namespace cyto::reader {
namespace {

constexpr std::int64_t kMaxCheckpointSteps = 1'000'000'000'000'000;  // 1e15
constexpr std::int64_t kMaxCheckpointsKept = 1000;

// "auto" or a time > 0.
void read_dt(const Document& doc, const Field& dt, TimeSettings& t) {
  t.dt_where = doc.locate(dt);
  if (dt.node.IsScalar() && dt.node.Scalar() == "auto") return;
  if (!dt.node.IsScalar())
    doc.fail(dt, fmt::format("expected \"auto\" or a time > 0, found {}", describe_found(dt.node)));
  const std::string text = dt.node.Scalar();
  try {
    t.dt = parse_quantity(text, Quantity::Time);
  } catch (const UnitError& e) {
    doc.fail(dt, fmt::format("{} (dt may also be \"auto\")", e.what()));
  }
  if (*t.dt <= 0) doc.fail(dt, fmt::format("expected \"auto\" or a time > 0, found \"{}\"", text));
}

// output.fields: "all", or species and population names.
void read_field_selection(Reading& r, const Field& f) {
  OutputSettings& o = r.s.output;
  const std::size_t ns = r.s.species.size();
  if (f.node.IsScalar() && f.node.Scalar() == "all") {
    for (std::size_t k = 0; k < ns; ++k) o.fields.push_back(static_cast<int>(k));
    for (std::size_t p = 0; p < r.s.populations.size(); ++p)
      o.population_fields.push_back(static_cast<int>(p));
    return;
  }
  std::vector<std::string> names = r.species_names();
  const std::vector<std::string> populations = r.population_names();
  names.insert(names.end(), populations.begin(), populations.end());
  const std::string kind = populations.empty() ? "species" : "species or population";
  const auto ref = [&](const Field& x) { return r.reference(x, names, kind); };
  std::vector<std::pair<int, Field>> chosen;
  if (f.node.IsScalar()) {
    chosen.emplace_back(ref(f), f);
  } else {
    for (const Field& item :
         read_list(r.doc, f, fmt::format("\"all\", a {} name or a non-empty list of names", kind), true)) {
      const int i = ref(item);
      if (std::any_of(chosen.begin(), chosen.end(), [&](const auto& c) { return c.first == i; }))
        r.doc.fail(item, fmt::format("expected each {} once, found \"{}\" again", kind, item.node.Scalar()));
      chosen.emplace_back(i, item);
    }
  }
  for (const auto& [i, at] : chosen)
    (i < int(ns) ? o.fields : o.population_fields).push_back(i < int(ns) ? i : i - int(ns));
}

}  // namespace

void read_time(Reading& r, const Field& f) {
  const Document& doc = r.doc;
  const MapReader m(doc, f, {"end", "dt", "substepping", "safety", "tolerance"},
                    "a time map {end, dt, substepping, safety, tolerance}");
  TimeSettings& t = r.s.time;
  t.where = doc.locate(f);
  const Field end = m.require("end", "the simulated time to stop at");
  t.end = read_quantity(doc, end, Quantity::Time, Bound::Positive);
  r.time_end_text = as_written(end, Quantity::Time);
  t.dt_where = t.where;
  if (auto dt = m.get("dt")) read_dt(doc, *dt, t);
  if (auto sub = m.get("substepping")) t.substepping = read_bool(doc, *sub);
  if (auto safety = m.get("safety")) {
    t.safety = read_quantity(doc, *safety, Quantity::Dimensionless);
    if (!(t.safety > 0 && t.safety <= 1))
      doc.fail(*safety, fmt::format("expected a safety factor above 0 and at most 1, found \"{}\"",
                                    safety->node.Scalar()));
  }
  if (auto tolerance = m.get("tolerance")) {
    t.tolerance = read_quantity(doc, *tolerance, Quantity::Dimensionless);
    if (!(t.tolerance >= 1e-8 && t.tolerance <= 0.5))
      doc.fail(*tolerance, fmt::format("expected a relative tolerance from 1e-8 to 0.5, found {}",
                                       quote_value(tolerance->node.Scalar())));
    t.tolerance_where = doc.locate(*tolerance);
    t.tolerance_given = true;
    if (t.dt)
      doc.fail(*tolerance, fmt::format("a tolerance drives dt: auto, but dt is set to {}: "
                                       "remove the tolerance or set dt: auto",
                                       format_sim_time(*t.dt)));
  }
}

void read_output(Reading& r, const Field& f) {
  const Document& doc = r.doc;
  const MapReader m(doc, f, {"directory", "interval", "fields", "snapshots", "budget", "progress_interval"},
                    "an output map {interval, directory, fields, snapshots, budget, progress_interval}");
  OutputSettings& o = r.s.output;
  o.where = doc.locate(f);
  o.directory = "output/" + r.s.name;
  if (auto dir = m.get("directory")) {
    o.directory = scalar_text(doc, *dir, "a directory path");
    if (o.directory.empty()) doc.fail(*dir, "expected a directory path, found an empty string");
  }
  const Field interval = m.require("interval", "the simulated time between outputs");
  o.interval = read_quantity(doc, interval, Quantity::Time, Bound::Positive);
  if (o.interval > r.s.time.end)
    doc.fail(interval, fmt::format("expected an interval no longer than time.end ({}), found \"{}\"",
                                   format_quantity(r.s.time.end, Quantity::Time), interval.node.Scalar()));
  if (auto fields = m.get("fields")) {
    read_field_selection(r, *fields);
  } else {
    for (std::size_t k = 0; k < r.s.species.size(); ++k) o.fields.push_back(static_cast<int>(k));
    for (std::size_t p = 0; p < r.s.populations.size(); ++p)
      o.population_fields.push_back(static_cast<int>(p));
  }
  if (auto snapshots = m.get("snapshots")) o.snapshots = read_bool(doc, *snapshots);
  if (auto budget = m.get("budget")) o.budget = read_bool(doc, *budget);
  if (auto progress = m.get("progress_interval"))
    o.progress_interval = read_quantity(doc, *progress, Quantity::Time, Bound::Positive);
}

// Each trigger is optional; an empty "checkpoint:" keeps the defaults.
void read_checkpoint(Reading& r, const Field& f) {
  const Document& doc = r.doc;
  CheckpointSettings& c = r.s.checkpoint;
  c.where = doc.locate(f);
  if (f.node.IsNull()) return;
  const MapReader m(doc, f, {"interval", "steps", "wall", "keep"},
                    "a checkpoint map {interval, steps, wall, keep}");
  if (auto interval = m.get("interval"))
    c.interval = read_quantity(doc, *interval, Quantity::Time, Bound::Positive);
  if (auto steps = m.get("steps"))
    c.steps = read_count(doc, *steps, 1, kMaxCheckpointSteps, "a number of steps");
  if (auto wall = m.get("wall")) c.wall = read_quantity(doc, *wall, Quantity::Time, Bound::Positive);
  if (auto keep = m.get("keep"))
    c.keep =
        static_cast<int>(read_count(doc, *keep, 1, kMaxCheckpointsKept, "a number of checkpoints to keep"));
}

}  // namespace cyto::reader
