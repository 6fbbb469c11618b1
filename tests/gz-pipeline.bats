# gz-pipeline, the driver: the four real tools against a real PostgreSQL, a
# folder of files and the OpenSearch double; its exit status, logs, ledger,
# summary and signal handling.
load helpers/common
load helpers/pg
load helpers/opensearch

setup_file() {
	pg_start
	opensearch_start
}

teardown_file() {
	opensearch_stop
	pg_stop
}

setup() {
	pg_reset
	opensearch_reset
	BUCKET="$BATS_TEST_TMPDIR/bucket"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$BUCKET"
	export TMPDIR="$BATS_TEST_TMPDIR"
	PIPELINE=(--run-id test-run --log-dir "$RUN" --list-mode=unprocessed
		--fetch-source="dir:$BUCKET" --index-create-index --index-flush-ms=200)
}

# pipeline ARGS...: gz-pipeline over $BUCKET with its logs in $RUN.
pipeline() {
	gz-pipeline "${PIPELINE[@]}" "$@"
}

@test "--help names every option, and a bad option or missing tool exits 2" {
	run -0 gz-pipeline --help
	for opt in ledger log-dir run-id spool quiet no-split list- fetch- extract- split- index-; do
		[[ "$output" == *"--$opt"* ]] || fail "--help does not mention --$opt"
		grep -q -- "$opt" "$GZ_ROOT/man/gz-pipeline.1" ||
			fail "gz-pipeline.1 does not mention --$opt"
	done
	run -2 --separate-stderr gz-pipeline --no-such-option
	[[ "$stderr" == *"unknown option '--no-such-option'"* ]]
	PATH=/usr/bin:/bin run -2 --separate-stderr "$GZ_ROOT/bin/gz-pipeline"
	[[ "$stderr" == *"gz-list not found on PATH"* ]]
}

@test "a clean run indexes and marks every gazette, keeps logs and metrics, and sums up" {
	pg_seed_files 25 "$BUCKET"
	run -0 --separate-stderr pipeline
	assert_equal "$(wc -l <"$RUN/ledger.ndjson")" 25
	jq -se 'map(select(.gz.index.marked)) | length == 25' "$RUN/ledger.ndjson"
	run -0 pg_sql "SELECT count(*) FROM gazettes WHERE processed"
	assert_output 25
	run -0 opensearch_docs querido-diario
	assert_equal "$(echo "$output" | jq -s 'map(select(._source.source_text |
		test("Portaria nº"))) | length')" 25
	for stage in list fetch extract split index; do
		assert_file_exists "$RUN/$stage.log"
		assert_file_exists "$RUN/$stage.prom"
		assert_equal "$(cat "$RUN/$stage.rc")" 0
		assert_file_not_exists "$RUN/$stage.pid"
		# every log line carries the run id
		run grep -vc 'test-run' "$RUN/$stage.log"
		assert_output 0
	done
	# no fifo is left behind, and the default spool (per user, 0700) is empty
	run find "$RUN" -name '.*fifo'
	assert_output ""
	assert_equal "$(stat -c %a "$BATS_TEST_TMPDIR/gz-spool-$(id -u)")" 700
	run find "$BATS_TEST_TMPDIR/gz-spool-$(id -u)" -mindepth 1
	assert_output ""
}

@test "the summary counts failures by stage and code, and the exit status is the worst stage's" {
	pg_seed_files 6 "$BUCKET"
	rm "$BUCKET/$(pg_sql "SELECT file_path FROM gazettes WHERE id = 2")"
	printf '%%PDF-1.4\nbroken' >"$BUCKET/$(pg_sql "SELECT file_path FROM gazettes WHERE id = 4")"
	pg_sql "UPDATE gazettes SET file_checksum = NULL WHERE id = 4" >/dev/null
	run -1 --separate-stderr pipeline --quiet
	[[ "$stderr" == *"gz-pipeline[test-run]: listed:  6"* ]]
	[[ "$stderr" == *"gz-pipeline[test-run]: indexed: 4"* ]]
	[[ "$stderr" == *"gz-pipeline[test-run]: failed:  2"* ]]
	[[ "$stderr" == *"1 gz-fetch not_found"* ]]
	[[ "$stderr" == *"1 gz-extract extractor_failed"* ]]
	[[ "$stderr" == *"peak RSS: list "*" MB, fetch "*" MB, extract "*" MB, index "*" MB"* ]]
	# --quiet keeps the stages' own lines out of stderr, but in their logs
	[[ "$stderr" != *"gz-fetch[test-run]: done"* ]]
	grep -q 'gz-fetch\[test-run\]: done' "$RUN/fetch.log"
	run -0 pg_sql "SELECT id FROM gazettes WHERE NOT processed ORDER BY id"
	assert_output $'2\n4'
}

