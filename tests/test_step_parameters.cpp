// The step's parameter block (issue 15, item 3): the tables are built and
// handed to the backend once per step length dt, and what changes from step
// to step (drug levels, plasma exchange, source windows) reaches the backend
// only in the block that comes with each step. A backend that counts what
// it is handed watches a run with all three.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <set>
#include <vector>

#include "host/backends/backend.hpp"
#include "host/solver/simulation.hpp"
#include "tests/scenario_builders.hpp"

namespace cyto {
namespace {

using testing::box_scenario;
using testing::hill;
using testing::make_population;
using testing::make_rule;
using testing::make_species;

// What the simulation handed over, beside the CPU backend that does the work.
struct Handed {
  int transport_tables = 0;
  int cell_models = 0;
  std::vector<std::int64_t> step_numbers;
  std::set<std::vector<double>> distinct_blocks;  // decay, source and drive values of each step
};

class CountingBackend final : public Backend<double> {
 public:
  explicit CountingBackend(Handed& handed) : inner_(make_cpu_backend<double>(1)), handed_(handed) {}
  std::string name() const override { return inner_->name(); }
  std::string description() const override { return inner_->description(); }
  void setup(const Discretisation& disc, int n_fields) override { inner_->setup(disc, n_fields); }
  void upload_field(int f, const std::vector<double>& v) override { inner_->upload_field(f, v); }
  void download_field(int f, std::vector<double>& v) const override { inner_->download_field(f, v); }
  void set_source_field(int f, const std::vector<double>& v) override { inner_->set_source_field(f, v); }
  void set_transport_table(const TransportTable<double>& table) override {
    ++handed_.transport_tables;
    inner_->set_transport_table(table);
  }
  void set_cell_model(const CellModelTable<double>& table) override {
    ++handed_.cell_models;
    inner_->set_cell_model(table);
  }
  void step(const StepParameters<double>& p) override {
    handed_.step_numbers.push_back(p.step);
    std::vector<double> block(p.decay_factor.begin(), p.decay_factor.end());
    block.insert(block.end(), p.source_rate.begin(), p.source_rate.end());
    for (const SmoothRuleDrive<double>& d : p.rules) {
      block.push_back(d.suppression);
      block.push_back(d.recruitment_rate);
      block.insert(block.end(), std::begin(d.blockade), std::end(d.blockade));
    }
    handed_.distinct_blocks.insert(block);
    inner_->step(p);
  }
  void pack_face(int face, int fields, double* dst) const override { inner_->pack_face(face, fields, dst); }
  void unpack_face(int face, int fields, const double* src) override {
    inner_->unpack_face(face, fields, src);
  }
  void region_tile_sums(int field, const std::vector<int>& region_of_material, int n_regions,
                        std::vector<double>& tile_sums, std::vector<double>& maxima) const override {
    inner_->region_tile_sums(field, region_of_material, n_regions, tile_sums, maxima);
  }
  FieldScan scan_field(int field) const override { return inner_->scan_field(field); }
  std::vector<double> timed_steps(const StepParameters<double>& first, int steps) override {
    return inner_->timed_steps(first, steps);
  }
  std::vector<double> timed_copies(std::size_t bytes, int repetitions) override {
    return inner_->timed_copies(bytes, repetitions);
  }
  BackendDeviceInfo device_info() const override { return inner_->device_info(); }

 private:
  std::unique_ptr<Backend<double>> inner_;
  Handed& handed_;
};

// A box of tissue whose every step differs from the last: a decaying drug
// blocks and suppresses secretion, the tissue exchanges with plasma, and a
// source is on for part of the run.
Scenario changing_every_step() {
  Scenario s = box_scenario({4, 4, 4}, {1e-4, 1e-4, 1e-4});
  s.species.push_back(make_species("IL6", {1e-12}, 1e-3, 10.0));
  s.species.push_back(make_species("TNF", {1e-12}, 1e-3, 50.0));
  s.populations.push_back(make_population("macrophages", 1e6));
  Rule secretion = make_rule(RuleKind::Secretion, 0, 0);
  secretion.base = 1e-7;
  secretion.max = 1e-6;
  secretion.activators.push_back(hill(1, 50.0, 1));
  s.rules.push_back(secretion);
  Therapy blockade;
  blockade.name = "anti_TNFR";
  blockade.effect = DrugEffect::Blockade;
  blockade.species = {1};
  blockade.half_life = 600;
  blockade.volume = 1000;
  blockade.ic50 = 2e5;
  blockade.doses = {{0, 4e8, {}}, {1800, 4e8, {}}};
  s.therapies.push_back(blockade);
  Therapy steroid = blockade;
  steroid.name = "steroid";
  steroid.effect = DrugEffect::Suppression;
  steroid.species = {0};
  steroid.emax = 0.8;
  steroid.ec50 = 4e5;
  s.therapies.push_back(steroid);
  s.organs.push_back({"liver", {0}, 1500.0, {}});
  s.plasma.enabled = true;
  s.plasma.volume = 3000;
  s.plasma.initial = {10.0, 0.0};
  s.plasma.clearance = {0.0, 0.0};
  s.plasma.exchange.push_back({0, 0, 1e-3, {}});
  Source source;
  source.species = 1;
  source.rate = 0.5;
  source.region.shape = testing::box_shape({0, 0, 0}, {2e-4, 2e-4, 2e-4});
  source.start = 900;
  source.end = 2700;
  s.sources.push_back(source);
  s.time.end = 3600;
  s.time.dt = 60;
  s.output.interval = 600;
  return s;
}

TEST(StepParameters, TablesOncePerStepLengthChangesOnlyInTheBlock) {
  const Scenario s = changing_every_step();
  Handed handed;
  Simulation<double> sim(s, std::make_unique<CountingBackend>(handed));
  // Six segments of the same dt, as a run's outputs make them.
  for (int k = 1; k <= 6; ++k) sim.advance_to(600.0 * k);
  const std::int64_t steps = std::int64_t(std::llround(s.time.end / *s.time.dt));
  ASSERT_EQ(std::int64_t(handed.step_numbers.size()), steps);
  EXPECT_EQ(handed.transport_tables, 1);
  EXPECT_EQ(handed.cell_models, 1);
  for (std::int64_t i = 0; i < steps; ++i) EXPECT_EQ(handed.step_numbers[std::size_t(i)], i);
  // The drug decays and the plasma moves every step: each step's block is new.
  EXPECT_EQ(std::int64_t(handed.distinct_blocks.size()), steps);
}

// A new step length builds the tables again, once.
TEST(StepParameters, ANewStepLengthHandsTheTablesOverAgain) {
  const Scenario s = changing_every_step();
  Handed handed;
  Simulation<double> sim(s, std::make_unique<CountingBackend>(handed));
  sim.advance_to(600);   // 10 steps of 60 s
  sim.advance_to(1000);  // 7 steps of 400/7 s
  sim.advance_to(1600);  // 10 steps of 60 s again
  EXPECT_EQ(handed.step_numbers.size(), 27u);
  EXPECT_EQ(handed.transport_tables, 3);
  EXPECT_EQ(handed.cell_models, 3);
}

}  // namespace
}  // namespace cyto
