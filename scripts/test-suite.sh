#!/usr/bin/env bash
# The whole test suite: install what is missing, build with warnings as
# errors, run every test (unit, verification, end-to-end; GPU tests skip with
# a printed reason where no GPU answers).
set -euo pipefail
cd "$(dirname "$0")/.."
CYTOSTORM_CMAKE_ARGS="-DCYTOSTORM_WERROR=ON ${CYTOSTORM_CMAKE_ARGS:-}" scripts/bootstrap.sh --tests
# Say up front why GPU tests skip (no CUDA in the build, or no device answers).
build/tests/cytostorm_gpu_tests --gtest_brief=1 2>&1 | grep -E "^GPU tests skipped:" | sort -u || true
# Serial: each test already uses every core through OpenMP, and two spinning
# OpenMP processes on two cores slow each other down ~20x.
ctest --test-dir build --output-on-failure --timeout 900
