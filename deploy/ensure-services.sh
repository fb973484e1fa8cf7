#!/usr/bin/env bash
# deploy/ensure-services.sh — make sure the services anpi's tests and local
# network need are reachable, installing and starting them where missing:
#
#   * PostgreSQL on 127.0.0.1:5432, user "postgres", no password over loopback
#   * nats-server with JetStream on 127.0.0.1:4222
#   * the printed forms' font, IPAexGothic (fonts-ipaexfont-gothic): anpi embeds it
#     in every form it prints (services/forms)
#   * with --browser: Debian's chromium and chromium-driver (the public page's
#     browser test; deploy/test.sh asks for them, the local network does not),
#     poppler-utils (the form tests read the PDFs back with pdftotext) and
#     aiosmtpd for Debian's /usr/bin/python3 (python3-aiosmtpd: the SMTP sink
#     deploy/smtp/sink.py the mail tests send to)
#   * (checked only) the Rust toolchain: cargo, rustc >= 1.89
#
# Idempotent. When everything is already up (the normal case on the project's
# machines) it only looks, changes nothing and takes well under a second.
# On a fresh Debian 12 it apt-get installs `postgresql` / `nats-server`, starts
# them and, if PostgreSQL asks for a password on loopback, makes loopback
# logins passwordless ("trust") — this is meant for LOCAL DEVELOPMENT machines
# and CI only.
#
# Usage: deploy/ensure-services.sh [--check] [--browser]
#   --check   only check; never install, start or reconfigure (exit 1 if not OK)
#   --browser also chromium and chromedriver, the Japanese fonts (fonts-noto-cjk)
#             and axe-core (npm, into .cache/axe) for the console's browser tests,
#             and poppler-utils (pdftotext, pdftoppm) for the form tests,
#             and python3-aiosmtpd for the test SMTP sink (deploy/smtp/sink.py)
#
# Environment (defaults in brackets):
#   ANPI_PG_HOST [127.0.0.1]   ANPI_PG_PORT [5432]
#   ANPI_NATS_HOST [127.0.0.1] ANPI_NATS_PORT [4222]
#
# Runs as root (CI) or as a normal user, who gets `sudo` for the steps that
# need root.
set -euo pipefail

PG_HOST="${ANPI_PG_HOST:-127.0.0.1}"
PG_PORT="${ANPI_PG_PORT:-5432}"
NATS_HOST="${ANPI_NATS_HOST:-127.0.0.1}"
NATS_PORT="${ANPI_NATS_PORT:-4222}"
MIN_RUST_MINOR=89 # rustc 1.89
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

CHECK_ONLY=0
BROWSER=0
for arg in "$@"; do
    case "$arg" in
        --check) CHECK_ONLY=1 ;;
        --browser) BROWSER=1 ;;
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
    log "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
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

ensure_postgres() {
    if pg_login; then
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
        log "PostgreSQL OK ($PG_HOST:$PG_PORT, user postgres)"
        return 0
    fi
    case "$PG_ERR" in
        *password* | *authentication* | *pg_hba.conf*)
            is_loopback "$PG_HOST" ||
                die "PostgreSQL on $PG_HOST:$PG_PORT refuses a passwordless login as postgres: $PG_ERR"
            pg_trust_loopback
            log "PostgreSQL OK ($PG_HOST:$PG_PORT, user postgres, trust on loopback)"
            ;;
        *) die "PostgreSQL answers on $PG_HOST:$PG_PORT but logging in as postgres fails: $PG_ERR" ;;
    esac
}

# ----------------------------------------------------------------- NATS ----

NATS_STATE="" # jetstream | nojs | notnats | silent | closed
NATS_INFO=""
# Connect to NATS and read its greeting ("INFO {json}").
nats_probe() {
    local rc=0
    # shellcheck disable=SC2016 # $0/$1/$line expand in the inner bash
    NATS_INFO="$(timeout 4 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 20
        IFS= read -r -t 2 line <&3 || exit 21
        printf "%s" "$line"' "$NATS_HOST" "$NATS_PORT" 2>/dev/null)" || rc=$?
    case "$rc" in
        0)
            if [[ "$NATS_INFO" != INFO* ]]; then
                NATS_STATE=notnats
            elif [[ "$NATS_INFO" == *'"jetstream":true'* ]]; then
                NATS_STATE=jetstream
            else
                NATS_STATE=nojs
            fi
            ;;
        21) NATS_STATE=silent ;;
        *) NATS_STATE=closed ;;
    esac
}

nats_bin() {
    command -v nats-server 2>/dev/null && return 0
    # /usr/sbin is not on a normal user's PATH on Debian
    [ -x /usr/sbin/nats-server ] && printf '%s\n' /usr/sbin/nats-server
}

NATS_CONF=/etc/nats-server.conf
NATS_UNIT=/lib/systemd/system/nats-server.service

