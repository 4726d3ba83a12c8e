// Output layer: atomic files, HDF5 snapshots + XDMF, time series.
// HDF5 files are read back with the HDF5 C API and compared bitwise.
#include <hdf5.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "host/io/output.hpp"

namespace fs = std::filesystem;

namespace {

// A fresh directory per test, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::path(::testing::TempDir()) /
            fmt::format("cytostorm_{}_{}_{}", test->test_suite_name(), test->name(), ::getpid());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string str() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool has_temporaries(const std::string& directory) {
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.path().filename().string().find(".tmp.") != std::string::npos) return true;
  }
  return false;
}

// Closes an HDF5 identifier at scope exit; the tests fail loudly on id < 0.
struct Id {
  hid_t id;
  herr_t (*close)(hid_t);
  Id(hid_t value, herr_t (*closer)(hid_t)) : id(value), close(closer) {
    EXPECT_GE(id, 0) << "HDF5 call failed";
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  ~Id() {
    if (id >= 0) close(id);
  }
};

struct Dataset {
  std::vector<hsize_t> dims;
  H5T_class_t type_class = H5T_NO_CLASS;
  std::size_t type_size = 0;
  std::vector<unsigned char> bytes;  // as stored, in the file's type
};

Dataset read_dataset(hid_t file, const char* path) {
  Dataset out;
  Id dataset(H5Dopen2(file, path, H5P_DEFAULT), H5Dclose);
  if (dataset.id < 0) return out;
  Id type(H5Dget_type(dataset.id), H5Tclose);
  Id space(H5Dget_space(dataset.id), H5Sclose);
  out.type_class = H5Tget_class(type.id);
  out.type_size = H5Tget_size(type.id);
  out.dims.resize(H5Sget_simple_extent_ndims(space.id));
  H5Sget_simple_extent_dims(space.id, out.dims.data(), nullptr);
  std::size_t count = 1;
  for (const hsize_t d : out.dims) count *= d;
  out.bytes.resize(count * out.type_size);
  EXPECT_GE(H5Dread(dataset.id, type.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.bytes.data()), 0);
  return out;
}

template <class T>
std::vector<T> read_attribute(hid_t object, const char* name, hid_t memory_type, std::size_t n) {
  std::vector<T> values(n);
  Id attribute(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  if (attribute.id >= 0) {
    EXPECT_GE(H5Aread(attribute.id, memory_type, values.data()), 0);
  }
  return values;
}

std::string read_string_attribute(hid_t object, const char* name) {
  Id attribute(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  if (attribute.id < 0) return {};
  Id type(H5Aget_type(attribute.id), H5Tclose);
  EXPECT_EQ(H5Tget_class(type.id), H5T_STRING);
  std::string text(H5Tget_size(type.id), '\0');
  EXPECT_GE(H5Aread(attribute.id, type.id, text.data()), 0);
  return text.substr(0, text.find('\0'));
}

// Every opening tag is closed in order (declarations and self-closing tags aside).
bool tags_balanced(const std::string& xml) {
  std::vector<std::string> open;
  for (std::size_t at = xml.find('<'); at != std::string::npos; at = xml.find('<', at + 1)) {
    const std::size_t end = xml.find('>', at);
    if (end == std::string::npos) return false;
    const std::string tag = xml.substr(at + 1, end - at - 1);
    if (tag.empty() || tag[0] == '?' || tag[0] == '!' || tag.back() == '/') continue;
    const std::string name = tag.substr(tag[0] == '/' ? 1 : 0, tag.find(' ') - (tag[0] == '/'));
    if (tag[0] != '/') {
      open.push_back(name);
    } else if (open.empty() || open.back() != name) {
      return false;
    } else {
      open.pop_back();
    }
  }
  return open.empty();
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

template <class T>
std::vector<T> awkward_values(std::size_t n, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<T> uniform(-1e3, 1e6);
  std::vector<T> values(n);
  for (T& v : values) v = uniform(random);
  values[0] = T(-0.0);
  values[1] = std::numeric_limits<T>::denorm_min();
  values[2] = std::numeric_limits<T>::max();
  values[3] = std::numeric_limits<T>::lowest();
  return values;
}

template <class T>
bool same_bits(const std::vector<unsigned char>& bytes, const std::vector<T>& values) {
  return bytes.size() == values.size() * sizeof(T) &&
         std::memcmp(bytes.data(), values.data(), bytes.size()) == 0;
}

cyto::DenseGrid test_grid() {
  cyto::DenseGrid grid;
  grid.nx = 3;
  grid.ny = 4;
  grid.nz = 5;
  grid.origin = {-1.5e-3, 2e-3, 0.25e-3};
  grid.spacing = {1e-4, 2e-4, 3e-4};
  return grid;
}

std::vector<std::uint8_t> test_labels(const cyto::DenseGrid& grid) {
  std::vector<std::uint8_t> labels(grid.voxels());
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = std::uint8_t(i % 3);
  return labels;
}

std::vector<cyto::Tissue> test_tissues() {
  cyto::Tissue parenchyma;
  parenchyma.name = "parenchyma";
  parenchyma.label = 1;
  cyto::Tissue vessel;
  vessel.name = "vessel";
  vessel.label = 2;
  return {parenchyma, vessel};
}

}  // namespace

// ---- AtomicFile ----

TEST(AtomicFile, ReplacesContentAndLeavesNoTemporary) {
  ScratchDir scratch;
  const std::string path = scratch.file("state.txt");
  cyto::write_file_atomically(path, "first\n");
  EXPECT_EQ(read_text(path), "first\n");
  cyto::write_file_atomically(path, std::string("second\0binary", 13));
  EXPECT_EQ(read_text(path), std::string("second\0binary", 13));
  cyto::write_file_atomically(path, "");
  EXPECT_EQ(read_text(path), "");
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch.str()), fs::directory_iterator()), 1);
}

