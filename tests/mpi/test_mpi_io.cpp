// Parallel HDF5 output under mpirun: checkpoints and snapshots written by P
// ranks together are the files one process writes (same datasets, shapes,
// types, chunks, checksums, attributes; the same values bit for bit), and any
// number of processes reads blocks of them back. Every test is collective;
// rank 0 compares with files it writes alone, and the other ranks' findings
// are reported through rank 0.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "host/core/error.hpp"
#include "host/geometry/geometry.hpp"
#include "host/io/checkpoint.hpp"
#include "host/io/hdf5_io.hpp"
#include "host/io/output.hpp"
#include "host/parallel/decomposition.hpp"
#include "host/parallel/parallel.hpp"

namespace cyto {
namespace {

namespace fs = std::filesystem;

// ---- reporting: findings of every rank, asserted on rank 0 ----

// Collective: every rank's problems reach rank 0 as test failures (only rank
// 0 prints), and every rank learns whether there were any.
bool report(const par::Comm& comm, const std::vector<std::string>& problems) {
  std::string text;
  for (const std::string& p : problems) text += p + "\n";
  const auto parts = comm.gather(text.data(), text.size());
  if (comm.root())
    for (std::size_t r = 0; r < parts.size(); ++r)
      if (!parts[r].empty())
        ADD_FAILURE() << "rank " << r << ":\n"
                      << std::string(reinterpret_cast<const char*>(parts[r].data()), parts[r].size());
  return !comm.any(!problems.empty());
}

// ---- the data: values that any rank computes for any voxel ----

std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Tissue inside an ellipsoid: the corners are empty, so a decomposition may
// give some blocks to no rank.
bool tissue_at(const DenseGrid& g, int i, int j, int k) {
  const double x = (i + 0.5) / g.nx - 0.5, y = (j + 0.5) / g.ny - 0.5, z = (k + 0.5) / g.nz - 0.5;
  return x * x + y * y + z * z < 0.2;
}

std::uint8_t label_at(const DenseGrid& g, int i, int j, int k) {
  return tissue_at(g, i, j, k) ? std::uint8_t(1 + (i + j + k) % 3) : 0;
}

// Field values are 0 outside tissue, like a simulation's.
template <class Real>
Real value_at(const DenseGrid& g, std::size_t field, int i, int j, int k) {
  if (!tissue_at(g, i, j, k)) return Real(0);
  const std::uint64_t index =
      std::uint64_t(i) + std::uint64_t(g.nx) * (std::uint64_t(j) + std::uint64_t(g.ny) * k);
  return Real(double(mix(index * 7 + field) >> 11) * 0x1p-53 * 1e4);
}

Box whole(const DenseGrid& g) { return Box{{0, 0, 0}, {g.nx, g.ny, g.nz}}; }

template <class T, class F>
std::vector<T> block_values(const Box& b, F&& at) {
  std::vector<T> out;
  out.reserve(std::size_t(b.voxels()));
  for (int k = b.lo[2]; k < b.lo[2] + b.size[2]; ++k)
    for (int j = b.lo[1]; j < b.lo[1] + b.size[1]; ++j)
      for (int i = b.lo[0]; i < b.lo[0] + b.size[0]; ++i) out.push_back(at(i, j, k));
  return out;
}

TissueMap tissue_map(const DenseGrid& g) {
  TissueMap map;
  map.grid = g;
  map.voxel_count = {0};
  for (int k = 0; k < g.nz; ++k)
    for (int j = 0; j < g.ny; ++j)
      for (int i = 0; i < g.nx; ++i) {
        const bool inside = tissue_at(g, i, j, k);
        map.tissue.push_back(inside ? 1 : 0);
        map.voxel_count[0] += inside;
      }
  map.tissue_voxels = map.voxel_count[0];
  return map;
}

// This rank's block of a real decomposition of the tissue above.
Box rank_block(const par::Comm& comm, const DenseGrid& g) {
  const Decomposition d = decompose(tissue_map(g), comm.size(), std::nullopt);
  return d.rank_box(comm.rank());
}

const std::vector<std::string> kFieldNames{"species.TNF", "population.cells", "secreted.TNF"};

// A checkpoint holding `block` of the grid (the whole grid: the serial one).
template <class Real>
Checkpoint<Real> sample(const DenseGrid& g, const Box& block) {
  Checkpoint<Real> c;
  c.scenario_name = "sample";
  c.scenario_yaml = "name: sample\ntime: {end: 1 h}\n";
  c.scenario_hash = "0123456789abcdef";
  c.build = R"({"version": "test"})";
  c.grid = g;
  c.labels = block_values<std::uint8_t>(block, [&](int i, int j, int k) { return label_at(g, i, j, k); });
  c.position = {1234.5, 77, 3, 1200.0, 70, 1800.0, 40};
  c.max_dt = 15;
  c.seed = 0xfeedbeefcafef00dull;
  c.field_names = kFieldNames;
  for (std::size_t f = 0; f < c.field_names.size(); ++f)
    c.fields.push_back(
        block_values<Real>(block, [&](int i, int j, int k) { return value_at<Real>(g, f, i, j, k); }));
  c.plasma = {1.5, 2.5};
  c.blood = {3e6};
  c.drugs = {};
  c.timeseries = {0, 0, 1, 2, 3, 600, 40, 4, 5, 6};
  c.timeseries_rows = 2;
  c.timeseries_width = 5;
  c.wall_seconds = 12.25;
  return c;
}

// Every difference between two checkpoints (the grids' data compared as blocks of `block`).
template <class Real>
std::vector<std::string> differences(const Checkpoint<Real>& a, const Checkpoint<Real>& b) {
  std::vector<std::string> out;
  const auto same = [&](bool equal, const char* what) {
    if (!equal) out.push_back(what);
  };
  same(a.scenario_name == b.scenario_name, "scenario_name");
  same(a.scenario_yaml == b.scenario_yaml, "scenario_yaml");
  same(a.scenario_hash == b.scenario_hash, "scenario_hash");
  same(a.build == b.build, "build");
  same(a.grid.nx == b.grid.nx && a.grid.ny == b.grid.ny && a.grid.nz == b.grid.nz, "grid shape");
  same(a.grid.origin == b.grid.origin && a.grid.spacing == b.grid.spacing, "grid origin/spacing");
  same(a.labels == b.labels, "labels");
  const RunPosition &p = a.position, &q = b.position;
  same(p.time == q.time && p.step == q.step && p.next_output == q.next_output &&
           p.segment_start_time == q.segment_start_time && p.segment_start_step == q.segment_start_step &&
           p.segment_end_time == q.segment_end_time && p.segment_steps == q.segment_steps,
       "position");
  same(a.max_dt == b.max_dt, "max_dt");
  same(a.seed == b.seed, "seed");
  same(a.field_names == b.field_names, "field_names");
  same(a.fields.size() == b.fields.size(), "field count");
  for (std::size_t f = 0; f < std::min(a.fields.size(), b.fields.size()); ++f)
    // Bitwise: memcmp, so that a -0 for 0 or another NaN would show.
    same(a.fields[f].size() == b.fields[f].size() &&
             std::memcmp(a.fields[f].data(), b.fields[f].data(), a.fields[f].size() * sizeof(Real)) == 0,
         "fields");
  same(a.plasma == b.plasma && a.blood == b.blood && a.drugs == b.drugs, "plasma, blood or drugs");
  same(a.timeseries == b.timeseries && a.timeseries_rows == b.timeseries_rows &&
           a.timeseries_width == b.timeseries_width,
       "time series");
  same(a.wall_seconds == b.wall_seconds, "wall_seconds");
  return out;
}

// ---- the files' structure, attribute by attribute ----

std::uint64_t fnv1a(const void* data, std::size_t bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < bytes; ++i)
    h = (h ^ static_cast<const unsigned char*>(data)[i]) * 0x100000001b3ull;
  return h;
}

std::string type_text(hid_t type) {
  std::string text = fmt::format("class {} size {}", int(H5Tget_class(type)), H5Tget_size(type));
  if (H5Tget_class(type) == H5T_INTEGER || H5Tget_class(type) == H5T_FLOAT)
    text += fmt::format(" order {} sign {}", int(H5Tget_order(type)),
                        H5Tget_class(type) == H5T_INTEGER ? int(H5Tget_sign(type)) : -1);
  if (H5Tget_class(type) == H5T_STRING)
    text += fmt::format(" pad {} cset {} variable {}", int(H5Tget_strpad(type)), int(H5Tget_cset(type)),
                        H5Tis_variable_str(type));
  return text;
}

std::string space_text(hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(std::size_t(std::max(rank, 0))), max_dims(dims.size());
  H5Sget_simple_extent_dims(space, dims.data(), max_dims.data());
  std::string text = fmt::format("type {} dims", int(H5Sget_simple_extent_type(space)));
  for (std::size_t i = 0; i < dims.size(); ++i)
    text +=
        fmt::format(" {}/{}", dims[i],
                    max_dims[i] == H5S_UNLIMITED ? std::string("unlimited") : std::to_string(max_dims[i]));
  return text;
}

void describe_attributes(hid_t object, const std::string& where, std::map<std::string, std::string>& out) {
  struct Context {
    std::string where;
    std::map<std::string, std::string>* out;
  } context{where, &out};
  hsize_t index = 0;
  H5Aiterate2(
      object, H5_INDEX_NAME, H5_ITER_INC, &index,
      [](hid_t location, const char* name, const H5A_info_t*, void* data) -> herr_t {
        auto* c = static_cast<Context*>(data);
        const hid_t attribute = H5Aopen(location, name, H5P_DEFAULT);
        const hid_t type = H5Aget_type(attribute);
        const hid_t space = H5Aget_space(attribute);
        std::vector<char> bytes(std::size_t(H5Sget_simple_extent_npoints(space)) * H5Tget_size(type));
        H5Aread(attribute, type, bytes.data());
        (*c->out)[c->where + "@" + name] = fmt::format("{}; {}; {:016x}", type_text(type), space_text(space),
                                                       fnv1a(bytes.data(), bytes.size()));
        H5Sclose(space);
        H5Tclose(type);
        H5Aclose(attribute);
        return 0;
      },
      &context);
}

// Every group, dataset (type, shape, layout, chunks, filters, a hash of its
// values) and attribute (type, shape, a hash of its value) of a file.
std::map<std::string, std::string> describe(const std::string& path) {
  std::map<std::string, std::string> out;
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) {
    out["error"] = "cannot open " + path;
    return out;
  }
  describe_attributes(file, "/", out);
  H5Ovisit(
      file, H5_INDEX_NAME, H5_ITER_INC,
      [](hid_t root, const char* name, const H5O_info_t* info, void* data) -> herr_t {
        auto& found = *static_cast<std::map<std::string, std::string>*>(data);
        const std::string where = std::string("/") + name;
        if (info->type == H5O_TYPE_GROUP) {
          found[where] = "group";
          const hid_t group = H5Gopen2(root, name, H5P_DEFAULT);
          if (where != "/") describe_attributes(group, where, found);
          H5Gclose(group);
          return 0;
        }
        if (info->type != H5O_TYPE_DATASET) return 0;
        const hid_t dataset = H5Dopen2(root, name, H5P_DEFAULT);
        const hid_t type = H5Dget_type(dataset);
        const hid_t space = H5Dget_space(dataset);
        const hid_t creation = H5Dget_create_plist(dataset);
        std::string text = type_text(type) + "; " + space_text(space);
        const H5D_layout_t layout = H5Pget_layout(creation);
        text += fmt::format("; layout {}", int(layout));
        if (layout == H5D_CHUNKED) {
          hsize_t chunk[H5S_MAX_RANK] = {};
          const int rank = H5Pget_chunk(creation, H5S_MAX_RANK, chunk);
          text += " chunk";
          for (int i = 0; i < rank; ++i) text += fmt::format(" {}", chunk[i]);
        }
        for (int i = 0; i < H5Pget_nfilters(creation); ++i) {
          unsigned flags = 0;
          std::size_t count = 0;
          text += fmt::format(" filter {}", int(H5Pget_filter2(creation, unsigned(i), &flags, &count, nullptr,
                                                               0, nullptr, nullptr)));
        }
        std::vector<char> bytes(std::size_t(H5Sget_simple_extent_npoints(space)) * H5Tget_size(type));
        if (!bytes.empty() && H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) < 0)
          text += " UNREADABLE";
        text += fmt::format("; values {:016x}", fnv1a(bytes.data(), bytes.size()));
        found[where] = text;
        describe_attributes(dataset, where, found);
        H5Pclose(creation);
        H5Sclose(space);
        H5Tclose(type);
        H5Dclose(dataset);
        return 0;
      },
      &out);
  H5Fclose(file);
  return out;
}

