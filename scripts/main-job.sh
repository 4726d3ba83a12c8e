#!/usr/bin/env bash
# The main job: install what is missing, build, and run the default scenario
# end to end (progress, summary, outputs in output/liver-focus/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec build/cytostorm run configs/default.yaml "$@"