@test "on a terminal one status line is redrawn for the whole run: done/total from gz-list --count, percent, failures" {
	pg_seed_files 12 "$BUCKET"
	rm "$BUCKET/$(pg_sql "SELECT file_path FROM gazettes WHERE id = 3")"
	local cmd
	cmd=$(printf '%q ' gz-pipeline "${PIPELINE[@]}" --fetch-progress=0.05 --index-progress=0.05)
	run -1 script -qec "$cmd" /dev/null
	local esc=$'\r\033[K'
	[[ "$output" == *"${esc}gz-pipeline[test-run]: 12/12 (100.0%) done, 1 failed, "*"/s, "*" elapsed"$'\r\n'* ]] ||
		fail "no closing status line: $output"
	# the stages' own progress lines stay in their logs, off the terminal
	[[ "$output" != *"progress: "* ]]
	[[ "$output" == *"warning: id 3: not_found"* ]]
	[[ "$output" == *"gz-pipeline[test-run]: listed:  12"* ]]
	assert_equal "$(cat "$RUN/.total" 2>/dev/null || echo gone)" gone
}

@test "not on a terminal the status is a timestamped line every --progress seconds, and one at the end" {
	pg_seed_files 8 "$BUCKET"
	opensearch_fault '{"slow_ms": {"ms": 400, "times": -1}}'
	run -0 --separate-stderr pipeline --progress=1 --index-batch-docs=1 --index-concurrency=1
	local re='gz-pipeline\[test-run\]: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z progress: [0-9]+/8 \([0-9.]+%\) done, [0-9]+ failed, [0-9.]+/s'
	run -0 grep -cE "$re" <<<"$stderr"
	[ "$output" -ge 2 ] || fail "$output status lines"
	grep -qE "${re%%progress*}progress: 8/8 \(100.0%\) done, 0 failed" <<<"$stderr"
	[[ "$stderr" != *$'\033'* ]]
	# --quiet off a terminal: no status unless asked for
	pg_sql "UPDATE gazettes SET processed = false" >/dev/null
	opensearch_reset
	run -0 --separate-stderr pipeline --quiet
	[[ "$stderr" != *"progress: "* ]]
}

@test "a stage that cannot reach its service makes the run exit 3, marking nothing" {
	pg_seed_files 3 "$BUCKET"
	run -3 --separate-stderr pipeline --index-url=http://127.0.0.1:1 \
		--index-retries=1
	[[ "$stderr" == *"gz-index exited 3"* ]]
	run -0 pg_sql "SELECT count(*) FROM gazettes WHERE processed"
	assert_output 0
}

@test "options pass through with spaces intact, and --ledger puts the ledger elsewhere" {
	pg_seed_files 2 "$BUCKET"
	run -0 --separate-stderr pipeline --ledger "$BATS_TEST_TMPDIR/my ledger.ndjson" \
		--list-db="host=$PGHOST port=$PGPORT dbname=$PGDATABASE" --index-batch-docs=1
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/my ledger.ndjson")" 2
	assert_file_not_exists "$RUN/ledger.ndjson"
}

# wait_stage_pid NAME: print the pid of a running stage once it has one.
wait_stage_pid() {
	wait_for test -s "$RUN/$1.pid" && cat "$RUN/$1.pid"
}

