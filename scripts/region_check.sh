#!/usr/bin/env bash
# A region's day one from the installed wheel (issue 17), after scripts/wheel_check.sh: a fresh
# venv outside the checkout, the region's own data folder made as docs/protocols.md says (the
# installed data copied, then edited) and checked, the same folder broken as an editor breaks
# it (one line naming the file, non-zero, no traceback), a device opened with it, and the
# central API with the region's files (docs/region.md): serve, region import twice (and once
# with a calendar cut short, refused), a device added, connected to a new data directory and
# synced (the region's workers and catalogue arrive), on SQLite and on PostgreSQL when
# OHJAUS_TEST_PG is set (a database of its own, ohjaus_region_check). A failure prints what
# failed and exits 1.
# Run by scripts/wheel_check.sh with its venv (OHJAUS_WHEEL_VENV); by hand it builds its own:
#     bash scripts/region_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "region check FAILED: $*" >&2; exit 1; }
echo "region check in $work"
if [ -n "${OHJAUS_WHEEL_VENV:-}" ]; then
    # wheel_check.sh's venv: the wheel just built, installed with [server], outside the checkout.
    ln -s "$OHJAUS_WHEEL_VENV" "$work/venv"
else
    python3 -m pip wheel -q --no-deps -w "$work/dist" . 2>&1 | grep -v "^WARNING: Location" || true
    wheel=$(ls "$work"/dist/ohjaus-*.whl)
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install -q "$wheel[server]" 2>&1 | grep -v "^WARNING: Location" || true
fi
# The region's own files and the device check, taken before leaving the checkout.
cp -r "$checkout/tests/data/region_kaarna" "$work/region"
cp "$checkout/scripts/region_device_check.py" "$work/"
cd "$work"  # outside the checkout: nothing may come from the source tree
export OHJAUS_KEY_DIR="$work/keys" OHJAUS_LANG=en OHJAUS_CACHE_DIR="$work/cache"
unset OHJAUS_SHIPPED_DATA OHJAUS_DATA_DIR
ohjaus() { "$work/venv/bin/ohjaus" "$@"; }

