#!/usr/bin/env bash
# deploy/pg-standby.sh — a PostgreSQL streaming hot standby of a primary (issue 22
# item 4): a second Debian PostgreSQL cluster on another port of this machine,
# made with Debian's pg_createcluster and filled with pg_basebackup -R, which
# replays the primary's WAL and answers read-only queries. The national node sends
# its read-only work there (its `standby_database_url` setting).
#
# Usage:
#   deploy/pg-standby.sh create --primary HOST:PORT --port PORT [--name NAME]
#       [--version V] [--user USER] [--password-file FILE] [--slot SLOT]
#       [--trust-loopback]
#   deploy/pg-standby.sh status --name NAME [--version V]
#   deploy/pg-standby.sh drop --name NAME [--version V]
#
# (--version picks among clusters of the same NAME under several PostgreSQL
# versions; without it, the first that pg_lsclusters lists.)
#
# create   makes cluster NAME [anpi_standby] on PORT a standby of HOST:PORT:
#            1. checks that the primary answers (pg_isready) and accepts a
#               replication connection as USER [postgres]; when it does not, says
#               what the primary needs (a `host replication USER <this host>/32
#               <method>` line in its pg_hba.conf, `wal_level = replica` and
#               `max_wal_senders > 0`, a role WITH REPLICATION);
#            2. refuses a NAME or PORT already taken (by a Debian cluster, or by
#               anything listening on the port);
#            3. `pg_createcluster V NAME -p PORT`, empties its data directory and
#               runs `pg_basebackup -X stream -R -c fast` into it as the postgres
#               user (-c fast: a checkpoint at the primary now, rather than
#               waiting for a spread one);
#            4. sets hot_standby = on and listen_addresses = '127.0.0.1', and the
#               settings a standby must not have lower than its primary
#               (max_connections, max_worker_processes, max_wal_senders,
#               max_prepared_transactions, max_locks_per_transaction, as
#               recorded in the copied pg_control);
#            5. starts it (pg_ctlcluster) and waits up to 30 s until it accepts
#               connections and pg_is_in_recovery() is true;
#            6. prints the standby's URL for standby_database_url.
#          A failure after step 3 drops the half-made cluster (and the slot it
#          created) again, so that create can simply be run again.
#          create on an existing standby NAME of the same primary and port says
#          so, starts it when it is down, and exits 0.
#   --version V  the PostgreSQL major version of the standby [the primary's; it must
#          be installed under /usr/lib/postgresql (package postgresql-V); when the
#          primary's cannot be read, the newest installed]. A standby must run the
#          primary's major version.
#   --password-file FILE  USER's password (first line of FILE), for a primary that
#          asks for one: written, as a .pgpass line for HOST:PORT, to
#          ~postgres/.pgpass-NAME (owner postgres, mode 600), which
#          primary_conninfo names as its passfile (no password in the
#          cluster's configuration). Without it, ~postgres/.pgpass applies.
#   --slot SLOT  a physical replication slot on the primary (pg_basebackup -C -S
#          SLOT): the primary keeps the WAL the standby has not received yet,
#          so a standby that was down can always catch up. CAUTION: a slot of a
#          standby that is gone keeps WAL on the primary forever and fills its
#          disk. `drop` removes the slot it recorded; if the primary cannot be
#          reached then, drop it on the primary yourself:
#            SELECT pg_drop_replication_slot('SLOT');
#   --trust-loopback  prepend `host all all 127.0.0.1/32 trust` (and ::1/128) to
#          the standby's pg_hba.conf: passwordless loopback logins, as
#          deploy/ensure-services.sh makes on development machines; for LOCAL
#          DEVELOPMENT and TESTS only. Without it the standby has Debian's
#          pg_hba.conf: the primary's roles log in with their passwords
#          (scram-sha-256), which the standby has replicated from the primary.
#          To serve another machine, widen listen_addresses (pg_conftool V
#          NAME set listen_addresses ...) and the standby's pg_hba.conf.
# status   prints the cluster's pg_lsclusters line, pg_is_in_recovery(), the
#          replay lag in seconds (0 when everything received has been replayed)
#          and the WAL receiver's state (pg_stat_wal_receiver). Exits 3 when
#          the cluster is not running.
# drop     stops and removes cluster NAME (pg_dropcluster --stop), its passfile
#          and the replication slot it recorded on the primary. Refuses a
#          cluster that is not a standby (no standby.signal: e.g. `main`, or a
#          promoted standby): drop those with pg_dropcluster yourself. Dropping a
#          cluster that does not exist is not an error.
#
# Runs as root (or a user with sudo: pg_createcluster needs root); the
# PostgreSQL commands run as the postgres user (runuser -u postgres). Without
# systemd as PID 1, pg_ctlcluster runs with --skip-systemctl-redirect.
set -euo pipefail

