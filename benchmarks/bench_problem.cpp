#include "benchmarks/bench_problem.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "host/core/error.hpp"
#include "host/core/input_file.hpp"
#include "host/geometry/geometry.hpp"
#include "host/scenario/config.hpp"
#include "host/scenario/yaml_document.hpp"

namespace cyto::bench {
namespace {

// Through the one input-file gate: a regular file of a scenario's size.
std::string read_text(const std::string& path) {
  return read_input_file(path, "scenario file", reader::kMaxScenarioFileBytes);
}

// The cube's voxels per side. InputError where the suite could not resize
// the problem: at the grid where it is not a cube of whole, cubic voxels, and
// at a geometry item that is not a shape.
int resizable_voxels_per_side(const Scenario& s) {
  const GridSettings& g = s.grid;
  const bool cube = !g.from_geometry && g.extent[0] == g.extent[1] && g.extent[1] == g.extent[2] &&
                    g.spacing[0] == g.spacing[1] && g.spacing[1] == g.spacing[2];
  const double voxels = g.extent[0] / g.spacing[0];
  if (!cube || std::abs(voxels - std::round(voxels)) > 1e-9 * voxels)
    throw InputError(g.where,
                     "a benchmark problem needs a grid with an extent and a voxel that are the same on "
                     "every axis, and a whole number of voxels a side (the suite resizes the cube)");
  for (const GeometryItem& item : s.geometry)
    if (item.kind != GeometryKind::Shape)
      throw InputError(item.where,
                       "a benchmark problem's geometry is made of shapes (box, sphere, ellipsoid, cylinder, "
                       "union), which the suite scales with the grid; a mesh or a label map cannot be");
  return make_dense_grid(g).nx;
}

// The problem's lengths on a grid of another size: about the grid's origin,
// every length is scaled by to_side / from_side, computed as
// (length / from_side) * to_side so that a length written as a round share of
// the file's side (0.42 mm of 1 mm) becomes exactly that share of the new side.
struct Resize {
  Vec3 origin;
  double from_side = 0, to_side = 0;
  double min_radius = 0;

  double length(double v) const { return v / from_side * to_side; }
  Vec3 point(const Vec3& p) const {
    Vec3 q;
    for (int a = 0; a < 3; ++a) q[a] = origin[a] + length(p[a] - origin[a]);
    return q;
  }
  Vec3 lengths(const Vec3& v) const { return {length(v[0]), length(v[1]), length(v[2])}; }

  void apply(Shape& shape) const {
    switch (shape.kind) {
      case ShapeKind::Box:
        shape.a = point(shape.a);
        shape.b = point(shape.b);
        break;
      case ShapeKind::Sphere:
        shape.a = point(shape.a);
        shape.radius = std::max(length(shape.radius), min_radius);
        break;
      case ShapeKind::Ellipsoid:
        shape.a = point(shape.a);
        shape.b = lengths(shape.b);
        break;
      case ShapeKind::Cylinder:
        shape.a = point(shape.a);
        shape.b = point(shape.b);
        shape.radius = length(shape.radius);
        break;
      case ShapeKind::Union:
        for (Shape& part : shape.parts) apply(part);
        break;
    }
  }
  void apply(Region& region) const {
    if (region.shape) apply(*region.shape);
  }
  void apply(std::vector<InitialValue>& values) const {
    for (InitialValue& v : values) apply(v.region);
  }
};

void resize(Scenario& s, int voxels_per_side, double min_sphere_radius_voxels) {
  const double voxel = s.grid.spacing[0];
  const Resize r{s.grid.origin, s.grid.extent[0], voxels_per_side * voxel, min_sphere_radius_voxels * voxel};
  for (double& e : s.grid.extent) e = r.to_side;
  for (GeometryItem& item : s.geometry) r.apply(item.shape);  // shapes only (resizable_voxels_per_side)
  for (Source& source : s.sources) r.apply(source.region);
  for (Species& species : s.species) r.apply(species.initial);
  for (Population& population : s.populations) r.apply(population.initial);
  for (Seeding& seeding : s.seedings) r.apply(seeding.region);
  s.resolved_yaml += fmt::format("# resized by the benchmark to {0} x {0} x {0} voxels\n", voxels_per_side);
}

// "species=[...]": the first `count` items of the file's species list, in
// YAML flow style (the text --set takes).
std::string first_species_override(const BenchProblem& problem, int count) {
  const int available = int(problem.scenario.species.size());
  if (count > available)
    throw InputError(
        SourceLocation{problem.file, 0, 0, "species"},
        fmt::format("expected at least {} species (the benchmark asks for the first {}), found {}", count,
                    count, available));
  const YAML::Node all = YAML::Load(problem.text)["species"];
  YAML::Node first(YAML::NodeType::Sequence);
  for (int k = 0; k < count; ++k) first.push_back(all[std::size_t(k)]);
  YAML::Emitter out;
  out << YAML::Flow << first;
  return std::string("species=") + out.c_str();
}

const char* precision_name(Precision p) { return p == Precision::Float ? "float" : "double"; }

}  // namespace

BenchProblem load_bench_problem(const std::string& name, const std::string& directory) {
  BenchProblem problem;
  problem.name = name;
  const std::string file_name = name + ".yaml";
  if (directory.empty()) {
    problem.file = fmt::format("{}/{}", kBuiltInProblemDirectory, file_name);
    const auto& built_in = built_in_bench_problems();
    const auto it = std::find_if(built_in.begin(), built_in.end(),
                                 [&](const BuiltInProblem& p) { return file_name == p.file_name; });
    if (it == built_in.end())
      throw InputError(SourceLocation{problem.file, 0, 0, ""},
                       "no such benchmark problem among those built in");
    problem.text = it->text;
    problem.scenario = parse_scenario(problem.text, problem.file);
  } else {
    problem.file = (std::filesystem::path(directory) / file_name).string();
    problem.scenario = load_scenario(problem.file);  // its errors, as for any scenario file
    problem.text = read_text(problem.file);
  }
  problem.voxels_per_side = resizable_voxels_per_side(problem.scenario);
  return problem;
}

Scenario case_scenario(const BenchProblem& problem, const CaseParameters& parameters) {
  std::vector<std::string> overrides;
  if (parameters.precision)
    overrides.push_back(fmt::format("precision={}", precision_name(*parameters.precision)));
  if (parameters.species) overrides.push_back(first_species_override(problem, *parameters.species));
  overrides.insert(overrides.end(), parameters.overrides.begin(), parameters.overrides.end());
  Scenario s = parse_scenario(problem.text, problem.file, overrides);
  resize(s, parameters.voxels_per_side, parameters.min_sphere_radius_voxels);
  return s;
}

}  // namespace cyto::bench
