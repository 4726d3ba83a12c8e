// libFuzzer target for scenario files: the YAML text through parse_scenario
// (host/scenario) and the one validation pass (validate_run, host/app) with a
// CPU target, as `cytostorm check` runs them. scripts/fuzz-scenario.sh builds
// and runs it.
//
// Only InputError is caught: it is the documented answer to bad input (exit
// 2). Any other exception escapes and aborts, and so does an InputError
// without a position in the file or one over the message limit, so the
// fuzzer reports them.
//
// Bounds the harness adds, so an input cannot make the fuzzer itself
// allocate gigabytes or run for minutes (validation would accept such a
// scenario on a large machine):
//  - a grid over kMaxFuzzVoxels is not rasterised (validation's memory check
//    refuses only beyond this machine's memory);
//  - scenarios that name mesh or label-map files stop after parsing: the
//    readers have their own fuzz target (fuzz_mesh_readers.cpp), and a
//    mutated path could name any file on the machine.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "host/app/validation.hpp"
#include "host/core/error.hpp"
#include "host/geometry/geometry.hpp"
#include "host/geometry/placed_geometry.hpp"
#include "host/scenario/config.hpp"

namespace {

constexpr std::int64_t kMaxFuzzVoxels = 1 << 18;
// What the error path promises (docs/reference/exit-codes.md): one line of
// about 300 characters besides the paths it names, as printed (the CLI
// prints every error through one_line, which elides long values). This
// file's path is short; the bound leaves room for the longest nested
// refusal (an unclosed quote's, wrapping what it caused with two elided
// values: about 450-500 characters).
constexpr std::size_t kMaxPrintedLine = 600;

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "scenario reader guarantee broken: %s: %.500s\n", what, detail.c_str());
  std::abort();
}

bool names_files(const cyto::Scenario& s) {
  for (const cyto::GeometryItem& item : s.geometry)
    if (item.kind != cyto::GeometryKind::Shape) return true;
  return false;
}

void run(const std::string& text) {
  try {
    const cyto::Scenario s = cyto::parse_scenario(text, "configs/fuzz.yaml");
    if (names_files(s)) return;
    const cyto::PlacedGeometry geometry = cyto::load_geometry(s);
    const cyto::DenseGrid grid = cyto::make_dense_grid(geometry.grid);
    if (grid.voxels() > kMaxFuzzVoxels) return;
    (void)cyto::validate_run(s, geometry, {cyto::BackendKind::Cpu, 1, std::nullopt});
  } catch (const cyto::InputError& e) {
    const std::string message = e.what();
    if (message.empty()) broken("an InputError without a message", message);
    if (const std::string line = cyto::one_line(message); line.size() > kMaxPrintedLine)
      broken("an error line too long as printed", line);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  run(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
