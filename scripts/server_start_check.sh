#!/usr/bin/env bash
# The start-up compose.yaml describes, done without Docker (issue 17), by docs/server.md's words:
# the wheel with [server] in a fresh venv outside the checkout, `ohjaus db upgrade` on a fresh
# PostgreSQL database, `ohjaus serve`, its health route answers, a second upgrade changes
# nothing, and serve stops on SIGTERM. Used by .ci/run after the wheel check; by hand:
#     OHJAUS_TEST_PG=postgresql://USER:PASSWORD@127.0.0.1:5432/DB bash scripts/server_start_check.sh
# The role needs CREATEDB: a database ohjaus_start_check is made anew beside the one named.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${OHJAUS_TEST_PG:?set OHJAUS_TEST_PG to a PostgreSQL URL (.ci/run does)}"
work=$(mktemp -d)
trap 'if [ -n "${server_pid:-}" ]; then kill "$server_pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
echo "server start-up check in $work"
python3 -m pip wheel -q --no-deps -w "$work/dist" . 2>&1 | grep -v "^WARNING: Location" || true
wheel=$(ls "$work"/dist/ohjaus-*.whl)
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$wheel[server]" 2>&1 | grep -v "^WARNING: Location" || true
cd "$work"  # outside the checkout
export OHJAUS_LANG=en
base=${OHJAUS_TEST_PG%/*}
"$work/venv/bin/python" - "$OHJAUS_TEST_PG" <<'PY'
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    conn.execute("DROP DATABASE IF EXISTS ohjaus_start_check")
    conn.execute("CREATE DATABASE ohjaus_start_check")
PY
export OHJAUS_DB="$base/ohjaus_start_check"  # as compose.yaml's environment

# compose's serve waits for migrate: without it, serve refuses the empty database in one line.
if venv/bin/ohjaus serve --port 1 2>"$work/err"; then
    echo "serve started on a database without the schema" >&2; exit 1
fi
grep -q "ohjaus db upgrade" "$work/err" || { cat "$work/err" >&2; exit 1; }

venv/bin/ohjaus db upgrade           # compose: the migrate service
venv/bin/ohjaus db upgrade | grep -q "this version's"  # a second run changes nothing
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
venv/bin/ohjaus serve --port "$port" &   # compose: the serve service
server_pid=$!
for _ in $(seq 1 60); do
    if venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v1/health', timeout=2)" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid" || true
        server_pid=
        echo "server start-up check: PostgreSQL + ohjaus db upgrade + ohjaus serve answered on port $port"
        exit 0
    fi
    kill -0 "$server_pid" 2>/dev/null || { echo "ohjaus serve stopped" >&2; exit 1; }
    sleep 1
done
echo "ohjaus serve did not answer on port $port" >&2
exit 1