@test "SIGTERM to the driver stops every stage; only acknowledged gazettes are marked" {
	pg_seed_files 40 "$BUCKET"
	# a slow index keeps the run going long enough to be stopped
	opensearch_fault '{"slow_ms": {"ms": 300, "times": -1}}'
	gz-pipeline "${PIPELINE[@]}" --quiet --index-batch-docs=2 \
		--index-concurrency=1 >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local driver=$!
	wait_stage_pid index >/dev/null
	wait_for test -s "$RUN/ledger.ndjson"
	kill -TERM "$driver"
	local status=0
	wait "$driver" || status=$?
	[ "$status" -ne 0 ] || fail "a stopped run must not exit 0"
	for stage in list fetch extract index; do
		[ -f "$RUN/$stage.rc" ] || fail "gz-$stage left no status"
	done
	run pgrep -f "test-run|gz-(list|fetch|extract|index) " -a
	refute_output --partial "$RUN"
	# every marked gazette has its document
	local marked indexed
	marked=$(pg_sql "SELECT id FROM gazettes WHERE processed ORDER BY id")
	indexed=$(opensearch_docs querido-diario | jq -r '._source.id' | sort -n)
	run comm -23 <(echo "$marked" | sort) <(echo "$indexed" | sort)
	assert_output ""
	[ "$(echo "$marked" | grep -c .)" -lt 40 ] || fail "the run was not stopped early"
	jq -e . "$RUN/ledger.ndjson" >/dev/null
}

@test "a stage killed with SIGKILL makes the run exit 128+9" {
	pg_seed_files 40 "$BUCKET"
	opensearch_fault '{"slow_ms": {"ms": 300, "times": -1}}'
	gz-pipeline "${PIPELINE[@]}" --quiet --index-batch-docs=2 \
		--index-concurrency=1 >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local driver=$! pid
	pid=$(wait_stage_pid index)
	wait_for test -s "$RUN/ledger.ndjson"
	kill -KILL "$pid"
	local status=0
	wait "$driver" || status=$?
	assert_equal "$status" 137
	assert_equal "$(cat "$RUN/index.rc")" 137
	grep -q "gz-index exited 137" "$BATS_TEST_TMPDIR/out"
}

@test "each run's spool folder goes at its end; a dead run's goes at the next start; a live run's stays" {
	pg_seed_files 5 "$BUCKET"
	local base="$BATS_TEST_TMPDIR/spool"
	# a run killed with SIGKILL left its folder, unlocked, with a finished file
	mkdir -p "$base/run-dead01" "$base/run-live01"
	echo leftover >"$base/run-dead01/3-abc-1.txt"
	# another run, alive: its gz-fetch holds its folder's lock
	flock -s "$base/run-live01" sleep 30 &
	local live=$!
	wait_for bash -c "! flock -n '$base/run-live01' true"
	run -0 --separate-stderr pipeline --spool "$base"
	[[ "$stderr" == *"removed $base/run-dead01, left by a run that is over"* ]]
	assert_dir_not_exists "$base/run-dead01"
	assert_dir_exists "$base/run-live01"
	kill "$live"
	wait "$live" || true
	run find "$base" -mindepth 1 -path "$base/run-live01*" -prune -o -print
	assert_output ""
}