TEST(AtomicFile, UnwritableLocationNamesThePath) {
  ScratchDir scratch;
  cyto::write_file_atomically(scratch.file("blocker"), "a regular file\n");
  const std::string path = scratch.file("blocker/out.txt");
  try {
    cyto::write_file_atomically(path, "content");
    FAIL() << "expected RuntimeFailure";
  } catch (const cyto::RuntimeFailure& failure) {
    EXPECT_NE(std::string(failure.what()).find("cannot write " + path), std::string::npos) << failure.what();
    EXPECT_NE(std::string(failure.what()).find(std::strerror(ENOTDIR)), std::string::npos) << failure.what();
  }
  EXPECT_FALSE(has_temporaries(scratch.str()));
}

TEST(AtomicFile, EnsureDirectoryCreatesParentsAndReportsAFileInTheWay) {
  ScratchDir scratch;
  const std::string nested = scratch.file("a/b/c");
  cyto::ensure_directory(nested);
  EXPECT_TRUE(fs::is_directory(nested));
  cyto::ensure_directory(nested);  // existing: fine

  cyto::write_file_atomically(scratch.file("file"), "x");
  for (const std::string& bad : {scratch.file("file"), scratch.file("file/sub")}) {
    try {
      cyto::ensure_directory(bad);
      ADD_FAILURE() << "expected RuntimeFailure for " << bad;
    } catch (const cyto::RuntimeFailure& failure) {
      EXPECT_NE(std::string(failure.what()).find("cannot create directory " + bad), std::string::npos)
          << failure.what();
    }
  }
}

// RLIMIT_FSIZE makes writes past the limit fail (EFBIG), like a full disk; it
// is set in a forked child so that it does not leak into the test process.
TEST(AtomicFileDeathTest, FullDiskKeepsThePreviousFile) {
  ScratchDir scratch;
  const std::string path = scratch.file("state.txt");
  const std::string good = "previous complete content\n";
  cyto::write_file_atomically(path, good);

  const auto write_too_much = [&] {
    std::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      cyto::write_file_atomically(path, std::string(1 << 20, 'x'));
    } catch (const cyto::RuntimeFailure& failure) {
      std::fprintf(stderr, "%s\n", failure.what());
      std::_Exit(read_text(path) == good && !has_temporaries(scratch.str()) ? 0 : 2);
    }
    std::_Exit(1);
  };
  EXPECT_EXIT(write_too_much(), ::testing::ExitedWithCode(0), "cannot write .*state\\.txt: File too large");
  EXPECT_EQ(read_text(path), good);
  EXPECT_FALSE(has_temporaries(scratch.str()));
}

// ---- SnapshotWriter ----

