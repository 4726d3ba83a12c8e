#include "host/model/front_resolution.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "host/model/initial_state.hpp"
#include "host/scenario/units.hpp"  // format_quantity

namespace cyto {
namespace {

// Mean initial density of each population in each tissue: [population][tissue].
std::vector<std::vector<double>> mean_densities(const Scenario& s, const TissueMap& tissues) {
  const std::size_t nt = s.tissues.size();
  std::vector<std::vector<double>> mean(s.populations.size(), std::vector<double>(nt, 0.0));
  for (std::size_t p = 0; p < s.populations.size(); ++p) {
    const std::vector<double> density = initial_population(s, tissues, int(p));
    for (std::size_t v = 0; v < density.size(); ++v)
      if (tissues.tissue[v]) mean[p][tissues.tissue[v] - 1u] += density[v];
    for (std::size_t t = 0; t < nt; ++t)
      if (tissues.voxel_count[t] > 0) mean[p][t] /= double(tissues.voxel_count[t]);
  }
  return mean;
}

bool acts_in(const Rule& r, int tissue) {
  return r.tissues.empty() || std::find(r.tissues.begin(), r.tissues.end(), tissue) != r.tissues.end();
}

// Linear loss rate of a species in a tissue at low concentration (the
// leading edge): decay, exchange with plasma, and uptake by the cells there
// at their initial densities (Michaelis-Menten below km: vmax / km).
double loss_rate(const Scenario& s, const std::vector<std::vector<double>>& density, int species,
                 int tissue) {
  double loss = s.species[std::size_t(species)].decay_rate;
  if (s.plasma.enabled)
    for (const VascularExchange& e : s.plasma.exchange)
      if (e.tissue == tissue && e.species == species) loss += e.rate;
  for (const Rule& r : s.rules) {
    if (r.kind != RuleKind::Uptake || r.species != species || !acts_in(r, tissue)) continue;
    const double rho = density[std::size_t(r.population)][std::size_t(tissue)];
    loss += rho * (r.vmax > 0 ? r.vmax / r.km : r.clearance);
  }
  return loss;
}

std::string rule_name(const Scenario& s, int rule) {
  const std::string& name = s.rules[std::size_t(rule)].name;
  return name.empty() ? fmt::format("rules[{}]", rule) : name;
}

std::string length_text(double metres) {
  return metres >= 1e-3 ? fmt::format("{:.3g} mm", metres * 1e3) : fmt::format("{:.3g} um", metres * 1e6);
}

}  // namespace

std::vector<FrontResolution> assess_front_resolution(const Scenario& s, const TissueMap& tissues) {
  std::vector<FrontResolution> fronts;
  // The widest spacing along which a front can travel: an axis one voxel
  // thick carries none (a strip, a slice).
  const Vec3& h = tissues.grid.spacing;
  const int n[3] = {tissues.grid.nx, tissues.grid.ny, tissues.grid.nz};
  double voxel = 0;
  for (int a = 0; a < 3; ++a)
    if (n[a] > 1) voxel = std::max(voxel, h[std::size_t(a)]);
  std::vector<std::vector<double>> density;
  for (std::size_t q = 0; q < s.rules.size(); ++q) {
    const Rule& r = s.rules[q];
    if (r.kind != RuleKind::Death) continue;
    if (density.empty()) density = mean_densities(s, tissues);
    FrontResolution front;
    front.rule = int(q);
    front.voxel = voxel;
    front.length = std::numeric_limits<double>::infinity();
    bool any_diffusing = false;
    for (std::size_t t = 0; t < s.tissues.size(); ++t) {
      if (!acts_in(r, int(t)) || tissues.voxel_count[t] == 0) continue;
      if (density[std::size_t(r.population)][t] <= 0) continue;  // no cells to die there
      for (std::size_t sp = 0; sp < s.species.size(); ++sp) {
        if (!(r.signal[sp] > 0)) continue;
        const double D = s.species[sp].diffusion[t];
        if (!(D > 0)) continue;
        any_diffusing = true;
        double loss = loss_rate(s, density, int(sp), int(t));
        const bool from_death = !(loss > 0);
        if (from_death) loss = r.rate;
        const double length = std::sqrt(D / loss);
        if (length < front.length) {
          front.species = int(sp);
          front.tissue = int(t);
          front.diffusion = D;
          front.loss_rate = loss;
          front.loss_from_death_rate = from_death;
          front.length = length;
        }
      }
    }
    if (!any_diffusing || voxel == 0) {
      front.verdict = FrontVerdict::NoFront;
      front.length = 0;
      fronts.push_back(front);
      continue;
    }
    front.ratio = voxel / front.length;
    if (front.ratio >= kFrontPinnedRatio) {
      front.verdict = FrontVerdict::Pinned;
      front.expected_slowdown = 1;
    } else {
      front.verdict =
          front.ratio <= kFrontResolvedRatio ? FrontVerdict::Resolved : FrontVerdict::UnderResolved;
      front.expected_slowdown =
          std::min(1.0, kFrontDeficitCoefficient * std::pow(front.ratio, kFrontDeficitOrder));
    }
    fronts.push_back(front);
  }
  return fronts;
}

const char* front_verdict_name(FrontVerdict verdict) {
  switch (verdict) {
    case FrontVerdict::Resolved:
      return "resolved";
    case FrontVerdict::UnderResolved:
      return "under-resolved";
    case FrontVerdict::Pinned:
      return "pinned";
    case FrontVerdict::NoFront:
      return "no front";
  }
  return "?";
}

std::string describe_front_resolution(const Scenario& s, const FrontResolution& f) {
  const std::string name = rule_name(s, f.rule);
  if (f.verdict == FrontVerdict::NoFront)
    return fmt::format(
        "{}: no front can travel (its signal does not diffuse where the rule acts, or the grid is one voxel)",
        name);
  const std::string scale = fmt::format(
      "front scale L = sqrt(D / loss) = {} ({} in {}: D {}, loss {}{}); voxel {} = {:.2f} L",
      length_text(f.length), s.species[std::size_t(f.species)].name, s.tissues[std::size_t(f.tissue)].name,
      format_quantity(f.diffusion, Quantity::Diffusion), format_quantity(f.loss_rate, Quantity::Rate),
      f.loss_from_death_rate ? ", the death rate: nothing else removes it" : "", length_text(f.voxel),
      f.ratio);
  const std::string finer = length_text(kFrontResolvedRatio * f.length);
  switch (f.verdict) {
    case FrontVerdict::Resolved:
      return fmt::format("{}: {}: resolved (front speed within ~{:.0f}%)", name, scale,
                         100 * f.expected_slowdown + 0.5);
    case FrontVerdict::UnderResolved:
      return fmt::format("{}: {}: under-resolved, fronts run ~{:.0f}% slow (voxels <= {} for ~5%)", name,
                         scale, 100 * f.expected_slowdown, finer);
    case FrontVerdict::Pinned:
    default:
      return fmt::format(
          "{}: {}: PINNED, fronts stall on this grid (voxels < {} let them move, <= {} for ~5% speed)", name,
          scale, length_text(kFrontPinnedRatio * f.length), finer);
  }
}

nlohmann::json front_resolution_json(const Scenario& s, const FrontResolution& f) {
  nlohmann::json j = {{"rule", rule_name(s, f.rule)}, {"verdict", front_verdict_name(f.verdict)}};
  if (f.verdict == FrontVerdict::NoFront) return j;
  j["signal_species"] = s.species[std::size_t(f.species)].name;
  j["tissue"] = s.tissues[std::size_t(f.tissue)].name;
  j["diffusion_m2_per_s"] = f.diffusion;
  j["loss_rate_per_s"] = f.loss_rate;
  j["front_scale_m"] = f.length;
  j["voxel_m"] = f.voxel;
  j["voxel_over_scale"] = f.ratio;
  j["expected_speed_deficit"] = f.expected_slowdown;
  return j;
}

}  // namespace cyto
