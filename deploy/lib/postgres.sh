#!/usr/bin/env bash
# shellcheck shell=bash
#
# deploy/lib/postgres.sh - run a private PostgreSQL server for development,
# tests, benchmarks and local clusters, without touching the system cluster.
#
# Source it (do not execute it):
#
#   source deploy/lib/postgres.sh
#   pg_ensure_installed                  # sets and exports PG_BIN, PG_OS_USER
#   port=$(free_port)
#   pg_start /tmp/somewhere/data "$port" # initdb on first use, then start
#   pg_create_db "$port" mydb
#   conn=$(pg_connection_string "$port" mydb)
#   pg_stop /tmp/somewhere/data
#
# Every function returns non-zero on failure (so `set -e` callers stop) and
# writes its chatter to stderr; stdout is reserved for values that callers
# capture with $(...) (free_port, pg_connection_string).
#
# Why not the Debian cluster tooling (pg_ctlcluster)? It keeps config in /etc,
# sockets in /var/run and needs root; these helpers keep everything for one
# server inside its data directory so that several servers (repo dev data,
# throwaway test servers, benchmark clusters) coexist on their own ports.

# Executed by mistake instead of sourced: say how to use it. (No `set -euo
# pipefail` here on purpose: a sourced file would impose it on its caller;
# the scripts that source this set it themselves.)
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    printf 'usage: source %s, then call pg_ensure_installed, pg_start, ...\n' "$0" >&2
    exit 2
fi

# PostgreSQL refuses to run as root, so when we are root the server and its
# tools run as this OS user (the Debian package creates "postgres").
PG_OS_USER=${PG_OS_USER:-postgres}

_pg_log() {
    printf 'postgres.sh: %s\n' "$*" >&2
}

_pg_fail() {
    _pg_log "error: $*"
    return 1
}

# Run a command as root: directly when we are root, else through sudo.
# apt-get needs it; nothing else in this file does.
_pg_as_root() {
    if ((EUID == 0)); then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        _pg_fail "need root (or sudo) to run: $*"
    fi
}

# Run a command as the PostgreSQL OS user. From "/" because the server and
# initdb complain (or fail) when started in a directory that user cannot read,
# such as /root. LC_ALL=C keeps server messages and initdb independent of
# whatever locales happen to be installed.
_pg_as_owner() {
    if ((EUID == 0)); then
        (cd / && LC_ALL=C runuser -u "$PG_OS_USER" -- "$@")
    else
        (cd / && LC_ALL=C "$@")
    fi
}

