// The scenario in words, with units converted (cytostorm check).
#include <fmt/format.h>

#include <fmt/ranges.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "host/core/progress.hpp"
#include "host/scenario/scenario_description.hpp"
#include "host/scenario/units.hpp"

namespace cyto {
namespace {

std::string point(const Vec3& p) {
  return fmt::format("({}, {}, {})", format_quantity(p[0], Quantity::Length),
                     format_quantity(p[1], Quantity::Length), format_quantity(p[2], Quantity::Length));
}

// A mass in the largest of pg, ng, ug, mg, g that keeps it at least 1.
std::string mass(double pg) {
  static constexpr std::array<std::pair<const char*, double>, 5> kUnits{
      {{"g", 1e12}, {"mg", 1e9}, {"ug", 1e6}, {"ng", 1e3}, {"pg", 1.0}}};
  for (const auto& [unit, scale] : kUnits)
    if (std::abs(pg) >= scale) return fmt::format("{:g} {}", pg / scale, unit);
  return fmt::format("{:g} pg", pg);
}

std::string hill_terms(const std::vector<HillTerm>& terms, const Scenario& s) {
  std::vector<std::string> parts;
  for (const HillTerm& h : terms)
    parts.push_back(fmt::format("{} (K {}, n {:g})", s.species[h.species].name,
                                format_quantity(h.half_max, Quantity::Concentration), h.hill));
  return fmt::format("{}", fmt::join(parts, ", "));
}

// "1*IL-1b + 0.5*IL-18"
std::string weighted_signal(const std::vector<double>& weights, const Scenario& s) {
  std::vector<std::string> parts;
  for (std::size_t k = 0; k < weights.size(); ++k) {
    if (weights[k] == 0) continue;
    parts.push_back(weights[k] == 1 ? s.species[k].name
                                    : fmt::format("{:g}*{}", weights[k], s.species[k].name));
  }
  return fmt::format("{}", fmt::join(parts, " + "));
}

std::string names_of(const std::vector<int>& indices, const auto& items) {
  std::vector<std::string> names;
  for (int i : indices) names.push_back(items[static_cast<std::size_t>(i)].name);
  return fmt::format("{}", fmt::join(names, ", "));
}

std::string describe_rule(const Rule& r, const Scenario& s) {
  const std::string& who = s.populations[r.population].name;
  const auto rate = [](double v) { return format_quantity(v, Quantity::Rate); };
  std::string text;
  switch (r.kind) {
    case RuleKind::Secretion:
      text = fmt::format("{} secretes {} at {}", who, s.species[r.species].name,
                         format_quantity(r.base, Quantity::PerCellRate));
      if (!r.activators.empty())
        text += fmt::format(", up to {} activated by {}", format_quantity(r.max, Quantity::PerCellRate),
                            hill_terms(r.activators, s));
      if (!r.inhibitors.empty()) text += fmt::format(", inhibited by {}", hill_terms(r.inhibitors, s));
      break;
    case RuleKind::Uptake:
      text = r.vmax > 0 ? fmt::format("{} takes up {}: vmax {}, km {}", who, s.species[r.species].name,
                                      format_quantity(r.vmax, Quantity::PerCellRate),
                                      format_quantity(r.km, Quantity::Concentration))
                        : fmt::format("{} takes up {}: clearance {}", who, s.species[r.species].name,
                                      format_quantity(r.clearance, Quantity::Clearance));
      break;
    case RuleKind::Decay:
      text = fmt::format("{} turns over at {} (half-life {})", who, rate(r.rate),
                         format_quantity(std::log(2.0) / r.rate, Quantity::Time));
      break;
    case RuleKind::Growth:
    case RuleKind::Recruitment:
      text = fmt::format("{} {} at {}, capacity {}", who,
                         r.kind == RuleKind::Growth ? "grows" : "is recruited from the blood", rate(r.rate),
                         format_quantity(r.capacity, Quantity::CellDensity));
      if (!r.activators.empty()) text += fmt::format(", activated by {}", hill_terms(r.activators, s));
      break;
    case RuleKind::Death: {
      text = fmt::format("{} dies at {} ({}) when {} >= {}", who, rate(r.rate),
                         r.mode == DeathMode::Stochastic ? "stochastic" : "deterministic",
                         weighted_signal(r.signal, s), format_quantity(r.threshold, Quantity::Concentration));
      if (!r.priming.empty())
        text += fmt::format(", primed by {} >= {}", weighted_signal(r.priming, s),
                            format_quantity(r.priming_threshold, Quantity::Concentration));
      std::vector<std::string> burst;
      for (std::size_t k = 0; k < r.burst.size(); ++k)
        if (r.burst[k] > 0)
          burst.push_back(
              fmt::format("{} {}", format_quantity(r.burst[k], Quantity::PerCellAmount), s.species[k].name));
      if (!burst.empty()) text += fmt::format("; releases {}", fmt::join(burst, ", "));
      break;
    }
  }
  if (!r.tissues.empty()) text += fmt::format(" (in {})", names_of(r.tissues, s.tissues));
  return text;
}

std::string describe_therapy(const Therapy& t, const Scenario& s) {
  const std::string in_rules = t.rules.empty() ? "" : fmt::format(" in rules {}", names_of(t.rules, s.rules));
  switch (t.effect) {
    case DrugEffect::Neutralisation:
      return fmt::format("neutralises {} (k_on {})", names_of(t.species, s.species),
                         format_quantity(t.k_on, Quantity::BindingRate));
    case DrugEffect::Blockade:
      return fmt::format("blocks activation by {}{} (ic50 {})", names_of(t.species, s.species), in_rules,
                         format_quantity(t.ic50, Quantity::Concentration));
    case DrugEffect::Suppression:
      return fmt::format("suppresses secretion{} (emax {:g}, ec50 {})",
                         t.rules.empty() ? " of " + names_of(t.species, s.species) : in_rules, t.emax,
                         format_quantity(t.ec50, Quantity::Concentration));
  }
  return {};
}

// Species: diffusion per tissue, decay, initial values.
std::string describe_species(const Scenario& s) {
  std::string out;
  const auto line = [&out](const std::string& text) { out += text + '\n'; };
  const auto time = [](double seconds) { return format_quantity(seconds, Quantity::Time); };

  line(fmt::format("Species ({})", s.species.size()));
  for (const Species& sp : s.species) {
    line(fmt::format("  {}", sp.name));
    std::vector<std::string> d;
    for (std::size_t t = 0; t < s.tissues.size(); ++t)
      d.push_back(
          fmt::format("{} {}", s.tissues[t].name, format_quantity(sp.diffusion[t], Quantity::Diffusion)));
    line(fmt::format("    diffusion {}", fmt::join(d, ", ")));
    if (sp.decay_rate > 0) {
      line(fmt::format("    decay     {} (half-life {})", format_quantity(sp.decay_rate, Quantity::Rate),
                       time(std::log(2.0) / sp.decay_rate)));
    } else {
      line("    decay     none");
    }
    if (sp.initial.empty()) line("    initial   0 pg/mL");
    for (const InitialValue& v : sp.initial)
      line(fmt::format("    initial   {} {}", format_quantity(v.value, Quantity::Concentration),
                       describe_region(v.region, s)));
  }
  return out;
}

// Sources and Dirichlet boundaries.
std::string describe_sources(const Scenario& s) {
  std::string out;
  const auto line = [&out](const std::string& text) { out += text + '\n'; };
  const auto time = [](double seconds) { return format_quantity(seconds, Quantity::Time); };

  line(fmt::format("Sources ({})", s.sources.size()));
  for (std::size_t i = 0; i < s.sources.size(); ++i) {
    const Source& src = s.sources[i];
    const std::string until = std::isinf(src.end) ? std::string("the end") : time(src.end);
    line(fmt::format("  {}: {} {} {}, from {} until {}",
                     src.name.empty() ? fmt::format("sources[{}]", i) : src.name, s.species[src.species].name,
                     format_quantity(src.rate, Quantity::ConcentrationRate), describe_region(src.region, s),
                     time(src.start), until));
  }

  line(fmt::format("Boundaries ({})", s.boundaries.size()));
  for (const DirichletBoundary& b : s.boundaries)
    line(fmt::format("  {}: {} held at {}", s.tissues[b.tissue].name, s.species[b.species].name,
                     format_quantity(b.value, Quantity::Concentration)));
  return out;
}

// The seed, populations (initial values, seeding) and rules.
std::string describe_cell_model(const Scenario& s) {
  std::string out;
  const auto line = [&out](const std::string& text) { out += text + '\n'; };

  if (!s.populations.empty()) line(fmt::format("Seed {} (random seeding and stochastic death)", s.seed));

  line(fmt::format("Populations ({})", s.populations.size()));
  for (std::size_t p = 0; p < s.populations.size(); ++p) {
    const Population& pop = s.populations[p];
    line(fmt::format("  {}", pop.name));
    if (pop.initial.empty()) line("    initial   0 cells/mL");
    for (const InitialValue& v : pop.initial)
      line(fmt::format("    initial   {} {}", format_quantity(v.value, Quantity::CellDensity),
                       describe_region(v.region, s)));
    for (const Seeding& sd : s.seedings)
      if (sd.population == static_cast<int>(p))
        line(fmt::format("    seeded    {} on average (Poisson) {}",
                         format_quantity(sd.density, Quantity::CellDensity), describe_region(sd.region, s)));
  }

  line(fmt::format("Rules ({})", s.rules.size()));
  for (std::size_t i = 0; i < s.rules.size(); ++i)
    line(fmt::format("  {}: {}", s.rules[i].name.empty() ? fmt::format("rules[{}]", i) : s.rules[i].name,
                     describe_rule(s.rules[i], s)));
  return out;
}

// Organs and the plasma compartment.
std::string describe_plasma(const Scenario& s) {
  std::string out;
  const auto line = [&out](const std::string& text) { out += text + '\n'; };
  const auto time = [](double seconds) { return format_quantity(seconds, Quantity::Time); };

  if (!s.organs.empty()) {
    line(fmt::format("Organs ({})", s.organs.size()));
    for (const Organ& o : s.organs)
      line(fmt::format(
          "  {}: tissues {}{}", o.name, names_of(o.tissues, s.tissues),
          o.volume ? fmt::format(", volume {}", format_quantity(*o.volume, Quantity::Volume)) : ""));
  }

  if (s.plasma.enabled) {
    const Plasma& p = s.plasma;
    line(fmt::format("Plasma (volume {})", format_quantity(p.volume, Quantity::Volume)));
    for (std::size_t k = 0; k < s.species.size(); ++k) {
      const std::string clearance =
          p.clearance[k] > 0
              ? fmt::format("clearance {} (half-life {})", format_quantity(p.clearance[k], Quantity::Rate),
                            time(std::log(2.0) / p.clearance[k]))
              : std::string("no clearance");
      line(fmt::format("  {}: initial {}, {}", s.species[k].name,
                       format_quantity(p.initial[k], Quantity::Concentration), clearance));
    }
    for (std::size_t j = 0; j < s.populations.size(); ++j)
      line(fmt::format("  {} in blood: initial {}, clearance {}", s.populations[j].name,
                       format_quantity(p.blood_initial[j], Quantity::CellDensity),
                       format_quantity(p.blood_clearance[j], Quantity::Rate)));
    // One line per run of entries with the same tissue and rate ("species: all" makes such runs).
    for (std::size_t i = 0; i < p.exchange.size();) {
      const VascularExchange& x = p.exchange[i];
      std::vector<std::string> species;
      for (; i < p.exchange.size() && p.exchange[i].tissue == x.tissue && p.exchange[i].rate == x.rate; ++i)
        species.push_back(s.species[p.exchange[i].species].name);
      line(fmt::format("  exchange {} <-> plasma: {} at {}", s.tissues[x.tissue].name,
                       fmt::join(species, ", "), format_quantity(x.rate, Quantity::Rate)));
    }
  } else {
    line("Plasma: none");
  }
  return out;
}

// Infusions and therapies.
std::string describe_doses(const Scenario& s) {
  std::string out;
  const auto line = [&out](const std::string& text) { out += text + '\n'; };
  const auto time = [](double seconds) { return format_quantity(seconds, Quantity::Time); };

  if (!s.infusions.empty()) {
    line(fmt::format("Infusions ({})", s.infusions.size()));
    for (std::size_t i = 0; i < s.infusions.size(); ++i) {
      const Infusion& inf = s.infusions[i];
      const std::string what =
          inf.species >= 0 ? fmt::format("{} of {}", mass(inf.amount), s.species[inf.species].name)
                           : fmt::format("{:g} {} cells", inf.amount, s.populations[inf.population].name);
      const std::string when = inf.end ? fmt::format("from {} until {}", time(inf.start), time(*inf.end))
                                       : fmt::format("bolus at {}", time(inf.start));
      line(fmt::format("  {}: {}, {}", inf.name.empty() ? fmt::format("infusions[{}]", i) : inf.name, what,
                       when));
    }
  }

  if (!s.therapies.empty()) {
    line(fmt::format("Therapies ({})", s.therapies.size()));
    for (const Therapy& t : s.therapies) {
      line(fmt::format("  {}: {}", t.name, describe_therapy(t, s)));
      std::vector<std::string> doses;
      for (const Dose& d : t.doses) doses.push_back(fmt::format("{} at {}", mass(d.amount), time(d.time)));
      line(fmt::format("    doses {}; half-life {}, volume {}", fmt::join(doses, ", "), time(t.half_life),
                       format_quantity(t.volume, Quantity::Volume)));
    }
  }
  return out;
}

// Time, output and checkpoints.
std::string describe_run_settings(const Scenario& s) {
  std::string out;
  const auto line = [&out](const std::string& text) { out += text + '\n'; };
  const auto time = [](double seconds) { return format_quantity(seconds, Quantity::Time); };

  line("Time");
  line(fmt::format("  end {}, dt {}, substepping {}", time(s.time.end), s.time.dt ? time(*s.time.dt) : "auto",
                   s.time.substepping ? "on" : "off"));
  line(fmt::format("  safety {:g} (fraction of the stability limit used by auto dt)", s.time.safety));
  if (!s.time.dt)
    line(
        fmt::format("  tolerance {:g} (relative local error per step that auto dt keeps)", s.time.tolerance));

  std::vector<std::string> fields;
  for (int k : s.output.fields) fields.push_back(s.species[k].name);
  for (int p : s.output.population_fields) fields.push_back(s.populations[p].name);
  line("Output");
  line(fmt::format("  directory {}", s.output.directory));
  line(fmt::format("  every {}; fields {}; snapshots {}; progress every {:g} s", time(s.output.interval),
                   fmt::join(fields, ", "), s.output.snapshots ? "on" : "off", s.output.progress_interval));
  line(fmt::format("  budget {}",
                   s.output.budget ? "on (secreted, released and taken-up amounts per species)" : "off"));

  const CheckpointSettings& c = s.checkpoint;
  std::vector<std::string> triggers;
  if (c.interval) triggers.push_back(fmt::format("every {} simulated", format_sim_time(*c.interval)));
  if (c.steps) triggers.push_back(fmt::format("every {} step{}", *c.steps, *c.steps == 1 ? "" : "s"));
  if (c.wall) triggers.push_back(fmt::format("every {} wall", format_sim_time(*c.wall)));
  line(fmt::format("Checkpoints: {}; keep {}",
                   triggers.empty() ? std::string("on signal, --walltime or --stop-at-step only")
                                    : fmt::format("{}", fmt::join(triggers, ", ")),
                   c.keep));
  return out;
}

}  // namespace

std::string describe_region(const Region& r, const Scenario& s) {
  const std::string within = r.shape ? fmt::format("within {}", describe_shape(*r.shape)) : "";
  if (!r.tissue) return r.shape ? within : "in all tissue";
  const std::string tissue = fmt::format("in {}", s.tissues[*r.tissue].name);
  return r.shape ? tissue + " " + within : tissue;
}

std::string describe_shape(const Shape& s) {
  switch (s.kind) {
    case ShapeKind::Box:
      return fmt::format("box from {} to {}", point(s.a), point(s.b));
    case ShapeKind::Sphere:
      return fmt::format("sphere at {}, radius {}", point(s.a), format_quantity(s.radius, Quantity::Length));
    case ShapeKind::Ellipsoid:
      return fmt::format("ellipsoid at {}, radii {}", point(s.a), point(s.b));
    case ShapeKind::Cylinder:
      return fmt::format("cylinder from {} to {}, radius {}", point(s.a), point(s.b),
                         format_quantity(s.radius, Quantity::Length));
    case ShapeKind::Union: {
      std::vector<std::string> parts;
      for (const Shape& p : s.parts) parts.push_back(describe_shape(p));
      return fmt::format("union of [{}]", fmt::join(parts, "; "));
    }
  }
  return {};
}

std::string describe_geometry_item(const Scenario& s, std::size_t i, const std::string& file_facts,
                                   const std::vector<std::string>& notes) {
  const GeometryItem& g = s.geometry[i];
  std::string priority = g.priority ? fmt::format(" (priority {})", g.priority) : std::string();
  if (g.within) priority += fmt::format(" within {}", s.tissues[*g.within].name);
  switch (g.kind) {
    case GeometryKind::Shape:
      return fmt::format("  {}. {}: {}{}\n", i + 1, s.tissues[g.tissue].name, describe_shape(g.shape),
                         priority);
    case GeometryKind::Surface:
      return fmt::format("  {}. {}: mesh {}{}{}\n", i + 1, s.tissues[g.tissue].name, g.mesh.file, file_facts,
                         priority);
    case GeometryKind::Volume: {
      std::string out = fmt::format("  {}. volume {}{}{}\n", i + 1, g.volume.file, file_facts, priority);
      for (const std::string& note : notes) out += fmt::format("     note: {}\n", note);
      for (const auto& lt : g.volume.labels)
        out += fmt::format("     label {} -> {}\n", lt.label, s.tissues[lt.tissue].name);
      return out;
    }
  }
  return {};
}

std::string describe_heading(const Scenario& s) {
  std::string out;
  const auto line = [&out](const std::string& text) { out += text + '\n'; };
  line(fmt::format("Scenario {} ({})", s.name, s.source_file));
  if (!s.description.empty()) line(fmt::format("  {}", s.description));
  line(fmt::format("  precision {}", s.precision == Precision::Float ? "float" : "double"));
  return out;
}

std::string describe_grid(const GridSettings& grid) {
  std::string out;
  const auto line = [&out](const std::string& text) { out += text + '\n'; };
  line("Grid");
  line(fmt::format("  origin {}", point(grid.origin)));
  line(fmt::format("  extent {}", point(grid.extent)));
  line(fmt::format("  voxel  {}", point(grid.spacing)));
  if (grid.from_geometry)
    line(fmt::format("  sized from the geometry's bounding box, padded by {} voxels", grid.padding));
  return out;
}

std::string describe_tissues(const Scenario& s) {
  std::string out = fmt::format("Tissues ({})\n", s.tissues.size());
  for (const Tissue& t : s.tissues) out += fmt::format("  {} (label {})\n", t.name, t.label);
  return out;
}

std::string describe_scenario(const Scenario& s) {
  std::string out = describe_heading(s);
  if (s.grid.from_geometry) {
    out += fmt::format("Grid\n  voxel  {}\n  sized from the geometry's bounding box, padded by {} voxels\n",
                       point(s.grid.spacing), s.grid.padding);
  } else {
    out += describe_grid(s.grid);
  }
  out += describe_tissues(s);
  out += "Geometry (painted by priority, then in order; later items win)\n";
  for (std::size_t i = 0; i < s.geometry.size(); ++i) out += describe_geometry_item(s, i);
  return out + describe_model(s);
}

std::string describe_model(const Scenario& s) {
  return describe_species(s) + describe_sources(s) + describe_cell_model(s) + describe_plasma(s) +
         describe_doses(s) + describe_run_settings(s);
}

}  // namespace cyto
