// Input paths that are not regular files (FIFOs, devices, directories) and
// files that hold more than their format can: every reader goes through
// one gate (host/core/input_file.hpp) and ends in one message, exit 2. Each
// case runs under a time bound (a child killed by alarm / `timeout`) and the
// CLI cases under a memory bound (`prlimit --as`), so that a regression
// fails instead of hanging the suite or eating the machine.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <string>

#include "host/core/error.hpp"
#include "host/core/input_file.hpp"
#include "host/geometry/label_volume.hpp"
#include "host/geometry/mesh_io.hpp"
#include "host/scenario/config.hpp"

namespace {

namespace fs = std::filesystem;

constexpr int kSeconds = 20;                        // far above what a refusal takes
constexpr const char* kMemoryLimit = "1073741824";  // 1 GiB of address space for the CLI

// What a reader did in a forked child that an alarm kills after kSeconds.
struct Outcome {
  bool finished = false;  // false: killed (a hang, or memory)
  bool input_error = false;
  std::string message;
};

Outcome bounded(const std::function<void()>& read) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return {};
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(pipe_fds[0]);
    ::alarm(kSeconds);
    std::string message = "no error";
    int code = 0;
    try {
      read();
    } catch (const cyto::InputError& e) {
      message = e.what();
      code = 2;
    } catch (const std::exception& e) {
      message = e.what();
      code = 1;
    }
    const ssize_t written = ::write(pipe_fds[1], message.data(), message.size());
    ::_exit(written < 0 ? 3 : code);
  }
  ::close(pipe_fds[1]);
  Outcome out;
  char buffer[4096];
  for (ssize_t got; (got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    out.message.append(buffer, static_cast<std::size_t>(got));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  out.finished = WIFEXITED(status);
  out.input_error = out.finished && WEXITSTATUS(status) == 2;
  return out;
}

class InputFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::path(::testing::TempDir()) /
        ("cytostorm_input_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string fifo(const std::string& name) const {
    EXPECT_EQ(::mkfifo(path(name).c_str(), 0600), 0);
    return path(name);
  }
  std::string link_to(const std::string& name, const std::string& target) const {
    fs::create_symlink(target, path(name));
    return path(name);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
    return path(name);
  }

  fs::path dir_;
};

void expect_refused(const Outcome& o, const std::string& pattern) {
  ASSERT_TRUE(o.finished) << "killed after " << kSeconds << " s: the reader blocked or ran out of memory";
  EXPECT_TRUE(o.input_error) << o.message;
  EXPECT_TRUE(std::regex_search(o.message, std::regex(pattern))) << "pattern: " << pattern << "\n"
                                                                 << o.message;
  EXPECT_EQ(o.message.find('\n'), std::string::npos) << o.message;
}

TEST_F(InputFiles, GateRefusesEveryKindOfNonRegularFileBeforeReading) {
  const std::string pipe = fifo("p");
  expect_refused(bounded([&] { cyto::read_input_file(pipe, "test file", 100); }),
                 "p: cannot open test file: it is a FIFO \\(named pipe\\), not a regular file");
  expect_refused(bounded([&] { cyto::read_input_file("/dev/zero", "test file", 100); }),
                 "^/dev/zero: cannot open test file: it is a character device, not a regular file$");
  expect_refused(bounded([&] { cyto::read_input_file(dir_.string(), "test file", 100); }),
                 "cannot open test file: Is a directory");
  expect_refused(bounded([&] { cyto::read_input_file(path("absent"), "test file", 100); }),
                 "absent: cannot open test file: No such file or directory");
  // A link to a device is the device.
  const std::string zero = link_to("zero.yaml", "/dev/zero");
  expect_refused(bounded([&] { cyto::read_input_file(zero, "test file", 100); }), "character device");
}

TEST_F(InputFiles, GateBoundsWhatItReadsByTheFormatsLimit) {
  const std::string file = write("f", std::string(101, 'x'));
  expect_refused(bounded([&] { cyto::read_input_file(file, "test file", 100); }),
                 "cannot read test file: it holds 101 bytes, more than the limit of 100 bytes");
  EXPECT_EQ(cyto::read_input_file(file, "test file", 101).size(), 101u);
  cyto::InputFile in(file, "test file", 1000);
  EXPECT_EQ(in.size(), 101u);
  EXPECT_EQ(in.read_prefix(10), std::string(10, 'x'));
}

