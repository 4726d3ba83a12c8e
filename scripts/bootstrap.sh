#!/usr/bin/env bash
# Installs whatever Debian packages are missing (as root, via apt-get), then
# configures and builds cytostorm in ./build. Used by main-job.sh and
# test-suite.sh; safe to run again (only missing packages are installed, and
# the build is incremental). With --tests, also what only the test suite
# needs. CUDA is optional: with nvcc on the PATH the GPU
# part is compiled too.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config libyaml-cpp-dev libhdf5-dev libcli11-dev libfmt-dev
          libopenmpi-dev openmpi-bin libhdf5-openmpi-dev
          nlohmann-json3-dev zlib1g-dev googletest libgtest-dev librandom123-dev
          python3 python3-numpy python3-matplotlib python3-h5py)
# What only the test suite needs (scripts/test-suite.sh passes --tests): the
# strict build of the manual and the formatting check.
if [[ ${1:-} == --tests ]]; then
  packages+=(mkdocs clang-format)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "bootstrap: need root to install packages (or install them yourself: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build_type=${CYTOSTORM_BUILD_TYPE:-Release}
# shellcheck disable=SC2086  # CYTOSTORM_CMAKE_ARGS is a list of -D options
cmake -S . -B build -DCMAKE_BUILD_TYPE="$build_type" ${CYTOSTORM_CMAKE_ARGS:-}
cmake --build build -j"$(nproc)"