std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

// ---- the fixture: one directory shared by the ranks ----

class MpiIo : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name;
    if (world_.root()) {
      name = (fs::temp_directory_path() /
              fmt::format("cytostorm_mpiio_{}_{}",
                          ::testing::UnitTest::GetInstance()->current_test_info()->name(), ::getpid()))
                 .string();
      fs::remove_all(name);
      fs::create_directories(name);
    }
    world_.broadcast(name);
    dir_ = name;
  }
  void TearDown() override {
    world_.barrier();
    if (world_.root()) fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  bool no_temporaries() const {
    for (const auto& entry : fs::recursive_directory_iterator(dir_))
      if (entry.path().filename().string().find(".tmp.") != std::string::npos) return false;
    return true;
  }

  // A collective checkpoint of `g` by this rank's decomposition block equals
  // the serial one: read back, and attribute by attribute.
  template <class Real>
  void expect_collective_is_serial(const DenseGrid& g) {
    const Box block = rank_block(world_, g);
    write_checkpoint_collective(world_, path("parallel.h5"), sample<Real>(g, block), block);
    if (!world_.root()) return;
    const Checkpoint<Real> expected = sample<Real>(g, whole(g));
    write_checkpoint(path("serial.h5"), expected);
    const Checkpoint<Real> serial = read_checkpoint<Real>(path("serial.h5"));
    const Checkpoint<Real> parallel = read_checkpoint<Real>(path("parallel.h5"));
    EXPECT_EQ(differences(serial, parallel), std::vector<std::string>{});
    EXPECT_EQ(differences(expected, parallel), std::vector<std::string>{});
    const auto described = describe(path("serial.h5"));
    EXPECT_GT(described.size(), 40u);  // every group, dataset and attribute
    EXPECT_EQ(described.count("error"), 0u);
    EXPECT_EQ(described, describe(path("parallel.h5")));
    const CheckpointHeader h = read_checkpoint_header(path("parallel.h5"));
    EXPECT_EQ(h.format_version, kCheckpointFormatVersion);
    EXPECT_EQ(h.precision, sizeof(Real) == 4 ? "float" : "double");
    EXPECT_EQ(h.step, 77);
    EXPECT_EQ(h.time, 1234.5);
    // Every grid dataset still carries its checksum in every chunk.
    std::set<std::string> checked;
    for (const StoredChunk& chunk : checkpoint_chunks(path("parallel.h5"))) checked.insert(chunk.dataset);
    for (const std::string& name : kFieldNames) EXPECT_TRUE(checked.count("/fields/" + name)) << name;
    EXPECT_TRUE(checked.count("/labels"));
    EXPECT_TRUE(no_temporaries());
  }

  const par::Comm world_ = par::Comm::world();
  fs::path dir_;
};