TEST_F(InputFiles, ScenarioReaderRefusesFifoDeviceAndOversizedFile) {
  const std::string pipe = fifo("s.yaml");
  expect_refused(bounded([&] { cyto::load_scenario(pipe); }),
                 "s\\.yaml: cannot open scenario file: it is a FIFO");
  expect_refused(bounded([&] { cyto::load_scenario("/dev/urandom"); }), "character device");
  const std::string big = write("big.yaml", "name: x\n" + std::string(17u << 20, '#'));
  expect_refused(bounded([&] { cyto::load_scenario(big); }), "more than the limit of 16\\.0 MiB");
}

TEST_F(InputFiles, MeshReadersRefuseFifoDeviceAndDirectory) {
  const std::string pipe = fifo("organ.obj");
  expect_refused(bounded([&] { cyto::read_mesh(pipe); }), "organ\\.obj: cannot open mesh file: it is a FIFO");
  const std::string zero = link_to("zero.stl", "/dev/zero");
  expect_refused(bounded([&] { cyto::read_mesh(zero); }),
                 "zero\\.stl: cannot open mesh file: it is a character");
  fs::create_directory(path("dir.stl"));
  expect_refused(bounded([&] { cyto::read_mesh(path("dir.stl")); }), "cannot open mesh file: Is a directory");
}

TEST_F(InputFiles, LabelMapReadersRefuseFifoDeviceAndDirectory) {
  const std::string pipe = fifo("labels.nii.gz");
  expect_refused(bounded([&] { cyto::read_label_volume(pipe, 1e-3); }),
                 "labels\\.nii\\.gz: cannot open: it is a FIFO");
  const std::string zero = link_to("zero.nii", "/dev/zero");
  expect_refused(bounded([&] { cyto::read_label_volume(zero, 1e-3); }),
                 "zero\\.nii: cannot open: it is a character");
  const std::string mha = link_to("zero.mha", "/dev/zero");
  expect_refused(bounded([&] { cyto::read_label_volume(mha, 1e-3); }),
                 "zero\\.mha: cannot open: it is a character");
  fs::create_directory(path("dir.mhd"));
  expect_refused(bounded([&] { cyto::read_label_volume(path("dir.mhd"), 1e-3); }),
                 "cannot open: Is a directory");
  // The data file a MetaImage header names: reported at that header line.
  const std::string header = "ObjectType = Image\nNDims = 3\nDimSize = 2 2 2\nElementType = MET_UCHAR\n";
  fifo("pipe.raw");
  const std::string via_fifo = write("fifo.mhd", header + "ElementDataFile = pipe.raw\n");
  expect_refused(bounded([&] { cyto::read_label_volume(via_fifo, 1e-3); }),
                 "fifo\\.mhd:5: cannot open data file .*pipe\\.raw: it is a FIFO");
  link_to("random.raw", "/dev/urandom");
  const std::string via_device = write("device.mhd", header + "ElementDataFile = random.raw\n");
  expect_refused(bounded([&] { cyto::read_label_volume(via_device, 1e-3); }),
                 "device\\.mhd:5: cannot open data file .*random\\.raw: it is a character device");
}

