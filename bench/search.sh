#!/bin/bash
# make bench-search (and the end of make bench): PostgreSQL as the index.
# Starts its own PostgreSQL 15 and an OpenSearch double, generates extracted
# gazette records (bench/gen-records.py), and measures:
#
#   - gz-index --url postgresql: against gz-index into the OpenSearch double
#     and against psql \copy of the same rows into a table of the same shape
#     (its tsvector column and GIN index included): documents/s, medians of
#     BENCH_REPS runs; the target is gz-index >= 0.5 x \copy;
#   - the table's size on disk per document;
#   - gz-search latency, end to end (process, connection, query, snippets),
#     median and p95 over a fixed set of queries, each run 5 times, at the
#     corpus size and at BENCH_SEARCH_DOCS generated documents.
#
# BENCH_DOCS (500; QUICK=1: 60) gazette-sized documents of 2-30 pages;
# BENCH_SEARCH_DOCS (100,000; QUICK=1: 10,000) documents of one page.
# Prints a Markdown report on stdout; progress on stderr.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
export PATH="$root/bin:$PATH" LC_ALL=C.UTF-8
unset DATABASE_URL PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE \
	POSTGRES_HOST POSTGRES_PORT POSTGRES_DB POSTGRES_USER POSTGRES_PASSWORD \
	OPENSEARCH_HOST OPENSEARCH_INDEX OPENSEARCH_USER OPENSEARCH_PASSWORD \
	2>/dev/null || true
if [ "${QUICK:-0}" != 0 ] && [ -n "${QUICK:-}" ]; then
	N=${BENCH_DOCS:-60} BIG=${BENCH_SEARCH_DOCS:-10000} REPS=${BENCH_REPS:-1}
else
	N=${BENCH_DOCS:-500} BIG=${BENCH_SEARCH_DOCS:-100000} REPS=${BENCH_REPS:-3}
fi
QUERIES=(licitação 'merenda escolar' '"limpeza urbana"' 'pregão or leilão'
	'medicamentos -vacinação' 'servidores municipais' '"processo administrativo"'
	'construtora horizonte' licitacoes 'iluminação pública LED')

W=$(mktemp -d /tmp/gz-bench-search.XXXXXX)
chmod 755 "$W"
. "$root/bench/common.sh"
T0=$(date +%s)
say() { printf '[bench-search %4ss] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

say "PostgreSQL and the OpenSearch double"
bench_pg_start
$PY "$root/tests/doubles/opensearch.py" --port 0 --port-file "$W/os.port" \
	--max-content-length $((1 << 31)) </dev/null >"$W/os.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$W/os.port" ] && break; sleep 0.1; done
OS="http://127.0.0.1:$(cat "$W/os.port")"

say "generating $N gazette records and $BIG one-page records"
$PY "$root/bench/gen-records.py" --docs "$N" --csv "$W/corpus.csv" >"$W/corpus.ndjson"
$PY "$root/bench/gen-records.py" --docs "$BIG" --pages-min 1 --pages-max 1 \
	--seed big >"$W/big.ndjson"
mb=$(du -m "$W/corpus.ndjson" | cut -f1)

# seconds CMD...: the wall time of CMD, in seconds.
seconds() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@"
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

gz-index --url postgresql: --create-index --no-mark --quiet </dev/null
psql -X -q -c "CREATE TABLE plain_copy (LIKE querido_diario INCLUDING ALL)"
gz-index --url "$OS" --create-index --no-mark --quiet </dev/null
: >"$W/t.pg"; : >"$W/t.os"; : >"$W/t.copy"
for rep in $(seq 1 "$REPS"); do
	say "indexing $N documents, repetition $rep of $REPS"
	psql -X -q -c "TRUNCATE querido_diario, plain_copy"
	psql -X -q -c "CHECKPOINT"
	seconds sh -c 'gz-index --url postgresql: --no-mark --quiet <"$1" >/dev/null' \
		_ "$W/corpus.ndjson" >>"$W/t.pg"
	psql -X -q -c "CHECKPOINT"
	seconds psql -X -q -c "\\copy plain_copy (doc_id, id, territory_id, territory_name, state_code, date, file_checksum, file_path, source_text) FROM '$W/corpus.csv' CSV" \
		>>"$W/t.copy"
	seconds sh -c 'gz-index --url "$2" --no-mark --quiet <"$1" >/dev/null' \
		_ "$W/corpus.ndjson" "$OS" >>"$W/t.os"
