#!/bin/bash
# make bench-list: gz-list against psql \copy of the same rows, alone, in a
# minute or two (make bench measures the same pair among everything else).
# Starts its own PostgreSQL 15, loads BENCH_ROWS (1,000,000) generated rows
# (bench/list-rows.sql), then times, BENCH_REPS (3) times each:
#
#   gz-list --mode all --quiet >/dev/null
#   psql -X -q -c "\copy (SELECT row_to_json(x) FROM (SELECT <the same
#       columns, the same join and filters>) x) TO STDOUT" >/dev/null
#
# and prints the medians, CPU, and gz-list's rate as a fraction of psql's
# (the target is at least 0.5).  GZ_LIST=PATH times another gz-list binary;
# GZ_LIST_BEFORE=PATH times a second one (an older build, say) too, its
# repetitions taken in turn with the others', so both see the same load.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
ROWS=${BENCH_ROWS:-1000000} REPS=${BENCH_REPS:-3}
GZ_LIST=${GZ_LIST:-$root/bin/gz-list}
export LC_ALL=C.UTF-8
unset DATABASE_URL PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE \
	POSTGRES_HOST POSTGRES_PORT POSTGRES_DB POSTGRES_USER POSTGRES_PASSWORD \
	EXECUTION_MODE GAZETTE_QUERY_PAGE_SIZE 2>/dev/null || true

W=$(mktemp -d /tmp/gz-bench-list.XXXXXX)
chmod 755 "$W"
. "$root/bench/common.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

bench_pg_start
psql -X -q -v ON_ERROR_STOP=1 -f "$root/tests/fixtures/schema.sql"
$PY "$root/bench/gen-corpus.py" --out "$W/corpus" --docs 0 --jobs 1 >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -c "\\copy territories FROM '$W/corpus/territories.tsv'"
psql -X -q -v ON_ERROR_STOP=1 -v rows="$ROWS" -f "$root/bench/list-rows.sql"

lsql="SELECT row_to_json(x) FROM (SELECT g.id, g.territory_id, t.name AS territory_name,
 t.state_code, g.date, g.edition_number, g.is_extra_edition, g.power, g.file_checksum,
 g.file_path, g.file_url, g.scraped_at, g.created_at, g.processed FROM gazettes g
 JOIN territories t ON t.id = g.territory_id WHERE g.file_path NOT LIKE '%.zip'
 ORDER BY g.id DESC) x"
# One warm-up of each, so both read a cached table.
"$GZ_LIST" --mode all --quiet >/dev/null
psql -X -q -c "\\copy ($lsql) TO STDOUT" >/dev/null

# times LABEL CMD...: "wall cpu" per repetition into $W/LABEL.
times() {
	local label=$1 i
	shift
	for i in $(seq 1 "$REPS"); do
		/usr/bin/time -f '%e %U %S' -o "$W/t" "$@"
		awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$W/t" >>"$W/$label"
	done
}
for rep in $(seq 1 "$REPS"); do
	REPS=1 times gz sh -c '"$1" --mode all --quiet >/dev/null' _ "$GZ_LIST"
	REPS=1 times copy sh -c 'psql -X -q -c "\\copy ($1) TO STDOUT" >/dev/null' _ "$lsql"
	[ -z "${GZ_LIST_BEFORE:-}" ] ||
		REPS=1 times before sh -c '"$1" --mode all --quiet >/dev/null' _ "$GZ_LIST_BEFORE"
done
lines=$("$GZ_LIST" --mode all --quiet | wc -l)
$PY - "$W" "$ROWS" "$lines" "$REPS" "$GZ_LIST" "${GZ_LIST_BEFORE:-}" <<-'PY'
import os, statistics, sys
w, rows, lines, reps, tool = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
before = sys.argv[6]
def load(label):
    v = [tuple(map(float, l.split())) for l in open("%s/%s" % (w, label))]
    return statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)
(gw, gc), (cw, cc) = load("gz"), load("copy")
print("rows %d (gz-list wrote %d lines), medians of %s, %s" % (rows, lines, reps, tool))
print("gz-list     %6.2f s wall %6.2f s CPU %9.0f rows/s  %.2f us CPU/row" % (gw, gc, rows / gw, gc / rows * 1e6))
print("psql \\copy  %6.2f s wall %6.2f s CPU %9.0f rows/s" % (cw, cc, rows / cw))
print("gz-list / psql \\copy rate: %.2f (target >= 0.5: %s)" % (cw / gw, "met" if cw / gw >= 0.5 else "not met"))
if before:
    bw, bc = load("before")
    print("before: %s" % before)
    print("gz-list     %6.2f s wall %6.2f s CPU %9.0f rows/s  %.2f us CPU/row" % (bw, bc, rows / bw, bc / rows * 1e6))
    print("before / psql \\copy rate: %.2f" % (cw / bw))
PY
