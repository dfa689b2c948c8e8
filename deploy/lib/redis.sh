#!/usr/bin/env bash
# shellcheck shell=bash
#
# deploy/lib/redis.sh - run a private Redis server (benchmarks), never the system one.
#
# Source it (do not execute it):
#
#   source deploy/lib/redis.sh
#   redis_ensure_installed                    # apt-get install redis-server when missing
#   redis_start /tmp/somewhere "$port" always # or: everysec | no; data and log in that directory
#   redis_stop /tmp/somewhere
#
# Like postgres.sh: functions return non-zero on failure and talk on stderr only.

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    printf 'usage: source %s, then call redis_ensure_installed, redis_start, redis_stop\n' "$0" >&2
    exit 2
fi

_redis_log() {
    printf 'redis.sh: %s\n' "$*" >&2
}

_redis_as_root() {
    if ((EUID == 0)); then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        _redis_log "error: need root (or sudo) to run: $*"
        return 1
    fi
}

# redis_ensure_installed
# Installs Debian's redis-server (which also brings redis-cli) unless it is on PATH. The package's
# own service is left alone: our servers run on private ports with private data directories.
redis_ensure_installed() {
    if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
        return 0
    fi
    _redis_log "redis-server not found; installing the Debian 'redis-server' package"
    if [[ ${PG_APT_UPDATED:-0} != 1 ]]; then
        _redis_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || return 1
        export PG_APT_UPDATED=1
    fi
    _redis_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold redis-server >&2 || return 1
    command -v redis-server >/dev/null 2>&1 || {
        _redis_log "error: installed redis-server but it is still not on PATH"
        return 1
    }
}

# redis_start <dir> <port> <appendfsync>
# Starts redis-server on 127.0.0.1:<port> with its data, config, pid file and log in <dir>.
# <appendfsync> is always | everysec (append-only file on, that policy) | no-persistence
# (neither AOF nor RDB snapshots). Waits until it answers PING.
redis_start() {
    if (($# != 3)) || [[ -z $1 || ! $2 =~ ^[0-9]+$ ]]; then
        _redis_log "error: usage: redis_start <dir> <port> always|everysec|no-persistence"
        return 1
    fi
    local dir=$1 port=$2 policy=$3 i
    mkdir -p -- "$dir" || return 1
    dir=$(cd -- "$dir" && pwd -P) || return 1
    {
        printf 'bind 127.0.0.1\nport %s\nprotected-mode yes\ndaemonize yes\n' "$port"
        printf 'dir %s\npidfile %s/redis.pid\nlogfile %s/redis.log\n' "$dir" "$dir" "$dir"
        # RDB snapshots would add background forks to the measurement; the AOF is the durability.
        printf 'save ""\n'
        case $policy in
            always | everysec)
                printf 'appendonly yes\nappendfsync %s\nappendfilename "appendonly.aof"\n' "$policy"
                # No AOF rewrite in the middle of a run.
                printf 'auto-aof-rewrite-percentage 0\n'
                ;;
            no-persistence)
                printf 'appendonly no\n'
                ;;
            *)
                _redis_log "error: unknown appendfsync policy '$policy' (always, everysec, no-persistence)"
                return 1
                ;;
        esac
    } >"$dir/redis.conf" || return 1
    _redis_log "starting redis-server on 127.0.0.1:$port (appendfsync $policy, data $dir)"
    redis-server "$dir/redis.conf" >&2 || { _redis_log "error: redis-server did not start; see $dir/redis.log"; return 1; }
    for ((i = 0; i < 100; i++)); do
        if [[ $(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null) == PONG ]]; then
            return 0
        fi
        sleep 0.1
    done
    _redis_log "error: redis on 127.0.0.1:$port does not answer PING; last lines of $dir/redis.log:"
    tail -n 20 -- "$dir/redis.log" >&2 2>/dev/null
    return 1
}

# redis_stop <dir>
# Stops the server started on <dir> (its pid file), waiting for it to exit; no-op if none runs.
redis_stop() {
    if (($# != 1)) || [[ -z $1 ]]; then
        _redis_log "error: usage: redis_stop <dir>"
        return 1
    fi
    local pidfile=$1/redis.pid pid i
    [[ -f $pidfile ]] || return 0
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    _redis_log "redis (pid $pid) did not stop within 10 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
}