# Newest installed server bin directory, e.g. /usr/lib/postgresql/15/bin.
_pg_find_bin() {
    local dir
    local -a found=()
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x $dir/postgres ]] && found+=("$dir")
    done
    ((${#found[@]} > 0)) || return 1
    printf '%s\n' "${found[@]}" | sort -V | tail -n 1
}

# The functions below work with PG_BIN from the environment, or find it.
_pg_require_bin() {
    if [[ -n ${PG_BIN:-} && -x ${PG_BIN}/postgres ]]; then
        return 0
    fi
    PG_BIN=$(_pg_find_bin) ||
        _pg_fail "no PostgreSQL server under /usr/lib/postgresql/*/bin (call pg_ensure_installed first)" ||
        return 1
    export PG_BIN
}

# As root we need an OS user to own the server. The Debian package creates
# "postgres"; if binaries came from elsewhere, create a system user for it.
# As a normal user, the server simply runs as ourselves.
_pg_ensure_os_user() {
    if ((EUID != 0)); then
        PG_OS_USER=$(id -un)
    elif ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
        _pg_log "creating OS user '$PG_OS_USER' to own PostgreSQL servers"
        useradd --system --user-group --no-create-home \
            --home-dir /var/lib/postgresql --shell /usr/sbin/nologin "$PG_OS_USER" ||
            return 1
    fi
    export PG_OS_USER
}

# apt-get update at most once per process tree: CI runs it up front and the
# flag (exported) stops pg_ensure_installed from repeating it.
pg_apt_update() {
    if [[ ${PG_APT_UPDATED:-0} == 1 ]]; then
        return 0
    fi
    _pg_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
    export PG_APT_UPDATED=1
}

# pg_ensure_installed
# Installs the Debian "postgresql" package if no server binary exists, then
# exports PG_BIN (newest /usr/lib/postgresql/<version>/bin) and PG_OS_USER.
pg_ensure_installed() {
    local bin
    if ! bin=$(_pg_find_bin); then
        _pg_log "PostgreSQL server binaries not found; installing the Debian 'postgresql' package"
        pg_apt_update || return 1
        # confold/confdef: never stop at a configuration-file prompt on CI.
        _pg_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
            postgresql || return 1
        bin=$(_pg_find_bin) ||
            _pg_fail "installed 'postgresql' but still found no server under /usr/lib/postgresql/*/bin" ||
            return 1
    fi
    export PG_BIN=$bin
    _pg_ensure_os_user
}

# The server runs as PG_OS_USER, which must be able to reach its data
# directory: give "others" search (x, not read) permission on any ancestor
# that blocks it, e.g. a repository under a root-only home directory.
_pg_make_traversable() {
    local dir=$1
    while [[ -n $dir && $dir != / ]]; do
        if ! _pg_as_owner test -x "$dir" 2>/dev/null; then
            _pg_log "allowing '$PG_OS_USER' to traverse $dir (chmod o+x)"
            chmod o+x -- "$dir" || return 1
        fi
        dir=$(dirname -- "$dir")
    done
}

# Unix socket paths are limited to 107 bytes ("<dir>/.s.PGSQL.<port>"); use
# the data directory when it fits (so the server touches nothing outside it),
# otherwise a private directory under /tmp.
_pg_socket_dir() {
    local datadir=$1 port=$2 dir
    if ((${#datadir} <= 90)); then
        printf '%s\n' "$datadir"
        return 0
    fi
    dir=/tmp/.pg-sockets-$port
    mkdir -p -- "$dir" || return 1
    chmod 700 -- "$dir" || return 1
    if ((EUID == 0)); then
        chown -- "$PG_OS_USER" "$dir" || return 1
    fi
    printf '%s\n' "$dir"
}

_pg_is_running() {
    _pg_as_owner "$PG_BIN/pg_ctl" status -D "$1" >/dev/null 2>&1
}

_pg_log_tail() {
    local log=$1/server.log
    if [[ -f $log ]]; then
        _pg_log "last lines of $log:"
        tail -n 30 -- "$log" >&2
    fi
}

# pg_start <datadir> <port>
# Creates the cluster on first use (initdb: superuser "postgres", trust auth,
# UTF8) and starts it listening on 127.0.0.1:<port> only. If a server is
# already running on <datadir> (e.g. left over from a killed run), it is
# reused when on the same port and restarted when on another.
pg_start() {
    if (($# != 2)) || [[ -z $1 || ! $2 =~ ^[0-9]+$ ]]; then
        _pg_fail "usage: pg_start <datadir> <port>"
        return 1
    fi
    local datadir=$1 port=$2 running_port sockdir out
    _pg_require_bin || return 1
    _pg_ensure_os_user || return 1

    mkdir -p -- "$datadir" || return 1
    datadir=$(cd -- "$datadir" && pwd -P) || return 1
    # pg_ctl hands -o to /bin/sh; refuse paths our quoting cannot carry.
    if [[ $datadir == *[\'\"\\\$\`]* ]]; then
        _pg_fail "data directory path must not contain quotes, \\, \$ or \`: $datadir"
        return 1
    fi
    if ((EUID == 0)); then
        _pg_make_traversable "$(dirname -- "$datadir")" || return 1
        if [[ $(stat -c %U -- "$datadir") != "$PG_OS_USER" ]]; then
            chown -R -- "$PG_OS_USER:" "$datadir" || return 1
        fi
    fi
    # The server refuses a group/world-accessible data directory.
    chmod 700 -- "$datadir" || return 1

    if [[ ! -f $datadir/PG_VERSION ]]; then
        if [[ -n $(ls -A -- "$datadir") ]]; then
            _pg_fail "$datadir is not empty but holds no PostgreSQL cluster (no PG_VERSION); move it away or delete it"
            return 1
        fi
        _pg_log "initialising a new cluster in $datadir"
        # Normal (synced) initdb: the dev data must survive a crash.
        if ! out=$(_pg_as_owner "$PG_BIN/initdb" -D "$datadir" -U postgres -A trust \
            -E UTF8 --locale=C 2>&1); then
            printf '%s\n' "$out" >&2
            _pg_fail "initdb failed for $datadir"
            return 1
        fi
    fi

    local data_version bin_version
    data_version=$(<"$datadir/PG_VERSION")
    bin_version=$(basename -- "$(dirname -- "$PG_BIN")")
    if [[ $data_version != "$bin_version" ]]; then
        _pg_fail "$datadir was created by PostgreSQL $data_version but PG_BIN is version $bin_version ($PG_BIN); delete the directory or point PG_BIN at /usr/lib/postgresql/$data_version/bin"
        return 1
    fi

    if _pg_is_running "$datadir"; then
        # Line 4 of postmaster.pid is the port the running server listens on.
        running_port=$(sed -n 4p -- "$datadir/postmaster.pid" 2>/dev/null || true)
        if [[ $running_port == "$port" ]]; then
            _pg_log "reusing the PostgreSQL server already running on $datadir (port $port)"
            # It may still be starting or recovering: wait until it accepts.
            if ! "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 60; then
                _pg_log_tail "$datadir"
                _pg_fail "the server running on $datadir does not accept connections on 127.0.0.1:$port"
                return 1
            fi
            return 0
        fi
        _pg_log "a server is running on $datadir with port ${running_port:-?}; restarting it on port $port"
        pg_stop "$datadir" || return 1
    fi

    sockdir=$(_pg_socket_dir "$datadir" "$port") || return 1
    # fsync and synchronous_commit are the defaults, but are set explicitly:
    # durability tests and benchmarks measure against a durable server, so a
    # stray postgresql.conf edit must not silently weaken them.
    local opts="-c listen_addresses=127.0.0.1 -c port=$port"
    opts+=" -c unix_socket_directories='$sockdir'"
    opts+=" -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c max_connections=200"
    # Settings a shop would run this write-heavy load with (the same server for
    # the product and every PostgreSQL baseline of deploy/bench): the hot tables
    # and indexes in PostgreSQL's own cache (its default is 128 MB); the largest
    # WAL buffer PostgreSQL sizes by itself, so a burst of commits is not flushed
    # piecemeal; checkpoints spread out and driven by time, not by a Black-Friday
    # burst of WAL (each checkpoint makes the next write of every page a full
    # page image); planner costs of an SSD; sort and index-build memory for search
    # facets and catalog imports. commit_delay stays 0: PostgreSQL already flushes
    # the WAL of all commits waiting at that moment in one fsync, and the grain
    # store groups its own commits, so a fixed sleep before each flush would only
    # add latency (README, Benchmarks).
    opts+=" -c shared_buffers=1GB -c wal_buffers=16MB -c effective_cache_size=8GB"
    opts+=" -c max_wal_size=4GB -c min_wal_size=1GB -c checkpoint_timeout=15min -c checkpoint_completion_target=0.9"
    opts+=" -c random_page_cost=1.1 -c work_mem=16MB -c maintenance_work_mem=256MB"
    _pg_log "starting PostgreSQL on 127.0.0.1:$port (data $datadir, log $datadir/server.log)"
    if ! _pg_as_owner "$PG_BIN/pg_ctl" start -w -t 120 -D "$datadir" \
        -l "$datadir/server.log" -o "$opts" >&2; then
        _pg_log_tail "$datadir"
        _pg_fail "PostgreSQL did not start on 127.0.0.1:$port (data $datadir); is the port already in use?"
        return 1
    fi
}

# Exit status 0: database exists, 1: it does not, 2: cannot ask the server.
_pg_db_exists() {
    local port=$1 db=$2 found
    # :'db' makes psql quote the name as a literal; -X skips ~/.psqlrc.
    found=$(printf '%s\n' "SELECT 1 FROM pg_database WHERE datname = :'db';" |
        "$PG_BIN/psql" -X -q -t -A -v ON_ERROR_STOP=1 -v db="$db" \
            -h 127.0.0.1 -p "$port" -U postgres -d postgres) || return 2
    [[ $found == 1 ]]
}

# pg_create_db <port> <dbname>
# Creates the database unless it exists (TCP to 127.0.0.1 as "postgres").
pg_create_db() {
    if (($# != 2)) || [[ ! $1 =~ ^[0-9]+$ || -z $2 ]]; then
        _pg_fail "usage: pg_create_db <port> <dbname>"
        return 1
    fi
    local port=$1 db=$2
    _pg_require_bin || return 1
    local rc=0
    _pg_db_exists "$port" "$db" || rc=$?
    case $rc in
        0) return 0 ;;
        2) _pg_fail "cannot query databases on 127.0.0.1:$port"; return 1 ;;
    esac
    # createdb quotes the identifier itself. If it fails, someone may have
    # created the database concurrently, which is fine.
    if ! "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres -- "$db"; then
        _pg_db_exists "$port" "$db" || { _pg_fail "could not create database '$db' on 127.0.0.1:$port"; return 1; }
    fi
}

# pg_stop <datadir>
# Fast shutdown (disconnects clients, rolls back open transactions, then a
# clean checkpoint) if a server is running there; no-op otherwise.
pg_stop() {
    if (($# != 1)) || [[ -z $1 ]]; then
        _pg_fail "usage: pg_stop <datadir>"
        return 1
    fi
    local datadir=$1
    [[ -f $datadir/postmaster.pid ]] || return 0
    _pg_require_bin || return 1
    _pg_ensure_os_user || return 1
    _pg_is_running "$datadir" || return 0
    _pg_log "stopping PostgreSQL (data $datadir)"
    if ! _pg_as_owner "$PG_BIN/pg_ctl" stop -D "$datadir" -m fast -w -t 60 >&2; then
        _pg_log "fast shutdown did not finish; forcing an immediate shutdown"
        _pg_as_owner "$PG_BIN/pg_ctl" stop -D "$datadir" -m immediate -w -t 30 >&2 || return 1
    fi
}

# pg_connection_string <port> <dbname>
# The Npgsql connection string for a database on a server from pg_start.
pg_connection_string() {
    if (($# != 2)); then
        _pg_fail "usage: pg_connection_string <port> <dbname>"
        return 1
    fi
    printf 'Host=127.0.0.1;Port=%s;Database=%s;Username=postgres;Pooling=true;Maximum Pool Size=100;No Reset On Close=true\n' \
        "$1" "$2"
}

# free_port
# Prints a TCP port on 127.0.0.1 that nothing listens on right now, below the
# kernel's ephemeral range (32768 and up): a port the kernel hands out for
# bind(0) may go to the next outgoing connection before the server binds it.
# Perl is in every Debian base image (perl-base ships IO::Socket::INET) and
# proves the port bindable; without perl, a refused connection means nothing
# listens there.
free_port() {
    local port attempt
    if command -v perl >/dev/null 2>&1 &&
        port=$(perl -MIO::Socket::INET -e '
            for (1 .. 500) {
                my $port = 10000 + int(rand(22000));
                my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
                    LocalPort => $port, Proto => "tcp", ReuseAddr => 1) or next;
                print $port, "\n";
                exit 0;
            }
            exit 1;' 2>/dev/null) &&
        [[ $port =~ ^[0-9]+$ ]]; then
        printf '%s\n' "$port"
        return 0
    fi
    for ((attempt = 0; attempt < 200; attempt++)); do
        port=$((10000 + RANDOM % 22000))
        # A refused connection means nothing listens there.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    _pg_fail "could not find a free TCP port on 127.0.0.1"
}
