#!/bin/bash
# make bench: throughput and memory of every gz stage and of the whole
# pipeline, side by side with the baselines, on a generated corpus, against
# services started here (PostgreSQL 15, s3rver behind tests/doubles/s3proxy.py,
# two OpenSearch doubles: one as is, one with --latency-ms 30).  Writes
# bench/results/latest.md, latest.png and raw/ (every measurement).
#
#   bench/run.sh              full run (BENCH_DOCS=500 documents, giant
#                             document included, 3 repetitions, 1,000,000 rows
#                             for the paging comparison)
#   QUICK=1 bench/run.sh      smoke run, under two minutes (60 documents, no
#                             giant, 1 repetition, 100,000 rows)
#
# Knobs: BENCH_DOCS, BENCH_REPS, BENCH_ROWS, BENCH_SEED, BENCH_WORKERS=0 to
# skip the multi-worker part, BENCH_ONLY=engines for the PDF engines alone.  Needs what bench/install-deps.sh installs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/bench"
PY=/usr/bin/python3
export PATH="$root/bin:$PATH" LC_ALL=C.UTF-8
unset DATABASE_URL PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE \
	POSTGRES_HOST POSTGRES_PORT POSTGRES_DB POSTGRES_USER POSTGRES_PASSWORD \
	STORAGE_ENDPOINT STORAGE_BUCKET OPENSEARCH_HOST OPENSEARCH_USER \
	OPENSEARCH_PASSWORD EXECUTION_MODE GAZETTE_QUERY_PAGE_SIZE \
	MAX_GAZETTE_FILE_SIZE_MB 2>/dev/null || true

if [ -n "${QUICK:-}" ] && [ "${QUICK:-0}" != 0 ]; then
	QUICK=1
	N=${BENCH_DOCS:-60} REPS=${BENCH_REPS:-1} ROWS=${BENCH_ROWS:-100000}
	GIANT=""
else
	QUICK=0
	N=${BENCH_DOCS:-500} REPS=${BENCH_REPS:-3} ROWS=${BENCH_ROWS:-1000000}
	GIANT="--giant"
fi
SEED=${BENCH_SEED:-1}
# BENCH_ONLY=engines: the PDF engines' section alone (bench/engines.sh,
# which make bench runs after this script).
if [ "${BENCH_ONLY:-}" = engines ]; then
	exec bash "$bench/engines.sh"
fi
NPROC=$(nproc)
S3_MS=50 OS_MS=30
FETCH_JOBS=8 INDEX_BATCH_MB=10 INDEX_CONC=2

results="$root/bench/results"
raw="$results/raw"
rm -rf "$raw"
mkdir -p "$raw"
M="$raw/measure.tsv"      # label rep wall user sys maxrss_kb self_peak_kb docs
: >"$M"
W=$(mktemp -d /tmp/gz-bench.XXXXXX)
chmod 755 "$W"
T0=$(date +%s)

say() { printf '[bench %4ss] %s\n' "$(($(date +%s) - T0))" "$*" >&2; }

# ---------------------------------------------------------------- services
. "$bench/common.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