// A 64 x 48 x 48 grid of doubles: two chunks of 42 and 6 z-planes per field,
// shared by several ranks' blocks.
const DenseGrid kLarge{64, 48, 48, {1e-3, 2e-3, 3e-3}, {2e-5, 2e-5, 3e-5}};
// 24 x 16 x 20: one chunk per field, holding every rank's block.
const DenseGrid kSmall{24, 16, 20, {0, 0, 0}, {1e-5, 1e-5, 1e-5}};

TEST_F(MpiIo, CollectiveCheckpointIsTheSerialOneInDouble) { expect_collective_is_serial<double>(kLarge); }

TEST_F(MpiIo, CollectiveCheckpointIsTheSerialOneInFloat) { expect_collective_is_serial<float>(kSmall); }

// Alone, the collective writer is write_checkpoint: the same bytes.
TEST_F(MpiIo, OneRankCollectiveCheckpointIsTheSerialFileByteForByte) {
  if (world_.root()) {
    const Checkpoint<double> c = sample<double>(kSmall, whole(kSmall));
    // The root group of an HDF5 1.10 format file carries time stamps in whole
    // seconds (as write_checkpoint's always has): two files written within one
    // second are identical, and three tries find such a second.
    bool same = false;
    for (int attempt = 0; attempt < 3 && !same; ++attempt) {
      write_checkpoint(path("serial.h5"), c);
      write_checkpoint_collective(par::Comm::self(), path("alone.h5"), c, whole(kSmall));
      same = file_bytes(path("serial.h5")) == file_bytes(path("alone.h5"));
    }
    EXPECT_TRUE(same);
  }
}