@test "kill -9 of gz-extract in a hand-built pipeline: the rerun leaves none of the killed run's files" {
	local base="$BATS_TEST_TMPDIR/spool" fake="$BATS_TEST_TMPDIR/fake"
	mkdir -p "$BUCKET/a" "$fake"
	cp "$GZ_ROOT/tests/fixtures/gazettes/diario-sp-2024-01-02.pdf" "$BUCKET/a/1.pdf"
	for i in 2 3 4; do echo "texto $i" >"$BUCKET/a/$i.txt"; done
	# a pdftotext that never ends, so gz-extract is mid-run when killed
	# (the pdftotext engine: the poppler one would never call it)
	cat >"$fake/pdftotext" <<-EOF
	#!/bin/sh
	echo \$\$ >"$BATS_TEST_TMPDIR/fake.pid"
	exec sleep 60
	EOF
	chmod +x "$fake/pdftotext"
	jq -nc '{id: 1, file_path: "a/1.pdf"}, ({id: (2, 3, 4)} | .file_path = "a/\(.id).txt")' \
		>"$BATS_TEST_TMPDIR/in.ndjson"
	{ gz-fetch -q --spool "$base" --source "dir:$BUCKET" <"$BATS_TEST_TMPDIR/in.ndjson"
		echo $? >"$BATS_TEST_TMPDIR/fetch.rc"; } |
		PATH="$fake:$PATH" gz-extract -q --jobs 1 --pdf-engine=pdftotext --spool "$base" >"$BATS_TEST_TMPDIR/out" &
	local extract=$!
	wait_for test -s "$BATS_TEST_TMPDIR/fetch.rc"
	wait_for test -s "$BATS_TEST_TMPDIR/fake.pid"
	kill -KILL "$extract"
	wait "$extract" || true
	kill -KILL "$(cat "$BATS_TEST_TMPDIR/fake.pid")"
	# the killed run left its files
	[ "$(find "$base" -type f -name '[0-9]*' | wc -l)" -eq 4 ]
	jq -nc '{id: 5, file_path: "a/2.txt"}' >"$BATS_TEST_TMPDIR/in.ndjson"
	run -0 --separate-stderr bash -c 'gz-fetch --spool "$1" --source "dir:$2" <"$3" |
		gz-extract --spool "$1"' _ "$base" "$BUCKET" "$BATS_TEST_TMPDIR/in.ndjson"
	echo "$output" | jq -e '.id == 5 and .source_text == "texto 2\n"'
	[[ "$stderr" == *"removed $base/run-"*", left by a run that is over"* ]]
	run find "$base" -mindepth 1
	assert_output ""
}

# seed_association: an AMA gazette (2700000) whose .txt holds acts of two
# municipalities, and their territories.
seed_association() {
	pg_sql "INSERT INTO territories VALUES ('2700000','Associação Municipal','AL','Alagoas'),
		('2704302','Maceió','AL','Alagoas'), ('2700300','Arapiraca','AL','Alagoas')"
	mkdir -p "$BUCKET/2700000/2024-03-05"
	printf '%s\n' 'Diário Oficial AMA' 'ESTADO DE ALAGOAS' 'PREFEITURA MUNICIPAL DE MACEIÓ' '' '' \
		'Portaria 1' 'Código Identificador:A1' 'ESTADO DE ALAGOAS' \
		'PREFEITURA MUNICIPAL DE ARAPIRACA' '' '' 'Portaria 2' 'Código Identificador:A2' \
		>"$BUCKET/2700000/2024-03-05/ama.txt"
	pg_sql "INSERT INTO gazettes (id, date, file_checksum, file_path, territory_id, scraped_at, processed)
		VALUES (500, '2024-03-05', '$(md5sum <"$BUCKET/2700000/2024-03-05/ama.txt" | cut -d' ' -f1)',
		'2700000/2024-03-05/ama.txt', '2700000', now(), false)"
}

@test "gz-split runs between gz-extract and gz-index: an association gazette is indexed per municipality, and whole with --no-split" {
	seed_association
	run -0 --separate-stderr pipeline
	assert_equal "$(pg_sql 'SELECT processed FROM gazettes WHERE id = 500')" t
	run -0 opensearch_docs querido-diario
	assert_equal "$(jq -r '._source.territory_id' <<<"$output" | sort | tr '\n' ' ')" "2700300 2704302 "
	assert_equal "$(cat "$RUN/split.rc")" 0
	[[ "$stderr" == *"listed:  1"* && "$stderr" == *"indexed: 2"* ]]

	pg_sql "UPDATE gazettes SET processed = false"
	opensearch_reset
	rm -rf "$RUN"
	run -0 --separate-stderr pipeline --no-split
	run -0 opensearch_docs querido-diario
	assert_equal "$(jq -r '._source.territory_id' <<<"$output")" 2700000
	assert_file_not_exists "$RUN/split.log"
}
