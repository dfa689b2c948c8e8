# deploy/lib/process.sh - start, watch and stop silo processes (used by deploy/run and deploy/cluster).

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    printf 'usage: source %s\n' "$0" >&2
    exit 2
fi

# True if something accepts TCP connections on 127.0.0.1:<port>.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# health_ok <http-port>: true once GET /health answers 200. curl when present; otherwise a plain
# HTTP/1.0 request over bash's /dev/tcp (minimal CI images lack curl).
health_ok() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$1/health" 2>/dev/null
        return
    fi
    # shellcheck disable=SC2016 # $1 and $status belong to the inner bash.
    timeout 3 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
        IFS= read -r status <&3 || exit 1
        [[ $status =~ ^HTTP/[0-9.]+\ 200 ]]' _ "$1" 2>/dev/null
}

# True while any non-zombie process remains in process group <pgid>. Reads
# /proc directly because procps (ps/pgrep) is not in minimal Debian images,
# and because the silo (a child of `dotnet run`) is reparented once
# `dotnet run` exits, so waiting on our own child alone is not enough.
group_alive() {
    local pgid=$1 f stat state pgrp
    for f in /proc/[0-9]*/stat; do
        { read -r stat <"$f"; } 2>/dev/null || continue
        # Fields after "(comm)": state ppid pgrp ...; comm may contain spaces.
        read -r state _ pgrp _ <<<"${stat##*) }"
        if [[ $pgrp == "$pgid" && $state != Z ]]; then
            return 0
        fi
    done
    return 1
}

# stop_group <pgid>: SIGTERM to the whole group reaches both `dotnet run`
# and the app it may spawn; ASP.NET Core treats it as a graceful shutdown.
stop_group() {
    local pgid=$1 i
    kill -TERM -- "-$pgid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
        group_alive "$pgid" || return 0
        sleep 0.2
    done
    printf "process.sh: process group %s did not stop within 30s; killing it\n" "$pgid" >&2
    kill -KILL -- "-$pgid" 2>/dev/null || true
}
# ensure_operator_key <file>: prints the operator bootstrap key kept in <file>, creating a random
# one the first time (and saying so on stderr, the only time it is shown in full).
ensure_operator_key() {
    local file=$1
    if [[ ! -s $file ]]; then
        mkdir -p -- "$(dirname -- "$file")"
        (umask 077 && head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$file")
        printf 'operator key (created now, kept in %s): %s\n' "$file" "$(<"$file")" >&2
    fi
    cat -- "$file"
}