// Voxels that no rank's block covers (tissue-free blocks) read back as 0,
// with valid checksums.
TEST_F(MpiIo, VoxelsNoBlockCoversReadAsZero) {
  const DenseGrid& g = kLarge;
  // z-slabs of the lower 40 planes; planes 40..47 are nobody's.
  const int covered = 40, n = world_.size(), r = world_.rank();
  const Box block{{0, 0, covered * r / n}, {g.nx, g.ny, covered * (r + 1) / n - covered * r / n}};
  Checkpoint<double> c = sample<double>(g, block);
  write_checkpoint_collective(world_, path("gaps.h5"), c, block);
  // A snapshot alike (contiguous datasets): read back whole by every rank.
  {
    SnapshotWriter snapshots(world_, path("snapshots"), g,
                             world_.root() ? sample<double>(g, whole(g)).labels : std::vector<std::uint8_t>{},
                             {});
    const std::vector<float> tnf(c.fields[0].begin(), c.fields[0].end());
    snapshots.write_collective(world_, 0, 0, {{"TNF", tnf.data(), Precision::Float}}, block);
  }
  std::vector<float> whole_tnf(std::size_t(g.voxels()), -1.0f);
  std::vector<std::string> problems;
  const hid_t file = H5Fopen(path("snapshots/snapshot_000000.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  try {
    h5::read_block_dataset(file, "/fields/TNF", H5T_NATIVE_FLOAT, whole(g), whole_tnf.data());
    std::vector<double> expected = sample<double>(g, Box{{0, 0, 0}, {g.nx, g.ny, covered}}).fields[0];
    expected.resize(std::size_t(g.voxels()), 0.0);
    if (whole_tnf != std::vector<float>(expected.begin(), expected.end()))
      problems.push_back("the snapshot's TNF differs");
  } catch (const std::exception& e) {
    problems.push_back(e.what());
  }
  if (file >= 0) H5Fclose(file);
  EXPECT_TRUE(report(world_, problems));
  if (!world_.root()) return;
  const Checkpoint<double> back = read_checkpoint<double>(path("gaps.h5"));
  const Box lower{{0, 0, 0}, {g.nx, g.ny, covered}};
  for (std::size_t f = 0; f < kFieldNames.size(); ++f) {
    std::vector<double> expected = sample<double>(g, lower).fields[f];
    expected.resize(std::size_t(g.voxels()), 0.0);
    EXPECT_TRUE(back.fields[f] == expected) << kFieldNames[f];
  }
}

// Blocks of a file written by P ranks, read by Q = 1, P + 1 and other splits.
TEST_F(MpiIo, BlocksReadBackForAnyRankCount) {
  const DenseGrid& g = kLarge;
  const Box mine = rank_block(world_, g);
  write_checkpoint_collective(world_, path("c.h5"), sample<double>(g, mine), mine);
  std::vector<Box> reads;
  const int p = world_.size(), r = world_.rank();
  const auto slabs = [&](int axis, int q) {
    const int extent = axis == 0 ? g.nx : axis == 1 ? g.ny : g.nz;
    for (int s = r; s < q; s += p) {  // every slab is read by some rank
      Box b = whole(g);
      b.lo[std::size_t(axis)] = extent * s / q;
      b.size[std::size_t(axis)] = extent * (s + 1) / q - extent * s / q;
      reads.push_back(b);
    }
  };
  slabs(2, 1);      // Q = 1: the whole grid
  slabs(2, p + 1);  // Q = P + 1 z-slabs
  slabs(0, p + 2);  // x-slabs
  slabs(1, 2 * p + 1);
  reads.push_back(Box{{3 + r, 5, 7}, {11, 13, 17}});  // odd blocks across chunk edges
  reads.push_back(Box{{r % 8, 40, 30}, {1, 1, 18}});
  reads.push_back(Box{{0, 0, 0}, {0, 0, 0}});  // nothing
  std::vector<std::string> problems;
  for (const Box& b : reads) {
    const std::string where = fmt::format("block {}x{}x{} at ({}, {}, {})", b.size[0], b.size[1], b.size[2],
                                          b.lo[0], b.lo[1], b.lo[2]);
    try {
      const Checkpoint<double> got = read_checkpoint_block<double>(path("c.h5"), b);
      for (const std::string& d : differences(sample<double>(g, b), got))
        problems.push_back(where + ": " + d);
    } catch (const std::exception& e) {
      problems.push_back(where + ": " + e.what());
    }
  }
  // A block outside the grid is refused, naming the file.
  try {
    read_checkpoint_block<double>(path("c.h5"), Box{{60, 0, 0}, {8, 1, 1}});
    problems.push_back("a block outside the grid was read");
  } catch (const InputError& e) {
    if (std::string(e.what()).find("outside the grid") == std::string::npos ||
        std::string(e.what()).find(path("c.h5")) == std::string::npos)
      problems.push_back(std::string("refusal of a block outside the grid: ") + e.what());
  }
  EXPECT_TRUE(report(world_, problems));
}

// A byte flipped in a field's chunk: every block that touches the chunk is
// refused naming the file, the dataset and the checksum; the others read.
TEST_F(MpiIo, ADamagedChunkIsRefusedByTheBlocksThatTouchIt) {
  const DenseGrid& g = kLarge;
  const Box mine = rank_block(world_, g);
  const std::string file = path("c.h5");
  write_checkpoint_collective(world_, file, sample<double>(g, mine), mine);
  const std::string damaged = "/fields/" + kFieldNames[1];
  // The damaged chunk's z-planes [z0, z1), from rank 0.
  std::int64_t planes[2] = {0, 0};
  if (world_.root()) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    const hid_t d = H5Dopen2(f, damaged.c_str(), H5P_DEFAULT);
    const hid_t creation = H5Dget_create_plist(d);
    hsize_t chunk[3] = {}, offset[3] = {}, size = 0;
    haddr_t address = 0;
    unsigned mask = 0;
    H5Pget_chunk(creation, 3, chunk);
    const hid_t space = H5Dget_space(d);
    H5Dget_chunk_info(d, space, 1, offset, &mask, &address, &size);  // the second chunk: z from 42
    H5Sclose(space);
    H5Pclose(creation);
    H5Dclose(d);
    H5Fclose(f);
    planes[0] = std::int64_t(offset[0]);
    planes[1] = std::min<std::int64_t>(g.nz, std::int64_t(offset[0] + chunk[0]));
    EXPECT_GT(size, 0u);
    EXPECT_GT(planes[0], 0);  // not the first chunk: the one rank 0's block need not touch
    std::vector<char> bytes = file_bytes(file);
    bytes[std::size_t(address + size / 2)] ^= 0x10;
    std::ofstream(file, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), std::streamsize(bytes.size()));
  }
  world_.broadcast(planes, sizeof planes);  // also: no rank reads before the damage

  std::vector<std::string> problems;
  bool refused_here = false;
  const int p = world_.size(), r = world_.rank(), q = p + 1;
  std::vector<Box> reads{whole(g)};
  for (int s = r; s < q; s += p) {
    Box b = whole(g);
    b.lo[2] = g.nz * s / q;
    b.size[2] = g.nz * (s + 1) / q - g.nz * s / q;
    reads.push_back(b);
  }
  reads.push_back(Box{{0, 0, 0}, {g.nx, g.ny, int(planes[0])}});  // just below the damaged chunk
  for (const Box& b : reads) {
    const bool touches = b.lo[2] < planes[1] && b.lo[2] + b.size[2] > planes[0];
    const std::string where = fmt::format("z-block [{}, {})", b.lo[2], b.lo[2] + b.size[2]);
    try {
      const Checkpoint<double> got = read_checkpoint_block<double>(file, b);
      if (touches) problems.push_back(where + " touches the damaged chunk but was read");
      for (const std::string& d : differences(sample<double>(g, b), got))
        problems.push_back(where + ": " + d);
    } catch (const InputError& e) {
      refused_here = true;
      const std::string message = e.what();
      if (!touches) problems.push_back(where + " was refused: " + message);
      for (const std::string& part : {file, damaged, std::string("checksum")})
        if (message.find(part) == std::string::npos)
          problems.push_back(where + ": the refusal does not name " + part + ": " + message);
    }
  }
  EXPECT_TRUE(report(world_, problems));
  EXPECT_TRUE(world_.any(refused_here));
  if (world_.root()) {
    EXPECT_THROW(read_checkpoint<double>(file), InputError);
  }
}

