// Checkpoint files: exact round trip, and every kind of damage refused with
// the file and dataset named, never read back as a silently different state.
// The blow-up guard: NaN, infinity and negative values beyond round-off.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>

#include "host/io/checkpoint.hpp"
#include "host/solver/blowup_guard.hpp"
#include "tests/scenario_builders.hpp"
#include "tests/test_backend.hpp"

namespace cyto {
namespace {

namespace fs = std::filesystem;

class Checkpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("cytostorm_checkpoint_{}_{}",
                       ::testing::UnitTest::GetInstance()->current_test_info()->name(), ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  template <class Real>
  static Checkpoint<Real> sample() {
    Checkpoint<Real> c;
    c.scenario_name = "sample";
    c.scenario_yaml = "name: sample\ntime: {end: 1 h}\n";
    c.scenario_hash = "0123456789abcdef";
    c.build = R"({"version": "test"})";
    c.grid = {7, 5, 3, {1e-3, 2e-3, 3e-3}, {2e-5, 2e-5, 3e-5}};
    std::mt19937_64 random(42);
    std::uniform_real_distribution<double> value(0, 1e4);
    for (std::int64_t i = 0; i < c.grid.voxels(); ++i) c.labels.push_back(std::uint8_t(i % 3));
    c.position = {1234.5, 77, 3, 1200.0, 70, 1800.0, 40};
    c.max_dt = 15;
    c.seed = 0xfeedbeefcafef00dull;
    c.field_names = {"species.TNF", "population.cells", "secreted.TNF"};
    for (std::size_t f = 0; f < c.field_names.size(); ++f) {
      std::vector<Real> field;
      for (std::int64_t i = 0; i < c.grid.voxels(); ++i) field.push_back(Real(value(random)));
      c.fields.push_back(field);
    }
    c.plasma = {1.5, 2.5};
    c.blood = {3e6};
    c.drugs = {};
    c.timeseries = {0, 0, 1, 2, 3, 600, 40, 4, 5, 6};
    c.timeseries_rows = 2;
    c.timeseries_width = 5;
    c.wall_seconds = 12.25;
    return c;
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

template <class Real>
void expect_equal(const Checkpoint<Real>& a, const Checkpoint<Real>& b) {
  EXPECT_EQ(a.scenario_name, b.scenario_name);
  EXPECT_EQ(a.scenario_yaml, b.scenario_yaml);
  EXPECT_EQ(a.scenario_hash, b.scenario_hash);
  EXPECT_EQ(a.build, b.build);
  EXPECT_EQ(a.grid.nx, b.grid.nx);
  EXPECT_EQ(a.grid.ny, b.grid.ny);
  EXPECT_EQ(a.grid.nz, b.grid.nz);
  EXPECT_EQ(a.grid.origin, b.grid.origin);
  EXPECT_EQ(a.grid.spacing, b.grid.spacing);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.position.time, b.position.time);
  EXPECT_EQ(a.position.step, b.position.step);
  EXPECT_EQ(a.position.next_output, b.position.next_output);
  EXPECT_EQ(a.position.segment_start_time, b.position.segment_start_time);
  EXPECT_EQ(a.position.segment_start_step, b.position.segment_start_step);
  EXPECT_EQ(a.position.segment_end_time, b.position.segment_end_time);
  EXPECT_EQ(a.position.segment_steps, b.position.segment_steps);
  EXPECT_EQ(a.max_dt, b.max_dt);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.field_names, b.field_names);
  EXPECT_EQ(a.fields, b.fields);  // bitwise: == on every value
  EXPECT_EQ(a.plasma, b.plasma);
  EXPECT_EQ(a.blood, b.blood);
  EXPECT_EQ(a.drugs, b.drugs);
  EXPECT_EQ(a.timeseries, b.timeseries);
  EXPECT_EQ(a.timeseries_rows, b.timeseries_rows);
  EXPECT_EQ(a.timeseries_width, b.timeseries_width);
  EXPECT_EQ(a.wall_seconds, b.wall_seconds);
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
}

// The message of the InputError that reading `path` throws ("" if it reads).
template <class Real>
std::string refusal(const std::string& path) {
  try {
    read_checkpoint<Real>(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST_F(Checkpoints, RoundTripIsExactInBothPrecisions) {
  const Checkpoint<float> f = sample<float>();
  write_checkpoint(path("f.h5"), f);
  expect_equal(read_checkpoint<float>(path("f.h5")), f);
  const Checkpoint<double> d = sample<double>();
  write_checkpoint(path("d.h5"), d);
  expect_equal(read_checkpoint<double>(path("d.h5")), d);
  const CheckpointHeader header = read_checkpoint_header(path("d.h5"));
  EXPECT_EQ(header.format_version, kCheckpointFormatVersion);
  EXPECT_EQ(header.precision, "double");
  EXPECT_EQ(header.step, 77);
  // A run in the other precision is told which one to use.
  EXPECT_NE(refusal<double>(path("f.h5")).find("restart with --precision float"), std::string::npos);
  // No temporary is left next to the file.
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
}

// A byte flipped inside the stored data of any dataset is caught by its
// Fletcher-32 checksum and reported with the file and the dataset.
TEST_F(Checkpoints, AFlippedByteInAnyDatasetIsRefusedNamingIt) {
  const std::string original = path("c.h5");
  write_checkpoint(original, sample<double>());
  const std::vector<StoredChunk> chunks = checkpoint_chunks(original);
  std::set<std::string> datasets;
  for (const StoredChunk& chunk : chunks) datasets.insert(chunk.dataset);
  // Every dataset is chunked (so checksummed): the fields, labels, state, text.
  for (const char* expected : {"/fields/species.TNF", "/labels", "/state/step", "/scenario/yaml", "/rng/seed",
                               "/timeseries/rows", "/plasma/concentration"})
    EXPECT_TRUE(datasets.count(expected)) << expected;
  const std::vector<char> bytes = read_bytes(original);
  int refused = 0;
  for (const StoredChunk& chunk : chunks) {
    if (chunk.size == 0) continue;
    std::vector<char> damaged = bytes;
    damaged[chunk.offset + chunk.size / 2] ^= 0x10;
    const std::string copy = path("damaged.h5");
    write_bytes(copy, damaged);
    const std::string message = refusal<double>(copy);
    EXPECT_NE(message.find(copy), std::string::npos) << chunk.dataset << ": " << message;
    EXPECT_NE(message.find("dataset " + chunk.dataset), std::string::npos) << message;
    EXPECT_NE(message.find("checksum"), std::string::npos) << message;
    refused += !message.empty();
  }
  EXPECT_EQ(refused, int(chunks.size()));
  EXPECT_GE(refused, 20);
}

// A flipped byte anywhere in the file (metadata, headers, data, unused
// space) is either refused or harmless: what is read back is then exactly
// what was written. Never a silently different state.
TEST_F(Checkpoints, AFlippedByteAnywhereIsRefusedOrHarmless) {
  const std::string original = path("c.h5");
  const Checkpoint<double> written = sample<double>();
  write_checkpoint(original, written);
  const std::vector<char> bytes = read_bytes(original);
  std::mt19937 random(7);
  int refused = 0, harmless = 0;
  const int trials = 300;
  for (int trial = 0; trial < trials; ++trial) {
    std::vector<char> damaged = bytes;
    const std::size_t at = std::uniform_int_distribution<std::size_t>(0, bytes.size() - 1)(random);
    damaged[at] ^= char(1 << std::uniform_int_distribution<int>(0, 7)(random));
    const std::string copy = path("damaged.h5");
    write_bytes(copy, damaged);
    try {
      const Checkpoint<double> read = read_checkpoint<double>(copy);
      expect_equal(read, written);
      ++harmless;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(copy), std::string::npos) << e.what();
      ++refused;
    }
  }
  EXPECT_EQ(refused + harmless, trials);
  EXPECT_GT(refused, trials / 2);  // most of the file is checksummed content
  std::printf("[ info     ] %d random byte flips: %d refused, %d in unused bytes (read back exactly)\n",
              trials, refused, harmless);
}

TEST_F(Checkpoints, TruncatedFilesAreRefused) {
  const std::string original = path("c.h5");
  write_checkpoint(original, sample<float>());
  const std::vector<char> bytes = read_bytes(original);
  for (const double fraction : {0.0, 0.001, 0.1, 0.5, 0.9, 0.999}) {
    const std::string copy = path("short.h5");
    write_bytes(copy, std::vector<char>(bytes.begin(),
                                        bytes.begin() + std::ptrdiff_t(fraction * double(bytes.size()))));
    const std::string message = refusal<float>(copy);
    EXPECT_NE(message.find(copy), std::string::npos) << fraction << ": " << message;
    EXPECT_NE(message.find("checkpoint"), std::string::npos) << message;
  }
  EXPECT_NE(refusal<float>(path("absent.h5")).find("no such file"), std::string::npos);
}

TEST_F(Checkpoints, FutureFormatVersionIsRefused) {
  write_checkpoint(path("future.h5"), sample<float>(), kCheckpointFormatVersion + 1);
  const std::string message = refusal<float>(path("future.h5"));
  EXPECT_NE(message.find(fmt::format("format version {} was written by a newer cytostorm",
                                     kCheckpointFormatVersion + 1)),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(path("future.h5")), std::string::npos);
  write_checkpoint(path("zero.h5"), sample<float>(), 0);
  EXPECT_NE(refusal<float>(path("zero.h5")).find("not a valid version"), std::string::npos);
}

TEST_F(Checkpoints, OtherFilesAreNotCheckpoints) {
  write_bytes(path("text.h5"), {'h', 'e', 'l', 'l', 'o'});
  EXPECT_NE(refusal<float>(path("text.h5")).find("cannot be opened as HDF5"), std::string::npos);
  // An HDF5 file of another kind (a snapshot's geometry file).
  const DenseGrid grid{2, 2, 2, {0, 0, 0}, {1, 1, 1}};
  SnapshotWriter(dir_.string(), grid, std::vector<std::uint8_t>(8, 1), {{"t", 1, {}}});
  EXPECT_NE(refusal<float>(path("geometry.h5")).find("not a cytostorm checkpoint"), std::string::npos);
}

TEST_F(Checkpoints, PruningKeepsTheNewestAndRemovesDeadTemporaries) {
  for (std::int64_t step : {10, 30, 20, 40})
    write_checkpoint(path(checkpoint_file_name(step)), sample<float>());
  write_bytes(path(checkpoint_file_name(50) + ".tmp.999999"), {'x'});  // a killed writer's
  EXPECT_EQ(prune_checkpoints(dir_.string(), 2), 3);
  const std::vector<cyto::CheckpointFile> left = list_checkpoints(dir_.string());
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].step, 40);
  EXPECT_EQ(left[1].step, 30);
}

// Overwrites one value of a dataset through the HDF5 C API: the filter
// recomputes the Fletcher-32 checksum, so the damage passes every checksum.
template <class T>
void alter_value(const std::string& file, const std::string& dataset, std::size_t index, T value) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
  ASSERT_GE(d, 0);
  const hid_t type = std::is_same_v<T, float> ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
  const hid_t space = H5Dget_space(d);
  std::vector<T> values(std::size_t(H5Sget_simple_extent_npoints(space)));
  ASSERT_GE(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
  values.at(index) = value;
  ASSERT_GE(H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
  H5Sclose(space);
  H5Dclose(d);
  H5Fclose(f);
}

// Valid checksums, contents no run reaches: refused on load, naming the file,
// the dataset, the first bad voxel (i, j, k) and its value.
TEST_F(Checkpoints, NonFiniteOrNegativeValuesWithValidChecksumsAreRefusedNamingTheVoxel) {
  const Checkpoint<float> c = sample<float>();    // 7 x 5 x 3 voxels
  const std::size_t voxel = 3 + 7 * (2 + 5 * 1);  // (3, 2, 1)
  struct Case {
    std::string dataset;
    double value;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"/fields/species.TNF", std::nan(""), "dataset /fields/species.TNF: voxel (3, 2, 1) holds nan (NaN)"},
      {"/fields/population.cells", -5,
       "dataset /fields/population.cells: voxel (3, 2, 1) holds -5 (negative)"},
      {"/fields/secreted.TNF", HUGE_VAL,
       "dataset /fields/secreted.TNF: voxel (3, 2, 1) holds inf (infinite)"},
      {"/plasma/blood", -1, "dataset /plasma/blood: entry 0 holds -1 (negative)"},
      {"/plasma/concentration", std::nan(""), "dataset /plasma/concentration: entry 0 holds nan"},
  };
  for (const Case& k : cases) {
    write_checkpoint(path("c.h5"), c);
    if (k.dataset.rfind("/fields/", 0) == 0)
      alter_value<float>(path("c.h5"), k.dataset, voxel, float(k.value));
    else
      alter_value<double>(path("c.h5"), k.dataset, 0, k.value);
    const std::string message = refusal<float>(path("c.h5"));
    EXPECT_EQ(message.rfind(path("c.h5") + ": checkpoint: " + k.expected, 0), 0u) << message;
    EXPECT_NE(message.find("the checksums verify"), std::string::npos) << message;
    EXPECT_LE(message.size(), 400u);
  }
  // Round-off below zero (as the blow-up guard lets it through) is a state.
  write_checkpoint(path("c.h5"), c);
  alter_value<float>(path("c.h5"), "/fields/species.TNF", voxel, -1e-6f);  // the largest is ~1e4
  EXPECT_EQ(refusal<float>(path("c.h5")), "");
  // A block reader sees non-finite values; negative ones need the whole field's largest value.
  write_checkpoint(path("c.h5"), c);
  alter_value<float>(path("c.h5"), "/fields/species.TNF", voxel, -5.0f);
  const Box block{{2, 1, 1}, {3, 3, 2}};
  const Checkpoint<float> part = read_checkpoint_block<float>(path("c.h5"), block);
  const std::vector<double> largest(part.fields.size(), 1e4);
  EXPECT_EQ(scan_checkpoint_values(part, block, &largest)
                .rfind("dataset /fields/species.TNF: voxel (3, 2, 1) holds -5 (negative)", 0),
            0u);
  alter_value<float>(path("c.h5"), "/fields/species.TNF", voxel, std::nanf(""));
  EXPECT_THROW(read_checkpoint_block<float>(path("c.h5"), block), InputError);
}

// A checkpoint path that is not a file says what it is, and a FIFO is
// refused without being opened (an open would wait for a writer forever).
TEST_F(Checkpoints, PathsThatAreNotRegularFilesAreNamedWithoutOpeningThem) {
  EXPECT_NE(refusal<float>(dir_.string()).find("the path is a directory"), std::string::npos);
  EXPECT_NE(refusal<float>("/dev/null").find("the path is a character device"), std::string::npos);
  EXPECT_NE(refusal<float>(path("absent.h5")).find("no such file"), std::string::npos);
  ASSERT_EQ(::mkfifo(path("fifo.h5").c_str(), 0600), 0);
  auto reading = std::async(std::launch::async, [&] { return refusal<float>(path("fifo.h5")); });
  const bool answered = reading.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  if (!answered) ::close(::open(path("fifo.h5").c_str(), O_RDWR | O_NONBLOCK));  // unblock it to fail cleanly
  ASSERT_TRUE(answered) << "reading a FIFO blocked";
  EXPECT_NE(reading.get().find("the path is a FIFO (named pipe)"), std::string::npos);
}

// Format 2 records the outputs' fingerprints; format 1 files are still read,
// marked as recording none.
TEST_F(Checkpoints, OutputFingerprintsRoundTripAndFormatOneIsStillRead) {
  Checkpoint<double> c = sample<double>();
  c.outputs = {
      {"geometry.h5", 4096, 0x12345678}, {"snapshot_000000.h5", 99, -1}, {"snapshot_000001.h5", -1, -1}};
  write_checkpoint(path("v2.h5"), c);
  const Checkpoint<double> back = read_checkpoint<double>(path("v2.h5"));
  ASSERT_TRUE(back.outputs_recorded);
  ASSERT_EQ(back.outputs.size(), 3u);
  for (std::size_t n = 0; n < 3; ++n) {
    EXPECT_EQ(back.outputs[n].name, c.outputs[n].name);
    EXPECT_EQ(back.outputs[n].size, c.outputs[n].size);
    EXPECT_EQ(back.outputs[n].crc32, c.outputs[n].crc32);
  }
  write_checkpoint(path("v1.h5"), c, 1);
  const Checkpoint<double> old = read_checkpoint<double>(path("v1.h5"));
  EXPECT_FALSE(old.outputs_recorded);
  EXPECT_TRUE(old.outputs.empty());
  expect_equal(old, c);
  EXPECT_EQ(read_checkpoint_header(path("v1.h5")).format_version, 1);
}

TEST(TimeSeriesFlattening, RoundTripsEveryNumber) {
  TimeSeriesRow row;
  row.time_s = 60;
  row.step = 4;
  row.stats = {{{1, 2, 3}, {4, 5, 6}}};
  row.populations = {{{7, 8, 9}, {10, 11, 12}}};
  row.budget = {{{13, 14, 15}, {16, 17, 18}}};
  row.plasma = {19};
  row.blood = {20};
  row.drugs = {21, 22};
  const std::vector<double> flat = flatten_timeseries_row(row);
  ASSERT_EQ(flat.size(), 24u);
  std::vector<double> two = flat;
  two.insert(two.end(), flat.begin(), flat.end());
  two[24] = 120;
  const std::vector<TimeSeriesRow> back = unflatten_timeseries(two, 2, row);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(flatten_timeseries_row(back[0]), flat);
  EXPECT_EQ(back[1].time_s, 120);
  EXPECT_THROW(unflatten_timeseries(flat, 2, row), RuntimeFailure);
}

// ---- the blow-up guard ----

using testing::box_scenario;
using testing::make_species;

Simulation<double> small_simulation() {
  Scenario s = box_scenario({6, 5, 4}, {2e-5, 2e-5, 2e-5});
  s.species.push_back(make_species("TNF", {1e-13}, 0, 10.0));
  s.species.push_back(make_species("IL6", {1e-13}, 0, 5.0));
  return Simulation<double>(s, testing::backend_under_test<double>(1));
}

std::string guard_message(Simulation<double>& sim, const std::string& directory) {
  BlowUpGuard<double> guard(sim, {"TNF", "IL6"}, directory);
  try {
    guard.check("the test");
  } catch (const RuntimeFailure& e) {
    return e.what();
  }
  return "";
}

TEST_F(Checkpoints, GuardPassesCleanFieldsAndRoundOff) {
  Simulation<double> sim = small_simulation();
  EXPECT_EQ(guard_message(sim, dir_.string()), "");
  std::vector<double> field = sim.field(1);
  field[7] = -1e-15;  // round-off below a maximum of 5
  sim.set_field(1, field);
  EXPECT_EQ(guard_message(sim, dir_.string()), "");
}

TEST_F(Checkpoints, GuardNamesNegativeNanAndInfiniteValuesWithTheirVoxel) {
  for (const double bad : {-1e-3, std::nan(""), HUGE_VAL}) {
    Simulation<double> sim = small_simulation();
    std::vector<double> field = sim.field(1);
    field[std::size_t(sim.tissues().index(2, 3, 1))] = bad;
    sim.set_field(1, field);
    const std::string message = guard_message(sim, dir_.string());
    EXPECT_NE(message.find("IL6 is"), std::string::npos) << message;
    EXPECT_NE(message.find(std::isnan(bad)   ? "(NaN)"
                           : std::isinf(bad) ? "(infinite)"
                                             : "(negative)"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("voxel (2, 3, 1)"), std::string::npos) << message;
    EXPECT_NE(message.find("position (0.05, 0.07, 0.03) mm"), std::string::npos) << message;
    EXPECT_NE(message.find("neighbours -x 5, +x 5, -y 5, +y 5, -z 5, +z 5"), std::string::npos) << message;
    EXPECT_TRUE(fs::exists(dir_ / "diagnostic_step_000000000000.h5")) << message;
    // Without a checkpoint known to be good, it does not claim one.
    EXPECT_NE(message.find("no checkpoint of a good state is known"), std::string::npos) << message;
    EXPECT_EQ(message.find("the newest checkpoint is the last good state"), std::string::npos) << message;
  }
}

TEST_F(Checkpoints, GuardNamesTheNewestCheckpointOfAGoodState) {
  Simulation<double> sim = small_simulation();
  std::vector<double> field = sim.field(0);
  field[3] = std::nan("");
  sim.set_field(0, field);
  BlowUpGuard<double> guard(sim, {"TNF", "IL6"}, dir_.string(), {}, [] { return std::string("out/c_7.h5"); });
  try {
    guard.check("the test");
    ADD_FAILURE() << "the guard let a NaN through";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("the newest checkpoint of a good state is out/c_7.h5"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace cyto
