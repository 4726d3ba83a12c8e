// The resolved scenario in words, with units converted (cytostorm check).
#include <fmt/format.h>

#include <string>
#include <vector>

#include "config.hpp"
#include "units.hpp"

namespace cyto {
namespace {

std::string point(const Vec3& p) {
  return fmt::format("({}, {}, {})", format_quantity(p[0], Quantity::Length),
                     format_quantity(p[1], Quantity::Length), format_quantity(p[2], Quantity::Length));
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

std::string describe_region(const Region& r, const Scenario& s) {
  const std::string within = r.shape ? fmt::format("within {}", describe_shape(*r.shape)) : "";
  if (!r.tissue) return r.shape ? within : "in all tissue";
  const std::string tissue = fmt::format("in {}", s.tissues[*r.tissue].name);
  return r.shape ? tissue + " " + within : tissue;
}

}  // namespace

std::string describe_scenario(const Scenario& s) {
  std::string out;
  const auto line = [&out](const std::string& text) { out += text + '\n'; };
  const auto time = [](double seconds) { return format_quantity(seconds, Quantity::Time); };

  line(fmt::format("Scenario {} ({})", s.name, s.source_file));
  if (!s.description.empty()) line(fmt::format("  {}", s.description));
  line(fmt::format("  precision {}", s.precision == Precision::Float ? "float" : "double"));

  line("Grid");
  line(fmt::format("  origin {}", point(s.grid.origin)));
  line(fmt::format("  extent {}", point(s.grid.extent)));
  line(fmt::format("  voxel  {}", point(s.grid.spacing)));

  line(fmt::format("Tissues ({})", s.tissues.size()));
  for (const Tissue& t : s.tissues) line(fmt::format("  {} (label {})", t.name, t.label));

  line("Geometry (painted in order; later items win)");
  for (std::size_t i = 0; i < s.geometry.size(); ++i)
    line(fmt::format("  {}. {}: {}", i + 1, s.tissues[s.geometry[i].tissue].name,
                     describe_shape(s.geometry[i].shape)));

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

  line("Time");
  line(fmt::format("  end {}, dt {}, substepping {}", time(s.time.end), s.time.dt ? time(*s.time.dt) : "auto",
                   s.time.substepping ? "on" : "off"));
  line(fmt::format("  safety {:g} (fraction of the stability limit used by auto dt)", s.time.safety));

  std::vector<std::string> fields;
  for (int k : s.output.fields) fields.push_back(s.species[k].name);
  line("Output");
  line(fmt::format("  directory {}", s.output.directory));
  line(fmt::format("  every {}; fields {}; snapshots {}; progress every {:g} s", time(s.output.interval),
                   fmt::join(fields, ", "), s.output.snapshots ? "on" : "off", s.output.progress_interval));
  return out;
}

}  // namespace cyto