wait_for() {
	local i
	for i in $(seq 1 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "bench: gave up waiting for: $*" >&2
	return 1
}

start_pg() {
	bench_pg_start "max_connections = 60"
	psql -X -q -d postgres -c "CREATE DATABASE gzbig"
	for db in gz gzbig; do
		psql -X -q -d $db -v ON_ERROR_STOP=1 -f "$root/tests/fixtures/schema.sql"
	done
}

start_s3() {
	local s3rver="$root/.deps/node/node_modules/.bin/s3rver"
	[ -x "$s3rver" ] || sh "$root/tests/helpers/install-s3rver.sh" >&2
	mkdir -p "$W/s3data" "$W/s3spool"
	"$s3rver" -d "$W/s3data" -a 127.0.0.1 -p 0 --no-vhost-buckets \
		--configure-bucket gz </dev/null >"$raw/s3rver.log" 2>&1 &
	pids+=($!)
	wait_for grep -q 'S3rver listening on' "$raw/s3rver.log"
	S3RVER_URL="http://127.0.0.1:$(sed -n 's/^S3rver listening on .*:\([0-9]*\)$/\1/p' \
		"$raw/s3rver.log" | head -n 1)"
	$PY "$root/tests/doubles/s3proxy.py" --port 0 --port-file "$W/proxy.port" \
		--upstream "$S3RVER_URL" --region us-east-1 --access-key S3RVER \
		--secret S3RVER --spool "$W/s3spool" </dev/null >"$raw/s3proxy.log" 2>&1 &
	pids+=($!)
	wait_for test -s "$W/proxy.port"
	export STORAGE_ENDPOINT="http://127.0.0.1:$(cat "$W/proxy.port")"
	export STORAGE_REGION=us-east-1 STORAGE_BUCKET=gz STORAGE_ACCESS_KEY=S3RVER \
		STORAGE_ACCESS_SECRET=S3RVER
	wait_for curl -sf -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
		"$S3RVER_URL/gz?list-type=2&max-keys=1"
	wait_for curl -sf "$STORAGE_ENDPOINT/_double/log"
}

# start_os NAME [ARGS]: an OpenSearch double; sets OS_<NAME> to its URL.
start_os() {
	local name=$1
	shift
	$PY "$root/tests/doubles/opensearch.py" --port 0 --port-file "$W/os-$name.port" \
		--max-content-length $((1 << 31)) "$@" </dev/null >"$raw/os-$name.log" 2>&1 &
	pids+=($!)
	wait_for test -s "$W/os-$name.port"
	printf -v "OS_$name" 'http://127.0.0.1:%s' "$(cat "$W/os-$name.port")"
}

s3_latency() { # s3_latency MS (0 = none)
	curl -sf -X POST "$STORAGE_ENDPOINT/_double/reset" >/dev/null
	[ "$1" = 0 ] || curl -sf -X POST -H 'Content-Type: application/json' \
		--data-binary "{\"fault\":\"delay\",\"ms\":$1,\"times\":-1}" \
		"$STORAGE_ENDPOINT/_double/faults" >/dev/null
}

# os_reset URL: an empty double holding an empty querido-diario index
# (dynamic mappings, as the bulk auto-creation the baselines rely on), which
# gz-index requires to exist unless told --create-index.
os_reset() {
	curl -sf -X POST "$1/_double/reset" >/dev/null
	curl -sf -X PUT "$1/querido-diario" >/dev/null
}

reset_state() { # processed = false everywhere, empty indices and spool
	psql -X -q -c "UPDATE gazettes SET processed = false WHERE processed"
	os_reset "$OS_fast"
	os_reset "$OS_slow"
	rm -rf "$W/spool"
	mkdir -p "$W/spool"
}

# ------------------------------------------------------------- measuring
# tm LABEL REP DOCS CMD...: run CMD under GNU time, append a line to $M.
# CPU and maxrss are those of CMD and every descendant it waited for; with
# PROM=FILE, the tool's own peak RSS is read from that metrics file.
tm() {
	local label=$1 rep=$2 docs=$3 rc=0 self=""
	shift 3
	rm -f "${PROM:-/nonexistent}"
	/usr/bin/time -f '%e %U %S %M' -o "$raw/time.tmp" "$@" || rc=$?
	read -r e u s m < <(tail -n 1 "$raw/time.tmp")
	[ -z "${PROM:-}" ] || self=$(peak_self "$PROM")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$rep" "$e" "$u" "$s" "$m" "$self" "$docs" >>"$M"
	[ $rc = 0 ] || say "$label: exit status $rc (see raw/)"
	return 0
}

# stage NAME CMD...: one stage of a measured pipeline; GNU time figures go
# to $raw/NAME.time, the tool's own peak RSS to its --metrics-file.
stage() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$raw/$name.time" "$@"
}

peak_self() { # the gz_peak_rss_bytes of a metrics file, in KiB
	awk '$1 ~ /^gz_peak_rss_bytes/ { printf "%d", $2 / 1024 }' "$1" 2>/dev/null
}

# record_stage LABEL REP DOCS NAME: move a stage's figures into $M.
record_stage() {
	local e u s m
	read -r e u s m < <(tail -n 1 "$raw/$4.time")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$e" "$u" "$s" "$m" \
		"$(peak_self "$raw/$4.prom")" "$3" >>"$M"
}

