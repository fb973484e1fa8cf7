#!/usr/bin/env bash
# deploy/test.sh — run anpi's whole test suite (the README's test command).
#
#   1. deploy/ensure-services.sh --browser: PostgreSQL up, the pinned
#      nats-server (2.15.1 in .cache/nats-server/bin; every test starts its own
#      from it: no nats-server runs for the tests beforehand), chromium +
#      chromedriver for the browser tests (installs on a fresh Debian), Rust
#      toolchain present;
#   2. from the repo root: `cargo nextest run --workspace --no-fail-fast` when
#      cargo-nextest is installed, else
#      `cargo test --workspace --no-fail-fast -- --test-threads=2`.
#
# Exits with the test runner's exit code (the first non-zero one).
#
# Environment:
#   ANPI_TEST_DATABASE_URL  [postgres://postgres@127.0.0.1:5432/postgres]; when
#                           set, ensure-services.sh leaves PostgreSQL alone
#                           (--no-postgres): the server is yours
#   ANPI_NATS_SERVER        [<repo>/.cache/nats-server/bin/nats-server] the
#                           nats-server binary the tests start (tests/harness)
#   ANPI_PG_HOST / ANPI_PG_PORT change the default database URL (and the server
#   ensure-services.sh checks); CARGO_TARGET_DIR is respected.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

log() { printf '[anpi] %s\n' "$*"; }

# A rustup install that is not on PATH yet (fresh shell, CI).
if ! command -v cargo >/dev/null 2>&1 && [ -x "${HOME:-/nonexistent}/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

if [ -n "${ANPI_TEST_DATABASE_URL:-}" ]; then
    bash deploy/ensure-services.sh --browser --no-postgres
else
    bash deploy/ensure-services.sh --browser
fi

export ANPI_TEST_DATABASE_URL="${ANPI_TEST_DATABASE_URL:-postgres://postgres@${ANPI_PG_HOST:-127.0.0.1}:${ANPI_PG_PORT:-5432}/postgres}"
export ANPI_NATS_SERVER="${ANPI_NATS_SERVER:-$repo/.cache/nats-server/bin/nats-server}"
log "ANPI_TEST_DATABASE_URL=$ANPI_TEST_DATABASE_URL"
log "ANPI_NATS_SERVER=$ANPI_NATS_SERVER ($("$ANPI_NATS_SERVER" --version 2>&1 | head -n 1))"
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