// A .nii.gz whose header declares 2 x 2 x 2 uint8 voxels, followed by
// `zeros` bytes that compress to almost nothing.
std::string gzip_bomb(const std::string& file, std::uint64_t zeros) {
  cyto::LabelVolume v;
  v.dims = {2, 2, 2};
  v.index_to_world = {1e-3, 0, 0, 0, 0, 1e-3, 0, 0, 0, 0, 1e-3, 0};
  v.labels = {0, 1, 1, 0, 0, 1, 1, 0};
  const std::string plain = file + ".plain.nii";
  cyto::write_nifti(plain, v, 2);
  std::ifstream in(plain, std::ios::binary);
  const std::string head((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  gzFile out = gzopen(file.c_str(), "wb9");
  gzwrite(out, head.data(), static_cast<unsigned>(head.size()));
  const std::string block(1 << 20, '\0');
  for (std::uint64_t done = 0; done < zeros; done += block.size())
    gzwrite(out, block.data(), static_cast<unsigned>(block.size()));
  gzclose(out);
  return file;
}

TEST_F(InputFiles, GzipBombIsReadOnlyAsFarAsTheDeclaredImage) {
  const std::string bomb = gzip_bomb(path("bomb.nii.gz"), std::uint64_t{256} << 20);
  EXPECT_LT(fs::file_size(bomb), 2u << 20);
  const Outcome o = bounded([&] {
    // 64 MiB of address space above what the process has: far less than the 256 MiB inside.
    rlimit limit{};
    ::getrlimit(RLIMIT_AS, &limit);
    std::ifstream statm("/proc/self/statm");
    std::uint64_t pages = 0;
    statm >> pages;
    limit.rlim_cur = pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) + (64u << 20);
    ::setrlimit(RLIMIT_AS, &limit);
    const cyto::LabelVolume read = cyto::read_label_volume(bomb, 1e-3);
    if (read.labels.size() != 8 || read.labels[1] != 1) throw std::runtime_error("wrong labels");
  });
  ASSERT_TRUE(o.finished) << "killed: the reader inflated past the declared image";
  EXPECT_FALSE(o.input_error) << o.message;
  EXPECT_EQ(o.message, "no error");
}

// ---- through the command line, under `timeout` and `prlimit` ----

struct CliOutcome {
  int exit_code;
  std::string output;
};

class InputFilesCli : public InputFiles {
 protected:
  // `timeout` kills a hang; `prlimit` caps the address space. Exit 137 or
  // 124 from either would show as a wrong exit code.
  CliOutcome check(const std::string& scenario) const {
    const std::string command = fmt_command(scenario);
    FILE* pipe = ::popen(command.c_str(), "r");
    std::string output;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
    const int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
  }
  static std::string fmt_command(const std::string& scenario) {
    return std::string("timeout -s KILL ") + std::to_string(kSeconds) + " prlimit --as=" + kMemoryLimit +
           " " + CYTOSTORM_BINARY + " check " + scenario + " 2>&1";
  }
  std::string scenario_with(const std::string& item) const {
    return write("s.yaml", "name: s\ngrid: {voxel: 1 mm}\ntissues: [{name: liver, label: 1}]\ngeometry: [" +
                               item +
                               "]\nspecies: [{name: TNF, diffusion: 100}]\ntime: {end: 1 min}\n"
                               "output: {interval: 1 min}\n");
  }
};

void expect_cli_refused(const CliOutcome& r, const std::string& pattern) {
  EXPECT_EQ(r.exit_code, 2) << "(137: killed by timeout or memory)\n" << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(pattern))) << "pattern: " << pattern << "\n" << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST_F(InputFilesCli, EveryNonRegularInputIsOneLineAndExit2InBoundedTimeAndMemory) {
  expect_cli_refused(check(fifo("p.yaml")),
                     "cytostorm: error: .*p\\.yaml: cannot open scenario file: it is a FIFO");
  expect_cli_refused(check("/dev/zero"), "/dev/zero: cannot open scenario file: it is a character device");
  expect_cli_refused(check(dir_.string()), "cannot open scenario file: Is a directory");
  link_to("zero.stl", "/dev/zero");
  expect_cli_refused(
      check(scenario_with("{tissue: liver, mesh: {file: zero.stl, units: mm}}")),
      "s\\.yaml:4:\\d+: geometry\\[0\\]\\.mesh\\.file: .*zero\\.stl: cannot open mesh file: it is a "
      "character device");
  fifo("organ.obj");
  expect_cli_refused(check(scenario_with("{tissue: liver, mesh: {file: organ.obj}}")),
                     "organ\\.obj: cannot open mesh file: it is a FIFO");
  link_to("zero.nii", "/dev/zero");
  expect_cli_refused(check(scenario_with("{volume: {file: zero.nii, labels: {1: liver}}}")),
                     "zero\\.nii: cannot open: it is a character device");
  fifo("labels.nii.gz");
  expect_cli_refused(check(scenario_with("{volume: {file: labels.nii.gz, labels: {1: liver}}}")),
                     "labels\\.nii\\.gz: cannot open: it is a FIFO");
  gzip_bomb(path("bomb.nii.gz"), std::uint64_t{1} << 30);  // 1 GiB of zeros, the whole address space allowed
  const CliOutcome bomb = check(scenario_with("{volume: {file: bomb.nii.gz, labels: {1: liver}}}"));
  EXPECT_EQ(bomb.exit_code, 0) << bomb.output;
}

}  // namespace