# pipeline LABEL REP OS_URL [gz-list args...]: the four stages, piped.
pipeline() {
	local label=$1 rep=$2 os=$3 t1 t2 docs
	shift 3
	reset_state
	t1=$(date +%s.%N)
	set +e
	stage list gz-list --mode unprocessed --quiet --metrics-file "$raw/list.prom" "$@" |
		stage fetch gz-fetch --source s3 --jobs $FETCH_JOBS --spool "$W/spool" \
			--quiet --metrics-file "$raw/fetch.prom" |
		stage extract gz-extract --jobs "$NPROC" --quiet \
			--metrics-file "$raw/extract.prom" |
		stage index gz-index --url "$os" --batch-bytes ${INDEX_BATCH_MB}M \
			--concurrency $INDEX_CONC --quiet --metrics-file "$raw/index.prom" \
			>"$raw/ledger.$label.ndjson"
	local st=("${PIPESTATUS[@]}")
	set -e
	t2=$(date +%s.%N)
	docs=$(jq -c 'select(.gz.index)' "$raw/ledger.$label.ndjson" | wc -l)
	[ "${st[*]}" = "0 0 0 0" ] || say "$label: exit statuses ${st[*]}, $docs indexed"
	for s in list fetch extract index; do
		record_stage "$label.$s" "$rep" "$docs" $s
	done
	awk -v l="$label" -v r="$rep" -v t1="$t1" -v t2="$t2" -v d="$docs" \
		'{u += $2; s += $3} END { printf "%s\t%s\t%.3f\t%.2f\t%.2f\t\t\t%s\n", l ".total", r, t2 - t1, u, s, d }' \
		<(for s in list fetch extract index; do tail -n 1 "$raw/$s.time"; done) >>"$M"
}

baseline() { # baseline LABEL REP OS_URL
	reset_state
	local out
	out=$(OPENSEARCH_HOST=$3 /usr/bin/time -f '%e %U %S %M' -o "$raw/time.tmp" \
		"$bench/baseline-sequential" 2>>"$raw/baseline.log")
	echo "$out" >>"$raw/baseline.jsonl"
	read -r e u s m < <(tail -n 1 "$raw/time.tmp")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t\t%s\n' "$1" "$2" "$e" "$u" "$s" "$m" \
		"$(jq -r .indexed <<<"$out")" >>"$M"
}

# ------------------------------------------------------------------- run
say "work folder $W; $N documents, $REPS repetition(s), $ROWS rows for paging"
(cd "$root" && make -s all) >&2
start_pg
start_s3
start_os fast
start_os slow --latency-ms $OS_MS

say "generating the corpus"
tm corpus.generate 1 "$N" $PY "$bench/gen-corpus.py" --out "$W/corpus" --docs "$N" \
	--seed "$SEED" $GIANT >"$raw/corpus.json"
cat "$raw/corpus.json" >&2
psql -X -q -v ON_ERROR_STOP=1 \
	-c "\\copy territories FROM '$W/corpus/territories.tsv'" \
	-c "\\copy gazettes FROM '$W/corpus/gazettes.tsv'" -c "ANALYZE"