done
pg=$(median <"$W/t.pg") os=$(median <"$W/t.os") cp=$(median <"$W/t.copy")
rows=$(psql -X -At -c "SELECT count(*) FROM querido_diario")
size=$(psql -X -At -c "SELECT pg_total_relation_size('querido_diario') / count(*) FROM querido_diario")
textsize=$(psql -X -At -c "SELECT avg(octet_length(source_text))::bigint FROM querido_diario")

# latency INDEX: every query 5 times through gz-search; "median p95" in ms.
latency() {
	local q i
	: >"$W/lat"
	for q in "${QUERIES[@]}"; do
		for i in 1 2 3 4 5; do
			seconds sh -c 'gz-search --index "$1" --format json --limit 20 $2 >/dev/null || [ $? = 1 ]' \
				_ "$1" "$q" >>"$W/lat"
		done
	done
	sort -g "$W/lat" | awk '{ v[NR] = $1 * 1000 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		p = v[int(NR * 0.95 + 0.999)]; printf "%.1f %.1f\n", m, p }'
}
say "search latency at $rows documents"
read -r lat_m lat_p <<<"$(latency querido-diario)"

say "indexing $BIG one-page documents"
gz-index --url postgresql: --index big-docs --create-index --no-mark --quiet </dev/null
big_s=$(seconds sh -c 'gz-index --url postgresql: --index big-docs --no-mark --quiet <"$1" >/dev/null' _ "$W/big.ndjson")
psql -X -q -c "VACUUM ANALYZE big_docs"
big_rows=$(psql -X -At -c "SELECT count(*) FROM big_docs")
big_size=$(psql -X -At -c "SELECT pg_total_relation_size('big_docs') / count(*) FROM big_docs")
say "search latency at $big_rows documents"
read -r big_m big_p <<<"$(latency big-docs)"

cat <<EOF
## PostgreSQL as the index (bench/search.sh)

$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(gz-search --version | head -n 1)

Indexing $rows gazette documents of 2-30 pages ($mb MB of NDJSON, $textsize bytes of text
on average), medians of $REPS:

| into | seconds | documents/s | vs psql \\copy |
| --- | ---: | ---: | ---: |
| gz-index --url postgresql: | $(printf %.2f "$pg") | $(echo "$N / $pg" | bc -l | xargs printf %.0f) | **$(echo "$cp / $pg" | bc -l | xargs printf %.2f)** (target >= 0.5) |
| psql \\copy, same rows, same table shape | $(printf %.2f "$cp") | $(echo "$N / $cp" | bc -l | xargs printf %.0f) | 1.00 |
| gz-index into the OpenSearch double | $(printf %.2f "$os") | $(echo "$N / $os" | bc -l | xargs printf %.0f) | $(echo "$cp / $os" | bc -l | xargs printf %.2f) |

Size on disk (table, TOAST, GIN and B-tree indexes): $size bytes per document at $rows
documents; $big_size bytes per document at $big_rows one-page documents
(indexed in $(printf %.1f "$big_s") s, $(echo "$big_rows / $big_s" | bc -l | xargs printf %.0f) documents/s).

gz-search, end to end (process start, connection, query, snippets), ${#QUERIES[@]} queries x 5:

| documents | median ms | p95 ms |
| ---: | ---: | ---: |
| $rows | $lat_m | $lat_p |
| $big_rows | $big_m | $big_p |

Queries: $(printf '`%s` ' "${QUERIES[@]}")
EOF
