# deploy/lib/packages.sh - install Debian packages a command needs, once, only when missing.
# Sourced by deploy/test, deploy/run, deploy/cluster and deploy/bench. Shares postgres.sh's "apt-get update done" flag.
#
#   ensure_command node nodejs npm     # installs nodejs and npm unless `node` is on PATH

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    printf 'usage: source %s, then call ensure_command COMMAND PACKAGE...\n' "$0" >&2
    exit 2
fi

_packages_as_root() {
    if ((EUID == 0)); then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        printf 'packages.sh: need root (or sudo) to run: %s\n' "$*" >&2
        return 1
    fi
}

# ensure_command COMMAND PACKAGE...
ensure_command() {
    local command=$1
    shift
    if command -v "$command" >/dev/null 2>&1; then
        return 0
    fi
    printf 'packages.sh: %s not found; installing Debian package(s): %s\n' "$command" "$*" >&2
    if [[ ${PG_APT_UPDATED:-0} != 1 ]]; then
        _packages_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
        export PG_APT_UPDATED=1
    fi
    _packages_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >&2 || return 1
    command -v "$command" >/dev/null 2>&1 || {
        printf 'packages.sh: installed %s but %s is still missing\n' "$*" "$command" >&2
        return 1
    }
}