psql -X -q -d gzbig -c "\\copy territories FROM '$W/corpus/territories.tsv'"
say "uploading to s3rver"
tm corpus.upload 1 "$N" $PY - "$S3RVER_URL" "$W/corpus" <<-'PY'
import http.client, os, sys, threading, urllib.parse
url, base = urllib.parse.urlsplit(sys.argv[1]), sys.argv[2]
keys = open(os.path.join(base, "keys.txt")).read().split()
lock = threading.Lock()
def work():
    c = http.client.HTTPConnection(url.hostname, url.port)
    while True:
        with lock:
            if not keys: return
            k = keys.pop()
        data = open(os.path.join(base, "bucket", k), "rb").read()
        c.request("PUT", "/gz/" + urllib.parse.quote(k, safe="/~"), body=data,
                  headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
        r = c.getresponse(); r.read()
        if r.status != 200: sys.exit("upload %s: %d" % (k, r.status))
ts = [threading.Thread(target=work) for _ in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
PY
reset_state

# Each stage alone, against its physical limit.
lsql="SELECT row_to_json(x) FROM (SELECT g.id, g.territory_id, t.name AS territory_name,
 t.state_code, g.date, g.edition_number, g.is_extra_edition, g.power, g.file_checksum,
 g.file_path, g.file_url, g.scraped_at, g.created_at, g.processed FROM gazettes g
 JOIN territories t ON t.id = g.territory_id WHERE g.processed IS FALSE
 AND g.file_path NOT LIKE '%.zip' ORDER BY g.id DESC) x"
for rep in $(seq 1 "$REPS"); do
	say "stages alone, repetition $rep"
	reset_state
	PROM="$raw/list.prom" tm list.gz "$rep" "$N" sh -c 'gz-list --mode unprocessed --quiet --metrics-file "$1/list.prom" >"$2/list.ndjson"' _ "$raw" "$W"
	tm list.limit "$rep" "$N" sh -c 'psql -X -q -c "\\copy ($1) TO STDOUT" >/dev/null' _ "$lsql"

	rm -rf "$W/spool" "$W/curl"
	mkdir -p "$W/spool" "$W/curl"
	PROM="$raw/fetch.prom" tm fetch.gz "$rep" "$N" sh -c 'gz-fetch --source s3 --jobs "$3" --spool "$2/spool" --quiet --metrics-file "$1/fetch.prom" <"$2/list.ndjson" >"$2/fetched.ndjson"' _ "$raw" "$W" $FETCH_JOBS
	sed "s|^|$STORAGE_ENDPOINT/gz/|" "$W/corpus/keys.txt" >"$W/urls.txt"
	tm fetch.limit "$rep" "$N" sh -c 'xargs -P 8 -n 16 curl -sSf --aws-sigv4 aws:amz:us-east-1:s3 --user S3RVER:S3RVER -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --output-dir "$1" --remote-name-all <"$2"' _ "$W/curl" "$W/urls.txt"

	PROM="$raw/extract.prom" tm extract.gz "$rep" "$N" sh -c 'gz-extract --jobs "$3" --keep --quiet --metrics-file "$1/extract.prom" <"$2/fetched.ndjson" >"$2/extracted.ndjson"' _ "$raw" "$W" "$NPROC"
	tm extract.limit "$rep" "$N" sh -c 'find "$1" -type f -name "*.pdf" -print0 | xargs -0 -P "$2" -I{} pdftotext -enc UTF-8 {} - >/dev/null' _ "$W/spool" "$NPROC"

	psql -X -q -c "UPDATE gazettes SET processed = false WHERE processed"
	os_reset "$OS_fast"
	PROM="$raw/index.prom" tm index.gz "$rep" "$N" sh -c 'gz-index --url "$3" --batch-bytes "$4" --concurrency "$5" --quiet --metrics-file "$1/index.prom" <"$2/extracted.ndjson" >"$2/indexed.ndjson"' _ "$raw" "$W" "$OS_fast" ${INDEX_BATCH_MB}M $INDEX_CONC
	[ -s "$W/bulk.ndjson" ] || gz-index --output "$W/bulk.ndjson" --no-mark --quiet \
		<"$W/extracted.ndjson" >/dev/null
	curl -sf -X POST "$OS_fast/_double/reset" >/dev/null
	tm index.limit "$rep" "$N" curl -sSf -o /dev/null -H 'Content-Type: application/x-ndjson' \
		--data-binary "@$W/bulk.ndjson" "$OS_fast/_bulk"
done
jq -s '{records: length, pages: (map(.gz.pages // 0) | add), text_bytes: (map(.gz.text_bytes // 0) | add),
	truncated: (map(select(.gz.truncated)) | length), errors: (map(select(.gz.error)) | length)}' \
	"$W/extracted.ndjson" >"$raw/extracted.json"
wc -c <"$W/bulk.ndjson" >"$raw/bulk.bytes"
rm -rf "$W/spool" "$W/curl"

# The whole pipeline and the old architecture, on loopback, then with latency.
s3_latency 0
for rep in $(seq 1 "$REPS"); do
	say "pipeline and baseline on loopback, repetition $rep"
	pipeline pipe.loopback "$rep" "$OS_fast"
	baseline base.loopback "$rep" "$OS_fast"