// Failures become one RuntimeFailure on every rank, with no temporary left.
TEST_F(MpiIo, AFailureIsTheSameRuntimeFailureOnEveryRank) {
  const DenseGrid& g = kSmall;
  const Box mine = rank_block(world_, g);
  const auto message = [&](const std::string& target, const Checkpoint<float>& c) {
    try {
      write_checkpoint_collective(world_, target, c, mine);
    } catch (const RuntimeFailure& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  std::vector<std::string> problems;
  // A directory that does not exist: HDF5 cannot create the file.
  const std::string missing = path("no/such/dir/c.h5");
  const std::string a = message(missing, sample<float>(g, mine));
  if (a.rfind("cannot write " + missing + ": ", 0) != 0) problems.push_back("missing directory: '" + a + "'");
  // The last rank's data does not match its block: refused before writing.
  Checkpoint<float> c = sample<float>(g, mine);
  if (world_.rank() == world_.size() - 1) c.fields[2].pop_back();
  const std::string b = message(path("c.h5"), c);
  if (b.rfind("cannot write " + path("c.h5") + ": ", 0) != 0 ||
      b.find(fmt::format("rank {}", world_.size() - 1)) == std::string::npos)
    problems.push_back("mismatched block: '" + b + "'");
  // The same message everywhere: compare with rank 0's.
  std::string both = a + "\n" + b, root_both = both;
  world_.broadcast(root_both);
  if (both != root_both) problems.push_back("not rank 0's message: " + both);
  EXPECT_TRUE(report(world_, problems));
  if (world_.root()) {
    EXPECT_FALSE(fs::exists(path("c.h5")));
    EXPECT_TRUE(no_temporaries());
  }
}

// Snapshots written by every rank together are the serial snapshots: the
// same geometry.h5 and XDMF, the same datasets, attributes and values.
TEST_F(MpiIo, CollectiveSnapshotsAreTheSerialSnapshots) {
  const DenseGrid& g = kLarge;
  const Box mine = rank_block(world_, g);
  const std::vector<Tissue> tissues{{"parenchyma", 1, {}}, {"vessel", 2, {}}, {"stroma", 3, {}}};
  const auto labels = [&](const Box& b) {
    return block_values<std::uint8_t>(b, [&](int i, int j, int k) { return label_at(g, i, j, k); });
  };
  const auto views = [&](const std::vector<float>& tnf, const std::vector<double>& il6) {
    return std::vector<FieldView>{{"TNF", tnf.data(), Precision::Float},
                                  {"IL6", il6.data(), Precision::Double}};
  };
  const auto data = [&](const Box& b, int step) {
    return std::pair(
        block_values<float>(b, [&](int i, int j, int k) { return value_at<float>(g, 10 + step, i, j, k); }),
        block_values<double>(b,
                             [&](int i, int j, int k) { return value_at<double>(g, 20 + step, i, j, k); }));
  };
  {
    SnapshotWriter parallel(world_, path("parallel"), g,
                            world_.root() ? labels(whole(g)) : std::vector<std::uint8_t>{}, tissues);
    for (int step = 0; step < 2; ++step) {
      const auto [tnf, il6] = data(mine, step);
      parallel.write_collective(world_, 60.0 * step, step * 10, views(tnf, il6), mine);
    }
    parallel.flush();
  }
  // Each rank reads another rank's block of the last snapshot back.
  std::vector<std::string> problems;
  {
    const Box other =
        decompose(tissue_map(g), world_.size(), std::nullopt).rank_box((world_.rank() + 1) % world_.size());
    const auto [tnf, il6] = data(other, 1);
    std::vector<float> tnf_back(tnf.size());
    std::vector<double> il6_back(il6.size());
    const hid_t file = H5Fopen(path("parallel/snapshot_000001.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    try {
      h5::read_block_dataset(file, "/fields/TNF", H5T_NATIVE_FLOAT, other, tnf_back.data());
      h5::read_block_dataset(file, "/fields/IL6", H5T_NATIVE_DOUBLE, other, il6_back.data());
      if (tnf_back != tnf || il6_back != il6) problems.push_back("read_block_dataset: other values");
    } catch (const std::exception& e) {
      problems.push_back(e.what());
    }
    if (file >= 0) H5Fclose(file);
  }
  EXPECT_TRUE(report(world_, problems));
  if (!world_.root()) return;
  {
    SnapshotWriter serial(path("serial"), g, labels(whole(g)), tissues);
    for (int step = 0; step < 2; ++step) {
      const auto [tnf, il6] = data(whole(g), step);
      serial.write(60.0 * step, step * 10, views(tnf, il6));
    }
    serial.flush();
  }
  EXPECT_TRUE(file_bytes(path("serial/geometry.h5")) == file_bytes(path("parallel/geometry.h5")));
  EXPECT_FALSE(file_bytes(path("serial/fields.xmf")).empty());
  EXPECT_TRUE(file_bytes(path("serial/fields.xmf")) == file_bytes(path("parallel/fields.xmf")));
  for (const char* name : {"snapshot_000000.h5", "snapshot_000001.h5"}) {
    const auto described = describe(path(std::string("serial/") + name));
    EXPECT_EQ(described.count("/fields/IL6@units"), 1u) << name;
    EXPECT_EQ(described, describe(path(std::string("parallel/") + name))) << name;
    if (world_.size() == 1) {  // alone, write_collective is write()
      EXPECT_TRUE(file_bytes(path(std::string("serial/") + name)) ==
                  file_bytes(path(std::string("parallel/") + name)))
          << name;
    }
  }
  EXPECT_TRUE(no_temporaries());
}

}  // namespace
}  // namespace cyto
