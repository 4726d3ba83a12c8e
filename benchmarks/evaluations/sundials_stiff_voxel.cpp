// The stiff voxel of stiff_voxels.yaml solved by SUNDIALS CVODE (BDF,
// Newton with a dense 2x2 Jacobian by difference quotients): IL-6 at each
// hour, and the wall time of one voxel's 4 h solve. For the evaluation in
// docs/numerics/method.md#stiff-rules (evaluate_sundials.sh). Usage:
//   sundials_stiff_voxel RTOL REPEATS
#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace {

// IL-6 (y0) and LPS (y1), pg/mL; the populations do not change.
int rates(sunrealtype, N_Vector y, N_Vector dydt, void*) {
  const sunrealtype il6 = NV_Ith_S(y, 0), lps = NV_Ith_S(y, 1);
  const sunrealtype x = (lps > 0 ? lps : 0) / 50.0, activation = x * x / (1 + x * x);
  const sunrealtype c = il6 > 0 ? il6 : 0;
  NV_Ith_S(dydt, 0) = 1e6 * 1e-5 * activation - 2e8 * 2.5e-9 * il6 - 1e6 * 1e-5 * c / (50.0 + c);
  NV_Ith_S(dydt, 1) = -0.011552453 / 60.0 * lps;
  return 0;
}

void check(int flag, const char* what) {
  if (flag < 0) {
    std::fprintf(stderr, "%s failed: %d\n", what, flag);
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const double rtol = argc > 1 ? std::atof(argv[1]) : 1e-6;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 100;
  SUNContext context;
  check(SUNContext_Create(nullptr, &context), "SUNContext_Create");
  N_Vector y = N_VNew_Serial(2, context);
  void* cvode = CVodeCreate(CV_BDF, context);
  SUNMatrix jacobian = SUNDenseMatrix(2, 2, context);
  SUNLinearSolver solver = SUNLinSol_Dense(y, jacobian, context);
  double il6[4] = {0, 0, 0, 0};
  long steps = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < repeats; ++r) {
    NV_Ith_S(y, 0) = 0.0;
    NV_Ith_S(y, 1) = 100.0;
    if (r == 0) {
      check(CVodeInit(cvode, rates, 0.0, y), "CVodeInit");
      check(CVodeSetLinearSolver(cvode, solver, jacobian), "CVodeSetLinearSolver");
      check(CVodeSetMaxNumSteps(cvode, 1000000), "CVodeSetMaxNumSteps");
    } else {
      check(CVodeReInit(cvode, 0.0, y), "CVodeReInit");
    }
    // Absolute tolerance far below the levels (pg/mL), as the relative one rules.
    check(CVodeSStolerances(cvode, rtol, 1e-6 * rtol), "CVodeSStolerances");
    for (int hour = 1; hour <= 4; ++hour) {
      sunrealtype t = 0;
      check(CVode(cvode, 3600.0 * hour, y, &t, CV_NORMAL), "CVode");
      il6[hour - 1] = NV_Ith_S(y, 0);
    }
    if (r == 0) CVodeGetNumSteps(cvode, &steps);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "{\"rtol\": %g, \"il6_hourly\": [%.12g, %.12g, %.12g, %.12g], \"steps\": %ld, "
      "\"seconds_per_voxel\": %.6g}\n",
      rtol, il6[0], il6[1], il6[2], il6[3], steps, seconds / repeats);
  SUNLinSolFree(solver);
  SUNMatDestroy(jacobian);
  CVodeFree(&cvode);
  N_VDestroy(y);
  SUNContext_Free(&context);
  return 0;
}