nats_nojs_message() {
    local msg="a nats-server is running on $NATS_HOST:$NATS_PORT WITHOUT JetStream; anpi needs JetStream. Not touching a server this script did not start: restart it with JetStream enabled (command-line flags '-js -sd <store dir>', or a 'jetstream { store_dir: ... }' block in its config)"
    if has_systemd && systemctl is-active --quiet nats-server 2>/dev/null; then
        msg="$msg — it looks like the Debian nats-server service: add 'jetstream { store_dir: \"/var/lib/nats-server\" }' to $NATS_CONF and run 'sudo systemctl restart nats-server'"
    fi
    printf '%s' "$msg"
}

# Debian's nats-server.service runs `nats-server -c /etc/nats-server.conf`
# (127.0.0.1:4222, no JetStream) as user nats: enable JetStream in that file.
nats_conf_enable_js() {
    if as_root grep -qE '^[[:space:]]*(jetstream|js)[[:space:]]*[:={]' "$NATS_CONF" 2>/dev/null; then
        return 0
    fi
    log "enabling JetStream in $NATS_CONF (store_dir /var/lib/nats-server)"
    as_root mkdir -p /var/lib/nats-server
    if id nats >/dev/null 2>&1; then as_root chown nats:nats /var/lib/nats-server; fi
    printf '\n# added by anpi deploy/ensure-services.sh\njetstream {\n  store_dir: "/var/lib/nats-server"\n}\n' |
        as_root tee -a "$NATS_CONF" >/dev/null
}

nats_wait() {
    local i
    for ((i = 0; i < 15; i++)); do
        nats_probe
        case "$NATS_STATE" in
            closed) sleep 1 ;;
            *) return 0 ;;
        esac
    done
}

ensure_nats() {
    nats_probe
    case "$NATS_STATE" in
        jetstream)
            log "NATS OK ($NATS_HOST:$NATS_PORT, JetStream enabled)"
            return 0
            ;;
        nojs) die "$(nats_nojs_message)" ;;
        notnats) die "something that is not NATS answers on $NATS_HOST:$NATS_PORT (it said: ${NATS_INFO:0:60}); free the port or set ANPI_NATS_PORT" ;;
        silent)
            log "WARNING: $NATS_HOST:$NATS_PORT accepts connections but sent no NATS INFO line within 2 s; assuming it is a JetStream-enabled nats-server"
            return 0
            ;;
    esac
    # closed: nothing listens.
    [ "$CHECK_ONLY" -eq 0 ] || die "NATS does not answer on $NATS_HOST:$NATS_PORT"
    is_loopback "$NATS_HOST" ||
        die "NATS does not answer on $NATS_HOST:$NATS_PORT (not a local address: not trying to install or start it)"
    log "NATS does not answer on $NATS_HOST:$NATS_PORT"

    local bin installed_now=0
    bin="$(nats_bin || true)"
    if [ -z "$bin" ]; then
        log "nats-server not installed: installing the Debian package nats-server"
        apt_install nats-server
        installed_now=1
        bin="$(nats_bin || true)"
        [ -n "$bin" ] || die "nats-server still not found after installing it"
    fi

    if has_systemd && [ -f "$NATS_UNIT" ] && [ "$NATS_PORT" = 4222 ]; then
        # Use the packaged service (127.0.0.1:4222 from /etc/nats-server.conf).
        nats_conf_enable_js
        if [ "$installed_now" -eq 1 ]; then
            # The package has just started it without JetStream: it is ours.
            log "restarting the nats-server service with JetStream"
            as_root systemctl enable nats-server >/dev/null 2>&1 || true
            as_root systemctl restart nats-server
        else
            log "starting the nats-server service"
            as_root systemctl enable nats-server >/dev/null 2>&1 || true
            as_root systemctl start nats-server
        fi
        nats_wait
    else
        local store=/var/lib/nats-server logf=/var/log/nats-server.log
        if [ "$NATS_PORT" != 4222 ]; then
            store="/var/lib/nats-server-$NATS_PORT"
            logf="/var/log/nats-server-$NATS_PORT.log"
        fi
        log "starting nats-server with JetStream on $NATS_HOST:$NATS_PORT (store $store, log $logf)"
        as_root mkdir -p "$store"
        as_root start-stop-daemon --start --oknodo --background \
            --make-pidfile --pidfile "/run/anpi-nats-server-$NATS_PORT.pid" \
            --exec "$bin" -- -a "$NATS_HOST" -p "$NATS_PORT" -js -sd "$store" -l "$logf"
        nats_wait
    fi

    case "$NATS_STATE" in
        jetstream) log "NATS OK ($NATS_HOST:$NATS_PORT, JetStream enabled)" ;;
        nojs) die "$(nats_nojs_message)" ;;
        silent) log "WARNING: $NATS_HOST:$NATS_PORT accepts connections but sent no NATS INFO line; assuming it is nats-server" ;;
        notnats) die "something that is not NATS answers on $NATS_HOST:$NATS_PORT" ;;
        *) die "nats-server did not come up on $NATS_HOST:$NATS_PORT within 15 s (see /var/log/nats-server*.log or 'journalctl -u nats-server')" ;;
    esac
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
ensure_postgres
ensure_nats
ensure_form_font
if [ "$BROWSER" -eq 1 ]; then
    ensure_browser
    ensure_fonts
    ensure_poppler
    ensure_smtp_sink
    ensure_axe
fi
log "services ready"