log() { printf '[anpi] %s\n' "$*"; }
warn() { printf '[anpi] WARNING: %s\n' "$*" >&2; }
die() {
    printf '[anpi] ERROR: %s\n' "$*" >&2
    exit 1
}

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

is_root() { [ "$(id -u)" -eq 0 ]; }

as_root() {
    if is_root; then
        "$@"
    elif [ -t 0 ]; then
        sudo "$@"
    else
        sudo -n "$@"
    fi
}

# Runs a command as the postgres OS user, in a directory it can enter.
as_postgres() {
    if [ "$(id -un)" = postgres ]; then
        (cd / && "$@")
    else
        (cd / && as_root runuser -u postgres -- "$@")
    fi
}

has_systemd() { [ -d /run/systemd/system ]; }

pg_cluster_ctl() { # VERSION NAME ACTION
    if has_systemd; then
        as_root pg_ctlcluster "$1" "$2" "$3"
    else
        as_root pg_ctlcluster --skip-systemctl-redirect "$1" "$2" "$3"
    fi
}

need_command() { # COMMAND WHAT-TO-INSTALL
    command -v "$1" >/dev/null 2>&1 ||
        die "$1 not found: install $2 (apt-get install --no-install-recommends $2)"
}

# The newest PostgreSQL major version installed under /usr/lib/postgresql.
newest_version() {
    local dir newest=""
    for dir in /usr/lib/postgresql/*/bin/postgres; do
        [ -x "$dir" ] || continue
        dir="${dir#/usr/lib/postgresql/}"
        newest="$(printf '%s\n%s\n' "$newest" "${dir%%/*}" | sed '/^$/d' | sort -V | tail -n 1)"
    done
    printf '%s' "$newest"
}

# "VERSION NAME PORT STATUS OWNER DATADIR LOGFILE" of cluster NAME (of VERSION
# when given), empty when there is none.
cluster_line() { # NAME [VERSION]
    pg_lsclusters -h 2>/dev/null |
        awk -v n="$1" -v v="${2:-}" '$2 == n && (v == "" || $1 == v) { print; exit }'
}

# The last value of KEY = '...' in a postgresql.conf-style file, unquoted.
auto_conf_value() { # DATADIR KEY
    as_postgres cat "$1/postgresql.auto.conf" 2>/dev/null |
        sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*'\(.*\)'[[:space:]]*\$/\1/p" |
        tail -n 1 | sed "s/''/'/g"
}

# The value of KEY in a libpq connection string (unquoted values only: host,
# port, user).
conninfo_value() { # CONNINFO KEY
    printf ' %s\n' "$1" | grep -oE " $2=[^ ']*" | head -n 1 | cut -d= -f2- || true
}

is_standby_datadir() { as_postgres test -f "$1/standby.signal"; }

port_in_use() { # PORT
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

passfile_path() { # NAME
    local home
    home="$(getent passwd postgres | cut -d: -f6)"
    [ -n "$home" ] || die "no postgres OS user: install the postgresql package"
    printf '%s/.pgpass-%s' "$home" "$1"
}

# The address this machine connects to HOST from, for the primary's pg_hba.conf.
standby_address() { # HOST
    local ip src
    case "$1" in
        localhost | 127.* | ::1) printf '127.0.0.1'; return 0 ;;
    esac
    ip="$(getent ahostsv4 "$1" 2>/dev/null | awk 'NR == 1 { print $1 }' || true)"
    src=""
    if [ -n "$ip" ] && command -v ip >/dev/null 2>&1; then
        src="$(ip -o route get "$ip" 2>/dev/null | grep -oE 'src [0-9.]+' | cut -d' ' -f2 || true)"
    fi
    printf '%s' "${src:-<this machine\'s address>}"
}

# ---------------------------------------------------------------- create

PRIMARY="" PRIMARY_HOST="" PRIMARY_PORT="" PORT="" NAME="anpi_standby" VERSION=""
REPL_USER="postgres" PASSWORD_FILE="" SLOT="" TRUST_LOOPBACK=0
PASSFILE="" PGPASS_ENV=()

# psql over a replication connection to the primary, as the postgres OS user.
primary_replication_psql() { # SQL
    as_postgres env "${PGPASS_ENV[@]}" psql -XAtqw \
        "host=$PRIMARY_HOST port=$PRIMARY_PORT user=$REPL_USER dbname=replication replication=true connect_timeout=10" \
        -c "$1"
}

explain_replication_refused() { # ERROR-TEXT
    local method=trust
    [ -n "$PASSWORD_FILE" ] && method=scram-sha-256
    printf '[anpi] ERROR: the primary %s refuses a replication connection as %s:\n' "$PRIMARY" "$REPL_USER" >&2
    printf '%s\n' "$1" | sed 's/^/    /' >&2
    case "$1" in
        *"password authentication failed"* | *"no password supplied"*)
            if [ -n "$PASSWORD_FILE" ]; then
                printf '[anpi] The password in %s is not the password of %s on the primary: correct the file (first line), or the role (ALTER ROLE %s PASSWORD ...).\n' "$PASSWORD_FILE" "$REPL_USER" "$REPL_USER" >&2
            else
                printf '[anpi] The primary asks %s for a password: pass it with --password-file FILE.\n' "$REPL_USER" >&2
            fi
            exit 1
            ;;
    esac
    cat >&2 <<EOF
[anpi] On the primary $PRIMARY:
  * pg_hba.conf needs a replication line for this machine, above any line that
    would match first, e.g.
        host replication $REPL_USER $(standby_address "$PRIMARY_HOST")/32 $method
    then reload it: SELECT pg_reload_conf();
  * postgresql.conf needs wal_level = replica (or logical) and max_wal_senders
    greater than 0 (PostgreSQL's defaults; changing them takes a restart);
  * $REPL_USER must be a superuser or a role WITH REPLICATION LOGIN
    (CREATE ROLE $REPL_USER WITH REPLICATION LOGIN PASSWORD '...'), and, when the
    primary asks for a password, pass it with --password-file FILE.
EOF
    exit 1
}

CREATED_VERSION="" SLOT_CREATED=0 CREATE_DONE=0

cleanup_failed_create() {
    [ "$CREATE_DONE" -eq 0 ] || return 0
    if [ -n "$CREATED_VERSION" ]; then
        local line logfile
        line="$(cluster_line "$NAME" "$CREATED_VERSION")"
        logfile="$(printf '%s' "$line" | awk '{ print $7 }')"
        if [ -n "$logfile" ] && as_root test -s "$logfile"; then
            printf '[anpi] the end of the standby log %s:\n' "$logfile" >&2
            as_root tail -n 20 "$logfile" | sed 's/^/    /' >&2
        fi
        log "removing the half-made cluster $CREATED_VERSION/$NAME (pg_dropcluster --stop)"
        as_root pg_dropcluster --stop "$CREATED_VERSION" "$NAME" || true
    fi
    if [ "$SLOT_CREATED" -eq 1 ]; then
        log "dropping the replication slot $SLOT it created on the primary"
        primary_replication_psql "DROP_REPLICATION_SLOT $SLOT" >/dev/null 2>&1 ||
            warn "could not drop slot $SLOT on $PRIMARY: run SELECT pg_drop_replication_slot('$SLOT'); there"
    fi
    if [ -n "$PASSFILE" ]; then
        as_root rm -f "$PASSFILE"
    fi
}

# Waits up to 30 s until the cluster accepts connections in recovery.
wait_in_recovery() { # VERSION NAME
    local i out
    for ((i = 0; i < 30; i++)); do
        out="$(as_postgres psql --cluster "$1/$2" -XAtq -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null || true)"
        [ "$out" = t ] && return 0
        sleep 1
    done
    return 1
}

print_url() { # PORT
    log "the standby's URL (a database DB of the primary, read-only here):"
    log "    postgres://postgres@127.0.0.1:$1/DB"
    log "e.g. in the national node's node.toml: standby_database_url = \"postgres://postgres@127.0.0.1:$1/<its database>\""
    log "check it with: deploy/pg-standby.sh status --name $NAME"
}

cmd_create() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --primary) PRIMARY="${2:-}"; shift 2 ;;
            --port) PORT="${2:-}"; shift 2 ;;
            --name) NAME="${2:-}"; shift 2 ;;
            --version) VERSION="${2:-}"; shift 2 ;;
            --user) REPL_USER="${2:-}"; shift 2 ;;
            --password-file) PASSWORD_FILE="${2:-}"; shift 2 ;;
            --slot) SLOT="${2:-}"; shift 2 ;;
            --trust-loopback) TRUST_LOOPBACK=1; shift ;;
            *) die "create: unknown argument: $1 (try --help)" ;;
        esac
    done
    [ -n "$PRIMARY" ] || die "create: --primary HOST:PORT is required"
    [ -n "$PORT" ] || die "create: --port PORT (the standby's port) is required"
    case "$PRIMARY" in
        *:*) PRIMARY_HOST="${PRIMARY%:*}" PRIMARY_PORT="${PRIMARY##*:}" ;;
        *) die "create: --primary must be HOST:PORT, e.g. 127.0.0.1:5432 (got '$PRIMARY')" ;;
    esac
    [[ -n "$PRIMARY_HOST" && "$PRIMARY_PORT" =~ ^[0-9]+$ ]] ||
        die "create: --primary must be HOST:PORT, e.g. 127.0.0.1:5432 (got '$PRIMARY')"
    [[ "$PORT" =~ ^[0-9]+$ && "$PORT" -ge 1 && "$PORT" -le 65535 ]] ||
        die "create: --port must be a TCP port number (got '$PORT')"
    [[ "$NAME" =~ ^[A-Za-z0-9_][A-Za-z0-9_-]*$ ]] ||
        die "create: --name must be letters, digits, _ and - (got '$NAME')"
    [[ -z "$SLOT" || "$SLOT" =~ ^[a-z0-9_]{1,63}$ ]] ||
        die "create: --slot must be lower-case letters, digits and _ (got '$SLOT')"
    [[ "$REPL_USER" =~ ^[A-Za-z0-9_.-]+$ ]] ||
        die "create: --user must be a plain role name (got '$REPL_USER')"
    if [ -n "$PASSWORD_FILE" ]; then
        if ! as_root test -f "$PASSWORD_FILE" || ! as_root test -r "$PASSWORD_FILE"; then
            die "create: the password file $PASSWORD_FILE cannot be read"
        fi
    fi
    need_command pg_createcluster postgresql-common
    need_command pg_isready postgresql-client
    need_command psql postgresql-client

    # An existing cluster of that name: done when it is a standby of this primary.
    local line
    line="$(cluster_line "$NAME" "$VERSION")"
    if [ -n "$line" ]; then
        local ver port status datadir conninfo host cport
        read -r ver _ port status _ datadir _ <<<"$line"
        is_standby_datadir "$datadir" ||
            die "a cluster named $NAME already exists ($ver/$NAME on port $port, $status) and is not a standby: choose another --name"
        conninfo="$(auto_conf_value "$datadir" primary_conninfo)"
        host="$(conninfo_value "$conninfo" host)"
        cport="$(conninfo_value "$conninfo" port)"
        if [ "$host" != "$PRIMARY_HOST" ] || [ "${cport:-5432}" != "$PRIMARY_PORT" ]; then
            die "a cluster named $NAME already exists ($ver/$NAME on port $port) as a standby of ${host:-?}:${cport:-?}, not of $PRIMARY: choose another --name, or drop it first (deploy/pg-standby.sh drop --name $NAME)"
        fi
        [ "$port" = "$PORT" ] ||
            die "$ver/$NAME is already a standby of $PRIMARY, but on port $port, not $PORT: use port $port, or drop it first (deploy/pg-standby.sh drop --name $NAME)"
        log "$ver/$NAME is already a standby of $PRIMARY on port $port ($status)"
        case "$status" in
            online*) ;;
            *)
                log "starting it"
                pg_cluster_ctl "$ver" "$NAME" start
                ;;
        esac
        wait_in_recovery "$ver" "$NAME" ||
            die "$ver/$NAME does not accept connections in recovery after 30 s: see its log (pg_lsclusters shows where)"
        print_url "$port"
        return 0
    fi

    local taken
    taken="$(pg_lsclusters -h 2>/dev/null | awk -v p="$PORT" '$3 == p { print $1 "/" $2; exit }')"
    [ -z "$taken" ] || die "port $PORT is the port of cluster $taken: choose another --port"
    if port_in_use "$PORT"; then
        die "something already listens on 127.0.0.1:$PORT: choose another --port"
    fi

    # The primary: answering, and accepting a replication connection.
    local ready_rc=0
    pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -t 10 || ready_rc=$?
    case "$ready_rc" in
        0) ;;
        1) die "the primary $PRIMARY is starting up or shutting down (pg_isready): try again when it accepts connections" ;;
        *) die "the primary $PRIMARY does not answer (pg_isready): check the address, that PostgreSQL runs there, and its listen_addresses and firewall" ;;
    esac

    trap cleanup_failed_create EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    unset PGPASSWORD
    if [ -n "$PASSWORD_FILE" ]; then
        local password
        password="$(as_root head -n 1 "$PASSWORD_FILE" | tr -d '\r')"
        [ -n "$password" ] || die "the password file $PASSWORD_FILE is empty"
        PASSFILE="$(passfile_path "$NAME")"
        # .pgpass: hostname:port:database:username:password, \ and : escaped.
        password="${password//\\/\\\\}"
        password="${password//:/\\:}"
        # shellcheck disable=SC2016 # $1 expands in the inner sh
        printf '%s:%s:*:%s:%s\n' "$PRIMARY_HOST" "$PRIMARY_PORT" "$REPL_USER" "$password" |
            as_postgres sh -c 'umask 077 && cat > "$1" && chmod 600 "$1"' sh "$PASSFILE"
        PGPASS_ENV=("PGPASSFILE=$PASSFILE")
    fi

    local version_num err
    if ! err="$(primary_replication_psql 'SHOW server_version_num' 2>&1)"; then
        explain_replication_refused "$err"
    fi
    version_num="$(printf '%s' "$err" | tail -n 1)"
    local primary_major=""
    if [[ "$version_num" =~ ^[0-9]+$ ]]; then
        primary_major=$((version_num / 10000))
    fi
    if [ -z "$VERSION" ]; then
        VERSION="${primary_major:-$(newest_version)}"
        [ -n "$VERSION" ] || die "no PostgreSQL server under /usr/lib/postgresql: install postgresql"
    fi
    [ -x "/usr/lib/postgresql/$VERSION/bin/postgres" ] ||
        die "PostgreSQL $VERSION is not installed (no /usr/lib/postgresql/$VERSION/bin/postgres): apt-get install --no-install-recommends postgresql-$VERSION"
    if [ -n "$primary_major" ] && [ "$primary_major" != "$VERSION" ]; then
        die "the primary runs PostgreSQL $primary_major, --version is $VERSION: a standby must run the primary's major version (install postgresql-$primary_major and pass --version $primary_major)"
    fi

    log "creating cluster $VERSION/$NAME on port $PORT (pg_createcluster)"
    as_root pg_createcluster "$VERSION" "$NAME" -p "$PORT" >/dev/null
    CREATED_VERSION="$VERSION"
    line="$(cluster_line "$NAME" "$VERSION")"
    local datadir
    datadir="$(printf '%s' "$line" | awk '{ print $6 }')"
    [ -n "$datadir" ] || die "pg_createcluster made no cluster $VERSION/$NAME"
    as_postgres find "$datadir" -mindepth 1 -delete

    log "copying the primary $PRIMARY (pg_basebackup -X stream -R -c fast${SLOT:+ -C -S $SLOT}) into $datadir"
    local basebackup=(pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPL_USER"
        -D "$datadir" -X stream -R -c fast -w)
    if [ -n "$SLOT" ]; then
        basebackup+=(-C -S "$SLOT")
    fi
    if ! err="$(as_postgres env "${PGPASS_ENV[@]}" "/usr/lib/postgresql/$VERSION/bin/${basebackup[0]}" "${basebackup[@]:1}" 2>&1)"; then
        case "$err" in
            *"already exists"*)
                die "pg_basebackup failed: $err — the slot $SLOT already exists on the primary: choose another --slot, or, if no standby uses it any more, drop it there: SELECT pg_drop_replication_slot('$SLOT');"
                ;;
            *) explain_replication_refused "$err" ;;
        esac
    fi
    [ -z "$SLOT" ] || SLOT_CREATED=1
    is_standby_datadir "$datadir" || die "pg_basebackup -R wrote no standby.signal into $datadir"

    # The settings of the standby, appended to its postgresql.conf (the last
    # setting wins): hot standby, loopback, and, where PostgreSQL requires a
    # standby to have at least the primary's, the primary's values (as recorded
    # in the copied pg_control) when Debian's are lower.
    local conf="/etc/postgresql/$VERSION/$NAME/postgresql.conf"
    local settings controldata setting label primary_value own_value
    settings="$(printf '%s\n' "" "# deploy/pg-standby.sh: a streaming hot standby of $PRIMARY" \
        "hot_standby = on" "listen_addresses = '127.0.0.1'")"
    controldata="$(as_postgres "/usr/lib/postgresql/$VERSION/bin/pg_controldata" "$datadir")"
    for setting in max_connections:max_connections max_worker_processes:max_worker_processes \
        max_wal_senders:max_wal_senders max_prepared_transactions:max_prepared_xacts \
        max_locks_per_transaction:max_locks_per_xact; do
        label="${setting#*:}"
        setting="${setting%%:*}"
        primary_value="$(printf '%s\n' "$controldata" | awk -F: -v l="$label setting" '$1 == l { gsub(/ /, "", $2); print $2 }')"
        [[ "$primary_value" =~ ^[0-9]+$ ]] || continue
        own_value="$(as_postgres "/usr/lib/postgresql/$VERSION/bin/postgres" -D "$datadir" \
            -c "config_file=$conf" -C "$setting" 2>/dev/null || true)"
        if ! [[ "$own_value" =~ ^[0-9]+$ ]] || [ "$own_value" -lt "$primary_value" ]; then
            settings="$settings"$'\n'"$setting = $primary_value # the primary's"
        fi
    done
    printf '%s\n' "$settings" | as_postgres tee -a "$conf" >/dev/null
    if [ "$TRUST_LOOPBACK" -eq 1 ]; then
        local hba="/etc/postgresql/$VERSION/$NAME/pg_hba.conf"
        log "NOTE: --trust-loopback: passwordless loopback logins at the standby (development and tests only)"
        # shellcheck disable=SC2016 # $1/$rest expand in the inner sh
        as_postgres sh -c 'rest="$(cat "$1")" && printf "%s\n" \
            "# deploy/pg-standby.sh --trust-loopback: development and tests only" \
            "host all all 127.0.0.1/32 trust" "host all all ::1/128 trust" "$rest" > "$1"' sh "$hba"
    fi

    log "starting $VERSION/$NAME"
    pg_cluster_ctl "$VERSION" "$NAME" start ||
        die "pg_ctlcluster $VERSION $NAME start failed"
    wait_in_recovery "$VERSION" "$NAME" ||
        die "$VERSION/$NAME did not accept connections in recovery within 30 s"
    CREATE_DONE=1
    log "$VERSION/$NAME on port $PORT is a streaming hot standby of $PRIMARY${SLOT:+ (slot $SLOT)}"
    print_url "$PORT"
}

# ---------------------------------------------------------------- status

ARG_NAME="" ARG_VERSION=""
# The arguments of status and drop: --name NAME (required) [--version V].
name_and_version() { # COMMAND ARGS...
    local command="$1"
    shift
    ARG_NAME="" ARG_VERSION=""
    while [ $# -gt 0 ]; do
        case "$1" in
            --name) ARG_NAME="${2:-}"; shift 2 ;;
            --version) ARG_VERSION="${2:-}"; shift 2 ;;
            *) die "$command: unknown argument: $1 (try --help)" ;;
        esac
    done
    [ -n "$ARG_NAME" ] || die "$command: --name NAME is required"
}

cmd_status() {
    local name version
    name_and_version status "$@"
    name="$ARG_NAME" version="$ARG_VERSION"
    need_command pg_lsclusters postgresql-common
    local line ver status
    line="$(cluster_line "$name" "$version")"
    [ -n "$line" ] || die "no cluster named $name (pg_lsclusters)"
    read -r ver _ _ status _ <<<"$line"
    printf 'cluster: %s\n' "$line"
    case "$status" in
        online*) ;;
        *)
            printf 'running: no (start it: pg_ctlcluster %s %s start)\n' "$ver" "$name"
            exit 3
            ;;
    esac
    as_postgres psql --cluster "$ver/$name" -XAtq -d postgres -F ': ' -c "
        SELECT 'in_recovery', pg_is_in_recovery()::text
        UNION ALL
        SELECT 'replay_lag_seconds', coalesce(round((
            CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                 ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END
            )::numeric, 3)::text, 'unknown')
        UNION ALL
        SELECT 'wal_receiver', coalesce((
            SELECT status || ' from ' || coalesce(sender_host, '?') || ':' || coalesce(sender_port::text, '?')
                   || coalesce(' slot ' || slot_name, '')
            FROM pg_stat_wal_receiver), 'none (not streaming)')"
}

# ---------------------------------------------------------------- drop

cmd_drop() {
    local name version
    name_and_version drop "$@"
    name="$ARG_NAME" version="$ARG_VERSION"
    need_command pg_dropcluster postgresql-common
    local line ver datadir passfile
    passfile="$(passfile_path "$name")"
    line="$(cluster_line "$name" "$version")"
    if [ -z "$line" ]; then
        log "no cluster named $name: nothing to drop"
        as_root rm -f "$passfile"
        return 0
    fi
    read -r ver _ _ _ _ datadir _ <<<"$line"
    is_standby_datadir "$datadir" ||
        die "$ver/$name is not a standby (no standby.signal in $datadir): not dropping it; if you mean it, pg_dropcluster --stop $ver $name"
    local conninfo slot
    conninfo="$(auto_conf_value "$datadir" primary_conninfo)"
    slot="$(auto_conf_value "$datadir" primary_slot_name)"
    log "stopping and removing $ver/$name (pg_dropcluster --stop)"
    pg_cluster_ctl "$ver" "$name" stop >/dev/null 2>&1 || true
    as_root pg_dropcluster --stop "$ver" "$name"
    if [ -n "$slot" ]; then
        # The primary's WAL sender may take a moment to notice the standby left.
        local i dropped=0 err=""
        for ((i = 0; i < 10; i++)); do
            if err="$(as_postgres psql -XAtqw "$conninfo dbname=replication replication=true connect_timeout=10" \
                -c "DROP_REPLICATION_SLOT $slot" 2>&1)"; then
                dropped=1
                break
            fi
            case "$err" in
                *"does not exist"*) dropped=1; break ;;
            esac
            sleep 1
        done
        if [ "$dropped" -eq 1 ]; then
            log "dropped the replication slot $slot on the primary"
        else
            warn "could not drop the replication slot $slot on the primary ($err): drop it there, or its WAL piles up: SELECT pg_drop_replication_slot('$slot');"
        fi
    fi
    as_root rm -f "$passfile"
    log "dropped $ver/$name"
}

case "${1:-}" in
    create) shift; cmd_create "$@" ;;
    status) shift; cmd_status "$@" ;;
    drop) shift; cmd_drop "$@" ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) die "unknown command: $1 (create, status or drop; try --help)" ;;
esac