# 1. The region's data folder: the installed one copied (`ohjaus check` names it), then edited.
ohjaus check >"$work/out" 2>&1 || { cat "$work/out" >&2; fail "ohjaus check on the installed data"; }
installed=$(sed -n '1s/: [0-9]* protocols.*//p' "$work/out")
[ -d "$installed/protocols" ] || fail "ohjaus check did not name the installed data folder: $(head -1 "$work/out")"
cp -r "$installed" "$work/data"
counts=$(sed -n '1s/.*: \([0-9]* protocols, [0-9]*\) services.*/\1/p' "$work/out")  # the installed data's
protocols=${counts%% protocols*}; services=${counts##*, }
[ -n "$protocols" ] && [ -n "$services" ] || fail "ohjaus check did not count the installed data: $(head -1 "$work/out")"
cat >>"$work/data/services.toml" <<'EOF'

[[service]]
code = "kaarna_youth_house"
kind = "partner"
register = "social"
service_areas = ["family", "working_age"]
name = { fi = "Nuorten talo Kaarna", sv = "Ungdomshuset Karna", en = "Kaarna youth house" }
description = { fi = "Nuorten tuki asumiseen ja opiskeluun.", sv = "Stöd för unga i boende och studier.", en = "Support for young people in housing and studies." }
contact = "+358 9 4242 9999"
warm_handover = true
domains = ["housing", "work_study"]
min_age = 16
max_age = 29
EOF
sed -i 's/^promise_days = 7$/promise_days = 5/' "$work/data/region.toml"
grep -q '^promise_days = 5$' "$work/data/region.toml" || fail "region.toml has no promise_days = 7 to change"
sed -i 's/^reviewed_by = ""/reviewed_by = "Dr Kaarna"/; s/^reviewed_on = ""/reviewed_on = "2026-12-01"/' \
    "$work/data/protocols/chest_pain.toml"
ohjaus check "$work/data" >"$work/out" 2>&1 || { cat "$work/out" >&2; fail "ohjaus check on the region's data folder"; }
grep -q "$protocols protocols, $((services + 1)) services" "$work/out" || fail "check does not count the added service: $(head -1 "$work/out")"
grep -q "chest_pain .*reviewed 2026-12-01 by Dr Kaarna" "$work/out" \
    || fail "check does not report chest_pain's reviewer: $(grep chest_pain "$work/out")"
echo "region check: the region's data folder passes ohjaus check ($protocols protocols, $((services + 1)) services, the reviewer shown)"
export OHJAUS_SHIPPED_DATA="$work/data"  # the device's and server's data folder (docs/protocols.md)
ohjaus demo --data-dir "$work/desk" --clients 10 --contacts 2 >/dev/null 2>&1 || fail "ohjaus demo with the region's data folder"
venv/bin/python region_device_check.py "$work/desk" --promise-days 5 --service kaarna_youth_house \
    || fail "a device opened with the region's data folder"

# 2. The same folder broken as an editor breaks it: one line naming the file (and line), exit
# status not 0, no traceback.
broken() {  # broken NAME EXPECTED-START-OF-LINE EDIT...
    local name=$1 expected=$2
    shift 2
    rm -rf "$work/broken"
    cp -r "$work/data" "$work/broken"
    (cd "$work/broken" && eval "$@")
    if ohjaus check "$work/broken" >"$work/out" 2>"$work/err"; then
        fail "$name: ohjaus check passed"
    fi
    local line
    line=$(cat "$work/err")
    if [ "$(wc -l <"$work/err")" -ne 1 ] || grep -q Traceback "$work/err" || [[ "$line" != "ohjaus: $work/broken/$expected"* ]]; then
        echo "expected one line starting: ohjaus: $work/broken/$expected" >&2
        cat "$work/err" >&2
        fail "$name"
    fi
    echo "region check: $name: ${line#"ohjaus: $work/broken/"}"
}
broken "a TOML syntax error" "region.toml:20:" "sed -i 's/^promise_days = 5$/promise_days = = 5/' region.toml"
broken "a service with an unknown domain" "services.toml:" \
    "sed -i 's/^domains = \[\"housing\", \"work_study\"\]$/domains = [\"housing\", \"work_studies\"]/' services.toml"
broken "a duty's receiver missing from services.toml" "services.toml:" \
    "python3 -c 'import re,sys; p=\"services.toml\"; s=open(p).read(); open(p,\"w\").write(\"[[service]]\".join(b for b in s.split(\"[[service]]\") if \"code = \\\"child_welfare_intake\\\"\" not in b))'"
broken "services.toml missing" "services.toml" "rm services.toml"
broken "region.toml missing" "region.toml" "rm region.toml"
broken "the shared life threats missing" "protocols/" "rm protocols/_life_threats.toml"
broken "no protocols" "protocols" "rm protocols/*.toml"
broken "the social protocol missing" "protocols" "rm protocols/social_service_need.toml"
broken "a non-UTF-8 region.toml" "region.toml:" "printf '# Kes\xe4\n' >>region.toml"
broken "a non-UTF-8 protocol" "protocols/skin.toml:" "printf '# \xe4\n' >>protocols/skin.toml"
broken "a shipped protocol deleted" "protocols: lacks 1 of the shipped protocols: skin;" "rm protocols/skin.toml"
# ...which a region that means it names (the line says so; exit 0).
ohjaus check "$work/broken" --accept-missing skin >"$work/out" 2>&1 || { cat "$work/out" >&2; fail "--accept-missing skin"; }
grep -q "^Left out on purpose (--accept-missing): 1 of the shipped protocols: skin$" "$work/out" \
    || fail "check with --accept-missing does not name what was left out: $(head -3 "$work/out")"
echo "region check: a shipped protocol deleted passes with --accept-missing skin, and says so"

# 3. The central API with the region's files, its catalogue (the region's services.toml: the
# data folder's and one service of the region's own) travelling to a device by sync.
cp "$work/data/services.toml" "$work/region/services.toml"
cat >>"$work/region/services.toml" <<'EOF'

[[service]]
code = "kaarna_debt_advice"
kind = "partner"
register = "social"
service_areas = ["working_age"]
name = { fi = "Kaarnan velkaneuvonta", sv = "Karna skuldrådgivning", en = "Kaarna debt advice" }
description = { fi = "Velkaneuvonta.", sv = "Skuldrådgivning.", en = "Debt advice." }
contact = "+358 9 4242 9998"
warm_handover = false
EOF
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
central() {  # central URL NAME
    local db=$1 name=$2
    ohjaus db upgrade --db "$db" >/dev/null || fail "$name: db upgrade"
    ohjaus region --db "$db" import "$work/region" >"$work/out" 2>&1 || { cat "$work/out" >&2; fail "$name: region import"; }
    grep -q "workers: 6 added" "$work/out" || { cat "$work/out" >&2; fail "$name: the first import did not add the six workers"; }
    grep -q "services: $((services + 2)) checked, sent to the devices" "$work/out" \
        || { cat "$work/out" >&2; fail "$name: the import does not say the region's catalogue goes to the devices"; }
    ohjaus region --db "$db" import "$work/region" >"$work/out" 2>&1 || { cat "$work/out" >&2; fail "$name: region import again"; }
    grep -q "^0 changes" "$work/out" || { cat "$work/out" >&2; fail "$name: the second import changed something"; }
    # A scheduling system's export cut short: refused in one line, no slot retired.
    rm -rf "$work/cut" && cp -r "$work/region" "$work/cut"
    head -n 203 "$work/region/slots/kaarna.ics" >"$work/cut/slots/kaarna.ics"
    if ohjaus region --db "$db" import "$work/cut" >"$work/out" 2>"$work/err"; then
        cat "$work/out" >&2; fail "$name: a calendar cut short was imported"
    fi
    grep -q "^ohjaus: $work/cut/slots/kaarna.ics:[0-9]*: BEGIN:VEVENT has no END:VEVENT" "$work/err" \
        && [ "$(wc -l <"$work/err")" -eq 1 ] || { cat "$work/err" >&2; fail "$name: a calendar cut short"; }
    token=$(ohjaus device --db "$db" add --unit KA-KESK --register social 2>/dev/null) || fail "$name: device add"
    "$work/venv/bin/ohjaus" serve --db "$db" --port "$port" >"$work/serve.log" 2>&1 &  # its own pid, to stop it
    server_pid=$!
    for _ in $(seq 1 60); do
        python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v1/health', timeout=2)" 2>/dev/null && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; fail "$name: serve stopped"; }
        sleep 0.5
    done
    local desk="$work/desk-$name"
    ohjaus connect --data-dir "$desk" --server "http://127.0.0.1:$port" --token "$token" >/dev/null \
        || fail "$name: connect a new device"
    ohjaus sync --data-dir "$desk" >"$work/out" 2>&1 || { cat "$work/out" >&2; fail "$name: sync"; }
    venv/bin/python region_device_check.py "$desk" --promise-days 5 --worker "Aino Niemi" \
        --service kaarna_youth_house --service kaarna_debt_advice || fail "$name: the synced device"
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
    echo "region check: $name: region imported (again: 0 changes), a device connected and synced: $(cat "$work/out")"
}
central "sqlite:///$work/central.db" sqlite
if [ -n "${OHJAUS_TEST_PG:-}" ]; then
    # A database of its own beside the tests' (the role may create databases, .ci/run).
    pg_db=ohjaus_region_check
    pg_url=$(venv/bin/python - "$OHJAUS_TEST_PG" "$pg_db" <<'EOF'
import sys
import psycopg
from psycopg import sql
url, name = sys.argv[1], sys.argv[2]
with psycopg.connect(url, autocommit=True) as connection:
    connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
base, _, _ = url.rpartition("/")
print(f"{base}/{name}")
EOF
)
    central "$pg_url" postgresql
fi
echo "region check: passed"
