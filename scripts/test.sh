#!/usr/bin/env bash
# Runs every check and every test of the workspace. `.ci/run` calls this; so do developers.
#
# Steps:
#   1. scripts/ci/setup-*.sh   install or start what the tests need (sourced, so they can
#                              export variables such as CHROMIUM or PG_BIN for the tests)
#   2. cargo fmt --check, cargo clippy -D warnings
#   3. cargo nextest run --workspace (every unit, router, integration and end-to-end test)
#   4. scripts/ci/check-*.sh   checks outside cargo (terraform fmt, checkov, container images,
#                              schemathesis against the services' OpenAPI documents)
#
# Nothing is skipped silently: a missing tool is installed, and if that fails the run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export ROOT

# A build cache outside the clone keeps repeated runs fast; a machine without it builds cold.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hwdash-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CARGO_INCREMENTAL=0

started=$(date +%s)
step() { printf '\n==> [%4ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }

# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh

for setup in scripts/ci/setup-*.sh; do
    [ -e "$setup" ] || continue
    step "setup: $setup"
    # shellcheck disable=SC1090
    source "$setup"
done

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo nextest run --workspace"
cargo nextest run --workspace --all-targets --locked --no-fail-fast --no-tests=fail

for check in scripts/ci/check-*.sh; do
    [ -e "$check" ] || continue
    step "check: $check"
    bash "$check"
done

step "all checks and tests passed"