done
s3_latency $S3_MS
for rep in $(seq 1 "$REPS"); do
	say "pipeline and baseline with ${S3_MS} ms per S3 and ${OS_MS} ms per index request, repetition $rep"
	pipeline pipe.latency "$rep" "$OS_slow"
	baseline base.latency "$rep" "$OS_slow"
done
s3_latency 0

# Memory as the corpus grows 10x: the same pipeline on a tenth of it.
say "pipeline on a tenth of the corpus"
pipeline pipe.tenth 1 "$OS_fast" --limit $((N / 10 > 0 ? N / 10 : 1))

# Several workers sharing one backlog with --claim (issue 7).
if [ "${BENCH_WORKERS:-1}" != 0 ]; then
	for w in 1 2 4; do
		say "$w worker(s) with gz-list --claim"
		reset_state
		psql -X -q -c "DROP TABLE IF EXISTS gz_claims, gz_claim_history" 2>/dev/null
		gz-list --init --quiet
		for i in $(seq 1 $w); do rm -f "$W/fifo.$w.$i"; mkfifo "$W/fifo.$w.$i"; done
		t1=$(date +%s.%N)
		for i in $(seq 1 $w); do
			gz-list --claim --worker "w$i" --mode unprocessed --page-size 50 --quiet \
				>"$W/fifo.$w.$i" &
			lpids[$i]=$!
		done
		for i in $(seq 1 $w); do
			(gz-fetch --source s3 --jobs $FETCH_JOBS --spool "$W/spool/w$i" --quiet |
				gz-extract --jobs "$NPROC" --quiet |
				gz-index --url "$OS_fast" --quiet >"$raw/ledger.w$w.$i.ndjson") \
				<"$W/fifo.$w.$i" &
			wpids[$i]=$!
		done
		# gz-list --claim renews its leases until it sees them settled and
		# only then exits; the work is done when every gazette is marked,
		# so time that, then stop the listers (their pids, started above).
		for i in $(seq 1 6000); do
			[ "$(psql -X -At -c "SELECT count(*) FROM gazettes WHERE NOT processed")" = 0 ] && break
			sleep 0.05
		done
		t2=$(date +%s.%N)
		for i in $(seq 1 $w); do kill "${lpids[$i]}" 2>/dev/null || true; done
		for i in $(seq 1 $w); do wait "${lpids[$i]}" "${wpids[$i]}" 2>/dev/null || true; done
		docs=$(cat "$raw"/ledger.w$w.*.ndjson | jq -c 'select(.gz.index)' | wc -l)
		printf 'workers.%s\t1\t%.3f\t\t\t\t\t%s\n' "$w" "$(awk "BEGIN {print $t2 - $t1}")" "$docs" >>"$M"
	done
	# Claims per second: 16 claimers at page size 100 over a fresh backlog.
	say "16 concurrent claimers, page size 100"
	psql -X -q -d gzbig -c "DROP TABLE IF EXISTS gz_claims, gz_claim_history" \
		-c "TRUNCATE gazettes" 2>/dev/null
	psql -X -q -d gzbig -c "INSERT INTO gazettes (id, date, edition_number, is_extra_edition, power,
		file_checksum, file_path, file_url, scraped_at, created_at, territory_id, processed)
		SELECT i, date '2023-01-01' + (i % 700), i::text, false, 'executive', md5(i::text),
		'3550308/x/' || i || '.pdf', 'https://example.org/' || i, now(), now(), '3550308', false
		FROM generate_series(1, 20000) i"
	PGDATABASE=gzbig gz-list --init --quiet
	t1=$(date +%s.%N)
	for i in $(seq 1 16); do
		PGDATABASE=gzbig timeout 120 gz-list --claim --worker "c$i" --mode unprocessed \
			--page-size 100 --lease 30s --quiet >"$W/claims.$i" 2>/dev/null &
		cpids[$i]=$!
	done
	# gz-list keeps renewing leases until gz-index settles them; nothing
	# settles here, so stop each claimer once the backlog is all claimed.
	wait_for_claimed() {
		local n
		n=$(psql -X -At -d gzbig -c "SELECT count(*) FROM gz_claims")
		[ "$n" -ge 20000 ]
	}
	for i in $(seq 1 600); do wait_for_claimed && break; sleep 0.05; done
	t2=$(date +%s.%N)
	for i in $(seq 1 16); do kill "${cpids[$i]}" 2>/dev/null || true; done
	for i in $(seq 1 16); do wait "${cpids[$i]}" 2>/dev/null || true; done
	claimed=$(cat "$W"/claims.* | wc -l)
	dups=$(cat "$W"/claims.* | jq -r .id | sort | uniq -d | wc -l)
	printf 'claims.16\t1\t%.3f\t\t\t\t%s\t%s\n' "$(awk "BEGIN {print $t2 - $t1}")" "$dups" "$claimed" >>"$M"
