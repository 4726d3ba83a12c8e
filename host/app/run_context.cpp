#include "host/app/run_context.hpp"

#include <fmt/format.h>

namespace cyto {

double seconds_between(RunClock::time_point a, RunClock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

RunContext::RunContext(const Scenario& s, const RunOptions& given)
    : scenario(s),
      comm(par::Comm::world()),
      root(comm.root()),
      quiet(root ? nullptr : std::fopen("/dev/null", "w"),
            [](std::FILE* f) { return f ? std::fclose(f) : 0; }),
      options([&] {
        RunOptions o = given;
        if (!root) o.log = quiet.get();
        return o;
      }()),
      log(options.log),
      directory(s.output.directory),
      wall_start(RunClock::now()),
      hash(scenario_hash(s)) {}

std::vector<std::string> checkpoint_field_names(const Scenario& s, const FieldLayout& layout) {
  std::vector<std::string> names;
  for (const Species& sp : s.species) names.push_back("species." + sp.name);
  for (const Population& p : s.populations) names.push_back("population." + p.name);
  if (layout.budget)
    for (const char* kind : {"secreted.", "released.", "taken_up."})
      for (const Species& sp : s.species) names.push_back(kind + sp.name);
  return names;
}

std::vector<std::string> display_field_names(const Scenario& s, const FieldLayout& layout) {
  std::vector<std::string> names;
  for (const Species& sp : s.species) names.push_back(sp.name);
  for (const Population& p : s.populations) names.push_back(p.name);
  if (layout.budget)
    for (const char* kind : {"secreted", "released", "taken up"})
      for (const Species& sp : s.species) names.push_back(fmt::format("{} ({})", sp.name, kind));
  return names;
}

}  // namespace cyto
