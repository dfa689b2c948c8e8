#!/usr/bin/env bash
#
# clients/dashboard/tools/watch-silos.sh - behave like an open dashboard page on every silo process
# this machine runs: sign in with the operator key, then GET /api/v1/dashboard once a second (what
# the page does), until stopped. Used to measure what an open dashboard costs a benchmark:
#
#   export Commerce__Operators__BootstrapKey=bench-key        # silos started from here inherit it
#   clients/dashboard/tools/watch-silos.sh bench-key > /tmp/watch.log &
#   deploy/bench hot-sku --approach grain
#   kill %1
#
# Silos are found by their command line (Commerce.Silo.dll --urls http://127.0.0.1:PORT); set
# SILO_PATTERN to a regular expression to watch only some (e.g. those of one checkout's build).
set -uo pipefail

key=${1:?usage: watch-silos.sh OPERATOR_KEY}
declare -A tokens=()

while true; do
    ports=$(pgrep -af "${SILO_PATTERN:-Commerce\.Silo\.dll}" | grep -o -- '--urls http://127\.0\.0\.1:[0-9]*' | grep -o '[0-9]*$' | sort -u)
    for port in $ports; do
        if [[ -z ${tokens[$port]:-} ]]; then
            tokens[$port]=$(curl -s -m 2 -X POST "http://127.0.0.1:$port/api/v1/operators/token" \
                -H 'Content-Type: application/json' -d "{\"key\":\"$key\"}" |
                sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p')
            [[ -n ${tokens[$port]} ]] && printf '%s watching silo on port %s\n' "$(date +%T)" "$port"
        fi
        if [[ -n ${tokens[$port]} ]]; then
            code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${tokens[$port]}" "http://127.0.0.1:$port/api/v1/dashboard")
            [[ $code == 200 ]] || { printf '%s port %s answered %s\n' "$(date +%T)" "$port" "$code"; unset "tokens[$port]"; }
        fi
    done
    sleep 1
done
