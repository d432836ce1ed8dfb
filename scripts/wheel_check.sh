#!/usr/bin/env bash
# The package as a region installs it (issue 17): build the wheel, install it into a fresh venv
# outside the checkout, and run it from there - without the server's packages first (a
# workstation), then with `[server]` (the central API). Used by .ci/run; runs by hand too:
#     bash scripts/wheel_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
work=$(mktemp -d)
trap 'if [ -n "${server_pid:-}" ]; then kill "$server_pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
echo "wheel check in $work"
python3 -m pip wheel -q --no-deps -w "$work/dist" . 2>&1 | grep -v "^WARNING: Location" || true
wheel=$(ls "$work"/dist/ohjaus-*.whl)
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$wheel" 2>&1 | grep -v "^WARNING: Location" || true
cd "$work"  # outside the checkout: nothing may come from the source tree
export OHJAUS_KEY_DIR="$work/keys" OHJAUS_LANG=en
venv/bin/ohjaus --version
venv/bin/ohjaus check
venv/bin/ohjaus demo --data-dir "$work/demo" --clients 40 --contacts 10
# A workstation has no server packages: `serve` says what to install, in one line.
if venv/bin/ohjaus serve --demo --db "sqlite:///$work/c.db" 2>"$work/err"; then
    echo "serve started without the server packages" >&2; exit 1
fi
grep -q "ohjaus\[server\]" "$work/err" || { cat "$work/err" >&2; exit 1; }
"$work/venv/bin/pip" install -q "$wheel[server]" 2>&1 | grep -v "^WARNING: Location" || true
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
venv/bin/ohjaus serve --demo --db "sqlite:///$work/c.db" --port "$port" &
server_pid=$!
for _ in $(seq 1 60); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/v1/health', timeout=2)" 2>/dev/null; then
        echo "wheel check: the installed program runs the demo, checks its data and serves (port $port)"
        kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
        # A region's day one from the same installed wheel: its own data folder and region files.
        OHJAUS_WHEEL_VENV="$work/venv" bash "$checkout/scripts/region_check.sh"
        exit 0
    fi
    sleep 1
done
echo "the installed server did not answer on port $port" >&2
exit 1