fi

# Listing: keyset against OFFSET, and gz-list against psql \copy, on $ROWS rows.
say "paging: $ROWS rows"
psql -X -q -d gzbig -v ON_ERROR_STOP=1 -v rows="$ROWS" -f "$bench/list-rows.sql"
for rep in $(seq 1 "$REPS"); do
	PROM="$raw/biglist.prom" tm biglist.gz "$rep" "$ROWS" sh -c 'PGDATABASE=gzbig gz-list --mode all --quiet --metrics-file "$1/biglist.prom" >/dev/null' _ "$raw"
	tm biglist.limit "$rep" "$ROWS" sh -c 'PGDATABASE=gzbig psql -X -q -c "\\copy ($1) TO STDOUT" >/dev/null' _ "${lsql/g.processed IS FALSE AND/}"
done
# Each size once (OFFSET's cost is far above the noise); OFFSET up to the
# size whose predicted time stays under BENCH_OFFSET_MAX seconds.
offset_max=${BENCH_OFFSET_MAX:-$([ $QUICK = 1 ] && echo 15 || echo 120)}
offset_stop=""
for div in 16 8 4 2 1; do
	n=$((ROWS / div))
	say "paging $n rows"
	tm page.gzlist 1 "$n" sh -c 'PGDATABASE=gzbig gz-list --mode all --limit "$1" --quiet >/dev/null' _ "$n"
	tm page.keyset 1 "$n" env PGDATABASE=gzbig $PY "$bench/list-paging.py" keyset --limit "$n"
	if [ -z "$offset_stop" ]; then
		tm page.offset 1 "$n" env PGDATABASE=gzbig $PY "$bench/list-paging.py" offset --limit "$n"
		last=$(tail -n 1 "$M" | cut -f3)
		# Quadratic: doubling n quadruples the time.
		if awk "BEGIN {exit !($last * 4 > $offset_max)}"; then offset_stop=$n; fi
	fi
done

# ------------------------------------------------------------ machine
{
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "cores=$NPROC"
	echo "ram=$(free -h | awk '/^Mem:/ {print $2}')"
	echo "kernel=$(uname -sr)"
	echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "pdftotext=$(pdftotext -v 2>&1 | head -n 1)"
	echo "postgresql=$("$pgbin/postgres" --version)"
	echo "gz=$(gz-list -V 2>&1 | head -n 1)"
	echo "libcurl=$(gz-list -V 2>&1 | sed -n 2p | cut -d' ' -f1)"
	echo "python=$($PY --version 2>&1)"
	echo "node=$(node --version)"
	echo "s3rver=$(cd "$root/.deps/node" && node -p 'require("s3rver/package.json").version' 2>/dev/null)"
	echo "curl=$(curl --version | head -n 1 | cut -d' ' -f1-2)"
	echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null)"
} >"$raw/machine.txt"
cat >"$raw/config.txt" <<-CFG
quick=$QUICK
docs=$N
reps=$REPS
rows=$ROWS
seed=$SEED
giant=${GIANT:+yes}
s3_ms=$S3_MS
os_ms=$OS_MS
fetch_jobs=$FETCH_JOBS
extract_jobs=$NPROC
index_batch_mb=$INDEX_BATCH_MB
index_conc=$INDEX_CONC
offset_stop=$offset_stop
elapsed=$(($(date +%s) - T0))
CFG
say "writing the report"
$PY "$bench/report.py" "$results"
say "done in $(($(date +%s) - T0)) s: $results/latest.md"
