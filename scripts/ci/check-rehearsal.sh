#!/usr/bin/env bash
# Short form of scripts/rehearse-release.sh, run by scripts/test.sh: a blue/green release, a
# rollback during the bake and a green that fails its smoke check, each under a constant load
# of 300 req/s through nginx's production port (5 s per phase). FAILS when any request fails
# or any response takes over 1 s in any of them. The first run builds the images (the release
# build is shared with check-images.sh); the next two reuse them. Bounded: each run has a
# 240 s timeout.
set -euo pipefail
cd "$(dirname "$0")/../.."
for mode in "" --rollback-during-bake --fail-smoke; do
    build=()
    [ -z "$mode" ] || build=(--no-build)
    echo "--- rehearsal ${mode:-release}"
    # shellcheck disable=SC2086
    timeout 240 scripts/rehearse-release.sh --rate 300 --phase-seconds 5 "${build[@]}" $mode
done
echo "rehearsal checks passed"
