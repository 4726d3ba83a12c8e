// NVTX ranges, so Nsight Systems shows cytostorm's phases (setup, steps,
// reductions, transfers, benchmark phases) on the timeline. A no-op in
// builds without CUDA; NVTX itself costs nothing unless a tool is attached.
#pragma once

#ifdef CYTOSTORM_HAVE_NVTX
#include <nvtx3/nvToolsExt.h>
#endif

namespace cyto {

class TraceRange {
 public:
  explicit TraceRange(const char* name) {
#ifdef CYTOSTORM_HAVE_NVTX
    nvtxRangePushA(name);
#else
    (void)name;
#endif
  }
  ~TraceRange() {
#ifdef CYTOSTORM_HAVE_NVTX
    nvtxRangePop();
#endif
  }
  TraceRange(const TraceRange&) = delete;
  TraceRange& operator=(const TraceRange&) = delete;
};

}  // namespace cyto
