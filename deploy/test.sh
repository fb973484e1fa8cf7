#!/usr/bin/env bash
# deploy/test.sh — run anpi's whole test suite (the README's test command).
#
#   1. deploy/ensure-services.sh --browser: PostgreSQL + NATS JetStream up, and
#      chromium + chromedriver for the public page's browser test (installs on a
#      fresh Debian), Rust toolchain present;
#   2. from the repo root: `cargo nextest run --workspace --no-fail-fast` when
#      cargo-nextest is installed, else
#      `cargo test --workspace --no-fail-fast -- --test-threads=2`.
#
# Exits with the test runner's exit code (the first non-zero one).
#
# Environment:
#   ANPI_TEST_DATABASE_URL  [postgres://postgres@127.0.0.1:5432/postgres]
#   ANPI_TEST_NATS_URL      [nats://127.0.0.1:4222]
#   ANPI_PG_PORT / ANPI_NATS_PORT change the ports in these defaults (and the
#   ones ensure-services.sh checks); CARGO_TARGET_DIR is respected.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

log() { printf '[anpi] %s\n' "$*"; }

# A rustup install that is not on PATH yet (fresh shell, CI).
if ! command -v cargo >/dev/null 2>&1 && [ -x "${HOME:-/nonexistent}/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

bash deploy/ensure-services.sh --browser

export ANPI_TEST_DATABASE_URL="${ANPI_TEST_DATABASE_URL:-postgres://postgres@${ANPI_PG_HOST:-127.0.0.1}:${ANPI_PG_PORT:-5432}/postgres}"
export ANPI_TEST_NATS_URL="${ANPI_TEST_NATS_URL:-nats://${ANPI_NATS_HOST:-127.0.0.1}:${ANPI_NATS_PORT:-4222}}"
log "ANPI_TEST_DATABASE_URL=$ANPI_TEST_DATABASE_URL"
log "ANPI_TEST_NATS_URL=$ANPI_TEST_NATS_URL"
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    log "CARGO_TARGET_DIR=$CARGO_TARGET_DIR"
fi

rc=0
if cargo nextest --version >/dev/null 2>&1; then
    log "running: cargo nextest run --workspace --no-fail-fast"
    # The project has no doc tests (examples live in tests), so nextest covers all.
    cargo nextest run --workspace --no-fail-fast || rc=$?
else
    log "cargo-nextest not installed (cargo install --locked cargo-nextest); using cargo test"
    log "running: cargo test --workspace --no-fail-fast -- --test-threads=2"
    cargo test --workspace --no-fail-fast -- --test-threads=2 || rc=$?
fi

if [ "$rc" -eq 0 ]; then
    log "tests passed"
else
    log "tests FAILED (exit code $rc)"
fi
exit "$rc"
