#!/usr/bin/env bash
# Every bench in its --quick mode (seconds each), so that none of them rots: a bench that fails
# fails this script. The figures are printed, never judged (a shared CI machine's timings say
# little); the full runs and their goals are in bench/README.md.
#
#     bash bench/quick.sh [PYTHON]        # default: .venv/bin/python
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-.venv/bin/python}
for bench in search startup demo_build sign pull_apply keystrokes durability big_store reports worklist callback_queue validation sync_throughput sync_load server_cpu; do
    echo "== bench/$bench.py --quick (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    started=$(date +%s)
    "$python" "bench/$bench.py" --quick
    echo "== bench/$bench.py --quick: $(( $(date +%s) - started )) s"
done
# On PostgreSQL too when there is one (CI sets OHJAUS_TEST_PG; the bench empties that database):
# the load with one and two server processes and the server's CPU, so their PostgreSQL paths run.
if [ -n "${OHJAUS_TEST_PG:-}" ]; then
    echo "== bench/sync_load.py --quick on PostgreSQL, --workers 1 and 2 (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    "$python" bench/sync_load.py --quick --db "$OHJAUS_TEST_PG" --compare-workers 1,2
    echo "== bench/server_cpu.py --quick on PostgreSQL (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    "$python" bench/server_cpu.py --quick --db "$OHJAUS_TEST_PG"
fi
echo "every bench ran in quick mode"