TEST(SnapshotWriter, GeometryAndSnapshotsReadBackBitwise) {
  ScratchDir scratch;
  const cyto::DenseGrid grid = test_grid();
  const std::vector<std::uint8_t> labels = test_labels(grid);
  const std::size_t n = labels.size();
  cyto::SnapshotWriter writer(scratch.file("out"), grid, labels, test_tissues());
  EXPECT_EQ(writer.xdmf_path(), scratch.file("out/fields.xmf"));

  const std::vector<float> tnf_f = awkward_values<float>(n, 1), il6_f = awkward_values<float>(n, 2);
  const std::vector<double> tnf_d = awkward_values<double>(n, 3);
  const std::vector<double> il6_d = awkward_values<double>(n, 4);
  writer.write(
      0.25, 10,
      {{"TNF", tnf_f.data(), cyto::Precision::Float}, {"IL6", il6_f.data(), cyto::Precision::Float}});
  writer.write(
      3600.5, 123456789012LL,
      {{"TNF", tnf_d.data(), cyto::Precision::Double}, {"IL6", il6_d.data(), cyto::Precision::Double}});

  const std::vector<hsize_t> dims{5, 4, 3};  // nz, ny, nx
  {
    Id file(H5Fopen(scratch.file("out/geometry.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    const Dataset stored = read_dataset(file.id, "/labels");
    EXPECT_EQ(stored.dims, dims);
    EXPECT_EQ(stored.type_class, H5T_INTEGER);
    EXPECT_EQ(stored.type_size, 1u);
    EXPECT_TRUE(same_bits(stored.bytes, labels));
    EXPECT_EQ(read_attribute<double>(file.id, "origin_m", H5T_NATIVE_DOUBLE, 3),
              std::vector<double>(grid.origin.begin(), grid.origin.end()));
    EXPECT_EQ(read_attribute<double>(file.id, "spacing_m", H5T_NATIVE_DOUBLE, 3),
              std::vector<double>(grid.spacing.begin(), grid.spacing.end()));

    const Dataset tissue_labels = read_dataset(file.id, "/tissues/label");
    EXPECT_TRUE(same_bits(tissue_labels.bytes, std::vector<std::uint8_t>{1, 2}));
    const Dataset names = read_dataset(file.id, "/tissues/name");
    ASSERT_EQ(names.type_class, H5T_STRING);
    ASSERT_EQ(names.dims, std::vector<hsize_t>{2});
    const auto name_at = [&](std::size_t i) {
      return std::string(reinterpret_cast<const char*>(names.bytes.data()) + i * names.type_size);
    };
    EXPECT_EQ(name_at(0), "parenchyma");
    EXPECT_EQ(name_at(1), "vessel");
  }

  const auto check_snapshot = [&](const char* name, double time_s, std::int64_t step, std::size_t value_size,
                                  const auto& tnf, const auto& il6) {
    SCOPED_TRACE(name);
    Id file(H5Fopen(scratch.file(std::string("out/") + name).c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    EXPECT_EQ(read_attribute<double>(file.id, "time_s", H5T_NATIVE_DOUBLE, 1)[0], time_s);
    EXPECT_EQ(read_attribute<std::int64_t>(file.id, "step", H5T_NATIVE_INT64, 1)[0], step);
    for (const auto& [field, values] : {std::pair{"/fields/TNF", &tnf}, {"/fields/IL6", &il6}}) {
      const Dataset stored = read_dataset(file.id, field);
      EXPECT_EQ(stored.dims, dims);
      EXPECT_EQ(stored.type_class, H5T_FLOAT);
      EXPECT_EQ(stored.type_size, value_size);
      EXPECT_TRUE(same_bits(stored.bytes, *values)) << field;
      Id dataset(H5Dopen2(file.id, field, H5P_DEFAULT), H5Dclose);
      EXPECT_EQ(read_string_attribute(dataset.id, "units"), "pg/mL");
    }
  };
  check_snapshot("snapshot_000000.h5", 0.25, 10, 4, tnf_f, il6_f);
  check_snapshot("snapshot_000001.h5", 3600.5, 123456789012LL, 8, tnf_d, il6_d);
  EXPECT_FALSE(has_temporaries(scratch.file("out")));
}

TEST(SnapshotWriter, XdmfDescribesTheTimeSeriesWithRelativePaths) {
  ScratchDir scratch;
  const cyto::DenseGrid grid = test_grid();
  const std::vector<std::uint8_t> labels = test_labels(grid);
  cyto::SnapshotWriter writer(scratch.file("out"), grid, labels, test_tissues());
  const std::vector<float> single(labels.size(), 1.0f);
  const std::vector<double> twice(labels.size(), 2.0);

  writer.write(0.25, 10, {{"TNF", single.data(), cyto::Precision::Float}});
  const std::string first = read_text(writer.xdmf_path());
  EXPECT_TRUE(tags_balanced(first)) << first;
  EXPECT_EQ(occurrences(first, "<Grid "), 2u);

  writer.write(3600.5, 20, {{"TNF", twice.data(), cyto::Precision::Double}});
  const std::string xdmf = read_text(writer.xdmf_path());
  EXPECT_TRUE(tags_balanced(xdmf)) << xdmf;
  EXPECT_EQ(occurrences(xdmf, "CollectionType=\"Temporal\""), 1u);
  EXPECT_EQ(occurrences(xdmf, "<Grid "), 3u);
  EXPECT_EQ(occurrences(xdmf, "<Time Value=\"0.25\"/>"), 1u);
  EXPECT_EQ(occurrences(xdmf, "<Time Value=\"3600.5\"/>"), 1u);
  // Node counts for the topology, cell counts (nz ny nx) for the attributes.
  EXPECT_EQ(occurrences(xdmf, "TopologyType=\"3DCoRectMesh\" Dimensions=\"6 5 4\""), 2u);
  EXPECT_EQ(occurrences(xdmf, "Dimensions=\"5 4 3\""), 4u);
  // Origin and spacing in z y x order.
  EXPECT_EQ(occurrences(xdmf, fmt::format(">{} {} {}<", 0.25e-3, 2e-3, -1.5e-3)), 2u);
  EXPECT_EQ(occurrences(xdmf, fmt::format(">{} {} {}<", 3e-4, 2e-4, 1e-4)), 2u);
  EXPECT_EQ(occurrences(xdmf, ">geometry.h5:/labels<"), 2u);
  EXPECT_EQ(occurrences(xdmf, "Center=\"Cell\""), 4u);
  EXPECT_EQ(occurrences(xdmf, "Precision=\"4\" Format=\"HDF\">snapshot_000000.h5:/fields/TNF<"), 1u);
  EXPECT_EQ(occurrences(xdmf, "Precision=\"8\" Format=\"HDF\">snapshot_000001.h5:/fields/TNF<"), 1u);
  EXPECT_EQ(xdmf.find(scratch.str()), std::string::npos) << "absolute path in the XDMF";
  EXPECT_FALSE(has_temporaries(scratch.file("out")));
}

TEST(SnapshotWriter, UncreatableDirectoryIsARuntimeFailure) {
  ScratchDir scratch;
  cyto::write_file_atomically(scratch.file("blocker"), "x");
  const cyto::DenseGrid grid = test_grid();
  EXPECT_THROW(cyto::SnapshotWriter(scratch.file("blocker/out"), grid, test_labels(grid), {}),
               cyto::RuntimeFailure);
}

TEST(SnapshotWriterDeathTest, FullDiskLeavesNoPartialSnapshot) {
  ScratchDir scratch;
  cyto::DenseGrid grid = test_grid();
  grid.nx = grid.ny = grid.nz = 64;  // 2 MiB of doubles
  const std::vector<std::uint8_t> labels(grid.voxels(), 1);
  const std::vector<double> values(grid.voxels(), 1.5);
  const std::string out = scratch.file("out");

  const auto write_too_much = [&] {
    cyto::SnapshotWriter writer(out, grid, labels, test_tissues());
    std::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{64 * 1024, 64 * 1024};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      writer.write(1.0, 1, {{"TNF", values.data(), cyto::Precision::Double}});
    } catch (const cyto::RuntimeFailure& failure) {
      std::fprintf(stderr, "%s\n", failure.what());
      const bool clean = !fs::exists(out + "/snapshot_000000.h5") && !fs::exists(out + "/fields.xmf") &&
                         !has_temporaries(out);
      // exit(), not _Exit(): HDF5's exit-time cleanup must survive the failed file.
      std::exit(clean ? 0 : 2);
    }
    std::_Exit(1);
  };
  EXPECT_EXIT(write_too_much(), ::testing::ExitedWithCode(0),
              "cannot write .*snapshot_000000\\.h5: .*File too large");
  EXPECT_TRUE(fs::exists(out + "/geometry.h5"));
  EXPECT_FALSE(fs::exists(out + "/snapshot_000000.h5"));
  EXPECT_FALSE(has_temporaries(out));
}

// ---- TimeSeriesWriter ----

namespace {

cyto::TimeSeriesRow make_row(double time_s, std::int64_t step, double seed) {
  cyto::TimeSeriesRow row;
  row.time_s = time_s;
  row.step = step;
  for (int s = 0; s < 2; ++s) {
    row.stats.emplace_back();
    for (int r = 0; r < 3; ++r) {
      const double base = seed * (1 + s) / (3.0 + r);  // not representable in short decimals
      row.stats.back().push_back({base * 1e-300, base / 7.0, base * 1e300});
    }
  }
  return row;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, separator);) parts.push_back(part);
  return parts;
}

}  // namespace

TEST(TimeSeriesWriter, CsvIsTidyAndRoundTrips) {
  ScratchDir scratch;
  cyto::TimeSeriesWriter writer(scratch.str(), {"TNF", "IL6"}, {"parenchyma", "vessel"});
  const std::vector<cyto::TimeSeriesRow> rows{make_row(0.1, 1, 1.0 / 3.0),
                                              make_row(7200.123456789, 2, 2.0 / 3.0)};
  writer.append(rows[0]);
  EXPECT_EQ(split(read_text(scratch.file("timeseries.csv")), '\n').size(), 1u + 2 * 3);
  writer.append(rows[1]);

  const std::vector<std::string> lines = split(read_text(scratch.file("timeseries.csv")), '\n');
  ASSERT_EQ(lines.size(), 1u + 2 * 2 * 3);
  EXPECT_EQ(lines[0], "time_s,time_h,step,species,region,total_pg,mean_pg_per_mL,max_pg_per_mL");
  const std::vector<std::string> species{"TNF", "IL6"}, regions{"all", "parenchyma", "vessel"};
  std::size_t line = 1;
  for (const cyto::TimeSeriesRow& row : rows) {
    for (std::size_t s = 0; s < 2; ++s) {
      for (std::size_t r = 0; r < 3; ++r, ++line) {
        const std::vector<std::string> cells = split(lines[line], ',');
        ASSERT_EQ(cells.size(), 8u) << lines[line];
        EXPECT_EQ(std::strtod(cells[0].c_str(), nullptr), row.time_s);
        EXPECT_EQ(std::strtod(cells[1].c_str(), nullptr), row.time_s / 3600.0);
        EXPECT_EQ(cells[2], std::to_string(row.step));
        EXPECT_EQ(cells[3], species[s]);
        EXPECT_EQ(cells[4], regions[r]);
        EXPECT_EQ(std::strtod(cells[5].c_str(), nullptr), row.stats[s][r].total_pg);
        EXPECT_EQ(std::strtod(cells[6].c_str(), nullptr), row.stats[s][r].mean);
        EXPECT_EQ(std::strtod(cells[7].c_str(), nullptr), row.stats[s][r].max);
      }
    }
  }
  EXPECT_FALSE(has_temporaries(scratch.str()));
}

TEST(TimeSeriesWriter, JsonRoundTripsExactly) {
  ScratchDir scratch;
  cyto::TimeSeriesWriter writer(scratch.str(), {"TNF", "IL6"}, {"parenchyma", "vessel"});
  const std::vector<cyto::TimeSeriesRow> rows{make_row(0.1, 1, 1.0 / 3.0),
                                              make_row(7200.123456789, 2, 2.0 / 3.0)};
  for (const auto& row : rows) writer.append(row);

  const nlohmann::json json = nlohmann::json::parse(read_text(scratch.file("timeseries.json")));
  ASSERT_EQ(json.at("time_s").size(), 2u);
  const std::vector<std::string> species{"TNF", "IL6"}, regions{"all", "parenchyma", "vessel"};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(json["time_s"][i].get<double>(), rows[i].time_s);
    EXPECT_EQ(json["step"][i].get<std::int64_t>(), rows[i].step);
    for (std::size_t s = 0; s < 2; ++s) {
      for (std::size_t r = 0; r < 3; ++r) {
        const nlohmann::json& series = json.at("species").at(species[s]).at(regions[r]);
        EXPECT_EQ(series.at("total_pg")[i].get<double>(), rows[i].stats[s][r].total_pg);
        EXPECT_EQ(series.at("mean_pg_per_mL")[i].get<double>(), rows[i].stats[s][r].mean);
        EXPECT_EQ(series.at("max_pg_per_mL")[i].get<double>(), rows[i].stats[s][r].max);
      }
    }
  }
}

TEST(TimeSeriesWriter, RejectsMisshapenRowsAndAmbiguousNames) {
  ScratchDir scratch;
  cyto::TimeSeriesWriter writer(scratch.str(), {"TNF", "IL6"}, {"parenchyma", "vessel"});
  cyto::TimeSeriesRow row = make_row(1.0, 1, 1.0);
  row.stats[1].pop_back();
  EXPECT_THROW(writer.append(row), std::invalid_argument);
  EXPECT_THROW(cyto::TimeSeriesWriter(scratch.str(), {"TNF"}, {"all"}), std::invalid_argument);
  EXPECT_THROW(cyto::TimeSeriesWriter(scratch.str(), {"TNF", "TNF"}, {}), std::invalid_argument);
}
