# gz-index against the OpenSearch double and a real PostgreSQL: every
# document indexed once, marked processed only when acknowledged, and a
# ledger line for every input record.
load helpers/common
load helpers/pg
load helpers/opensearch
load helpers/s3

OS_PASSWORD='pw-Secret-42'

setup_file() {
	pg_start
	opensearch_start --log-bodies --user gz --password "$OS_PASSWORD"
	export OPENSEARCH_USER=gz OPENSEARCH_PASSWORD="$OS_PASSWORD"
}

teardown_file() {
	s3_stop
	opensearch_stop
	pg_stop
}

setup() {
	opensearch_reset
	opensearch_fault '{"max_content_length": 104857600}'
	index_create
	pg_reset
}

# index_create: the querido-diario index with the gazettes mapping, as an
# operator creates it once; without it gz-index refuses to start.
index_create() {
	gz-index --create-index --no-mark --quiet </dev/null
}

# records [SQL]: one record per gazette (newest first) with a source_text.
records() {
	pg_sql "SELECT json_build_object('id', g.id, 'territory_id', territory_id,
		'date', date, 'edition_number', edition_number,
		'is_extra_edition', is_extra_edition, 'power', power,
		'file_checksum', file_checksum, 'file_path', file_path,
		'processed', processed, 'gz', json_build_object('mime', 'application/pdf'),
		'source_text', 'Diário oficial ' || g.id || ': licitação, açúcar')::text
		FROM gazettes g ${1:-} ORDER BY g.id DESC"
}

processed_ids() {
	pg_sql "SELECT id FROM gazettes WHERE processed ORDER BY id"
}

indexed_ids() {
	opensearch_docs querido-diario | jq -r '._source.id' | sort -n
}

# acked_ids LEDGER: ids whose ledger line says indexed.
acked_ids() {
	jq -r 'select(.gz.index) | .id' "$1" | sort -n
}

# bulk_ids: the _ids of each bulk request the double saw, one array a line.
bulk_ids() {
	opensearch_log | jq -c '.[] | select(.path | test("_bulk")) | select(.body)
		| [.body | split("\n")[] | select(startswith("{\"index\""))
		| fromjson | .index._id]'
}

processed_count_is() {
	[ "$(processed_ids | wc -l)" -eq "$1" ]
}

bulk_count() {
	opensearch_log | jq '[.[] | select(.path | test("_bulk"))] | length'
}

bulks_at_least() {
	[ "$(bulk_count)" -ge "$1" ]
}

@test "indexes every record, marks it processed and writes a ledger without source_text" {
	pg_seed 12
	records >"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr timeout 60 gz-index --batch-docs 5 <"$BATS_TEST_TMPDIR/in"
	[ "${#lines[@]}" -eq 12 ]
	echo "$output" | jq -se 'all(.gz.index.status == 201 and .gz.index.result == "created"
		and .gz.index.marked == true and (has("source_text") | not)
		and .gz.mime == "application/pdf")'
	echo "$output" | jq -se 'all(.gz.index._id == .file_checksum)'
	[ "$(processed_ids | wc -l)" -eq 12 ]
	run -0 opensearch_docs querido-diario
	echo "$output" | jq -se 'length == 12 and all(._source | has("gz") | not)
		and all(._source.source_text | test("açúcar"))'
	# batches of 5: three requests, each with the ndjson type and basic auth
	run -0 opensearch_log
	echo "$output" | jq -e '[.[] | select(.path | test("_bulk"))] | length == 3
		and all(.headers["Content-Type"] == "application/x-ndjson" and .status == 200
		and (.headers.Authorization | startswith("Basic ")))'
	run -0 opensearch_state
	echo "$output" | jq -e '.indices["querido-diario"].docs == 12'
	[[ "$stderr" == *"indexed 12 (marked 12)"* ]]
}

processed_count_at_least() {
	[ "$(processed_ids | wc -l)" -ge "$1" ]
}

# ledger_marked_ids LEDGER: ids whose ledger line says marked.
ledger_marked_ids() {
	jq -r 'select(.gz.index.marked) | .id' "$1" | sort
}

@test "a stalled ledger reader fails nothing and holds up no bulk: marking waits for the lines, requests go on, none is retried, and every document ends indexed, in the ledger and marked" {
	pg_seed 1000
	records >"$BATS_TEST_TMPDIR/in"
	fifo="$BATS_TEST_TMPDIR/fifo" err="$BATS_TEST_TMPDIR/err"
	mkfifo "$fifo"
	timeout 120 gz-index --batch-docs 50 <"$BATS_TEST_TMPDIR/in" >"$fifo" 2>"$err" &
	pid=$!
	held_reader_open "$fifo"
	# Some 190 lines fill the pipe: the 4th batch's marks wait for its
	# lines.  Meanwhile 8 more acknowledged batches may wait behind it, so
	# bulks go on being sent and answered while nothing is read.
	# A batch's marks commit only once its lines are out: the first
	# batches, whose lines fit in the pipe, are marked while it stalls.
	wait_for bulks_at_least 12
	wait_for processed_count_at_least 50
	held_reader_take "$BATS_TEST_TMPDIR/ledger"
	wait "$pid"
	assert_equal "$(acked_ids "$BATS_TEST_TMPDIR/ledger" | wc -l)" 1000
	assert_equal "$(ledger_marked_ids "$BATS_TEST_TMPDIR/ledger" | wc -l)" 1000
	assert_equal "$(processed_ids | wc -l)" 1000
	run -0 indexed_ids
	assert_equal "${#lines[@]}" 1000
	grep -q 'done: 1000 in, 1000 out, 0 failed' "$err"
	grep -q 'retries 0,' "$err"
	run -0 opensearch_log
	echo "$output" | jq -e '[.[] | select(.path | test("_bulk"))] |
		(map(.items) | add) == 1000 and all(.status == 200)'
}

@test "killed while its ledger reader is stalled, gz-index leaves no gazette marked whose line had not left" {
	pg_seed 1000
	records >"$BATS_TEST_TMPDIR/in"
	fifo="$BATS_TEST_TMPDIR/fifo"
	mkfifo "$fifo"
	gz-index --batch-docs 50 <"$BATS_TEST_TMPDIR/in" >"$fifo" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	held_reader_open "$fifo"
	wait_for bulks_at_least 12
	kill -9 "$pid"
	wait "$pid" || true
	held_reader_take "$BATS_TEST_TMPDIR/ledger"
	# some batches were marked, and each of their gazettes has its line;
	# the acknowledged batches waiting behind the stall were not marked
	marked=$(processed_ids | wc -l)
	[ "$marked" -ge 50 ] && [ "$marked" -lt 1000 ]
	assert_equal "$(comm -23 <(processed_ids | sort) \
		<(ledger_marked_ids "$BATS_TEST_TMPDIR/ledger"))" ""
}

@test "retries only the items that got a 429, each document indexed once and all marked" {
	pg_seed 10
	records >"$BATS_TEST_TMPDIR/in"
	opensearch_fault '{"item_status":{"ids":["'"$(pg_sql "SELECT md5('3')")"'"],"status":429,"times":1}}'
	opensearch_fault '{"item_status":{"ids":["'"$(pg_sql "SELECT md5('7')")"'"],"status":429,"times":2}}'
	run -0 --separate-stderr timeout 60 gz-index <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 10 and all(.gz.index.marked)'
	[ "$(processed_ids | wc -l)" -eq 10 ]
	run -0 bulk_ids
	# the first request had all ten; later ones only the rejected items
	echo "${lines[0]}" | jq -e 'length == 10'
	printf '%s\n' "${lines[@]:1}" | jq -se --arg a "$(pg_sql "SELECT md5('3')")" \
		--arg b "$(pg_sql "SELECT md5('7')")" \
		'[.[][]] | sort == ([$a, $b, $b] | sort)'
	run -0 opensearch_docs querido-diario
	echo "$output" | jq -se 'length == 10 and (map(._id) | unique | length) == 10'
}

@test "item-level 429s rejoin full batches: 1,000 records, every 5th rejected once, in at most 30 requests" {
	pg_seed 1000
	records >"$BATS_TEST_TMPDIR/in"
	opensearch_fault '{"item_every":{"n":5,"status":429,"times":1}}'
	run -0 --separate-stderr timeout 120 gz-index --batch-docs 50 <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 1000 and all(.gz.index.marked)'
	[ "$(processed_ids | wc -l)" -eq 1000 ]
	run -0 opensearch_state
	echo "$output" | jq -e '.indices["querido-diario"].docs == 1000'
	# 1,000 first attempts and 200 retries, which travel in full batches
	run -0 opensearch_log
	echo "$output" | jq -r '[.[] | select(.path | test("_bulk"))] |
		"# \(length) _bulk requests, \(map(.items) | add) items, sizes \(map(.items) | sort | reverse)"' >&3
	echo "$output" | jq -e '[.[] | select(.path | test("_bulk"))] |
		(map(.items) | add) == 1200 and length <= 30'
}

@test "a 429 that never clears ends in gz.error after the attempts, and the row stays unprocessed" {
	pg_seed 3
	records >"$BATS_TEST_TMPDIR/in"
	opensearch_fault '{"item_status":{"ids":["'"$(pg_sql "SELECT md5('2')")"'"],"status":429,"times":-1}}'
	run -1 --separate-stderr timeout 60 gz-index --retries 3 <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'map(select(.id == 2))[0].gz.error |
		.code == "rejected_execution_exception" and .attempts == 3 and .retryable == true'
	run -0 processed_ids
	assert_output $'1\n3'
}

@test "a 400 item is not retried, not marked, and its error is in the ledger" {
	pg_seed 4
	records | jq -c 'if .id == 2 then .date = "not a date" else . end' >"$BATS_TEST_TMPDIR/in"
	run -1 --separate-stderr timeout 60 gz-index --create-index <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'map(select(.id == 2))[0].gz | (has("index") | not) and
		.error.stage == "gz-index" and .error.code == "mapper_parsing_exception" and
		(.error.message | test("failed to parse field \\[date\\]")) and .error.retryable == false'
	run -0 processed_ids
	assert_output $'1\n3\n4'
	[ "$(bulk_count)" -eq 1 ]
	[[ "$stderr" == *"failed: gz-index/mapper_parsing_exception 1"* ]]
}

@test "splits a batch that is too large (413) and refuses a document too large alone" {
	pg_seed 12
	records | jq -c 'if .id == 5 then .source_text = ("x" * 5000) else . end' >"$BATS_TEST_TMPDIR/in"
	opensearch_fault '{"max_content_length": 2500}'
	run -1 --separate-stderr timeout 60 gz-index --batch-docs 12 <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 12 and (map(select(.gz.index)) | length) == 11'
	echo "$output" | jq -se 'map(select(.id == 5))[0].gz.error.code == "too_large"'
	run -0 opensearch_docs querido-diario
	echo "$output" | jq -se 'length == 11 and all(._version == 1)'
	run -0 processed_ids
	refute_line 5
	[ "${#lines[@]}" -eq 11 ]
	run -0 opensearch_log
	echo "$output" | jq -e 'map(select(.path | test("_bulk")) | .status) | index(413) != null'
	[[ "$stderr" == *"too large (413); splitting"* ]]
}

@test "whole-request 503, 429 and a 502 page are retried with the batch whole" {
	pg_seed 6
	records >"$BATS_TEST_TMPDIR/in"
	opensearch_fault '{"request_status":{"status":503,"times":1}}'
	opensearch_fault '{"request_status":{"status":429,"type":"circuit_breaking_exception","times":1}}'
	opensearch_fault '{"request_status":{"status":502,"times":1}}'
	run -0 --separate-stderr timeout 60 gz-index --batch-docs 3 --concurrency 1 <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 6 and all(.gz.index.marked)'
	[ "$(processed_ids | wc -l)" -eq 6 ]
	run -0 opensearch_docs querido-diario
	echo "$output" | jq -se 'length == 6'
	[[ "$stderr" == *"HTTP 503 unavailable_shards_exception"* ]]
	[[ "$stderr" == *"HTTP 502"* ]]
}

@test "lost, truncated, reset and malformed responses resend the batch and leave one document per _id" {
	pg_seed 8
	records >"$BATS_TEST_TMPDIR/in"
	opensearch_fault '{"drop_after_apply":{"times":1}}'
	opensearch_fault '{"truncate":{"times":1}}'
	opensearch_fault '{"reset":{"times":1}}'
	opensearch_fault '{"malformed":{"times":1}}'
	run -0 --separate-stderr timeout 60 gz-index --batch-docs 4 <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 8 and all(.gz.index.marked)'
	run -0 opensearch_docs querido-diario
	echo "$output" | jq -se 'length == 8 and (map(._id) | unique | length) == 8'
	[ "$(processed_ids | wc -l)" -eq 8 ]
}

@test "an outage mid-run exits 3 and the processed set equals the acknowledged set" {
	pg_seed 60
	records >"$BATS_TEST_TMPDIR/in"
	# The outage begins at the 4th bulk, whatever the machine's speed.
	opensearch_fault '{"down":{"after_bulks":3}}'
	gz-index --batch-docs 5 --concurrency 1 --flush-ms 0 --retries 3 \
		<"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/ledger" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	status=0
	timeout 60 tail --pid=$pid -f /dev/null
	wait $pid || status=$?
	[ "$status" -eq 3 ]
	[ "$(acked_ids "$BATS_TEST_TMPDIR/ledger" | wc -l)" -ge 10 ]
	diff <(acked_ids "$BATS_TEST_TMPDIR/ledger") <(processed_ids)
	opensearch_fault '{"down":false}'
	diff <(indexed_ids) <(processed_ids)
	# everything read but not acknowledged is in the ledger as retryable
	jq -se 'map(select(.gz.error)) | length > 0 and all(.gz.error.code == "opensearch_unavailable" and .gz.error.retryable)' \
		"$BATS_TEST_TMPDIR/ledger"
	grep -q 'failed 3 times in a row' "$BATS_TEST_TMPDIR/err"
}

# failed_metric FILE: gz_records_failed_total in a metrics file.
failed_metric() {
	sed -n 's/^gz_records_failed_total{tool="gz-index"} //p' "$1"
}

@test "records ended by an outage, refused credentials or a signal count as failed in the summary and the metrics" {
	pg_seed 6
	records >"$BATS_TEST_TMPDIR/in"
	opensearch_fault '{"request_status":{"status":503,"times":-1}}'
	run -3 --separate-stderr timeout 60 gz-index --retries 2 \
		--metrics-file "$BATS_TEST_TMPDIR/m.prom" <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 6 and all(.gz.error.code == "opensearch_unavailable")'
	[[ "$stderr" == *"6 in, 6 out, 6 failed"* ]]
	[[ "$stderr" == *"failed: gz-index/opensearch_unavailable 6"* ]]
	assert_equal "$(failed_metric "$BATS_TEST_TMPDIR/m.prom")" 6
	# credentials refused mid-run
	opensearch_reset
	index_create
	opensearch_fault '{"request_status":{"status":401,"times":-1}}'
	run -2 --separate-stderr timeout 60 gz-index \
		--metrics-file "$BATS_TEST_TMPDIR/m.prom" <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 6 and all(.gz.error.code == "unauthorized")'
	[[ "$stderr" == *"refused the credentials of gz (401"* ]]
	[[ "$stderr" != *"$OS_PASSWORD"* ]]
	[[ "$stderr" == *"6 in, 6 out, 6 failed"* ]]
	assert_equal "$(failed_metric "$BATS_TEST_TMPDIR/m.prom")" 6
	# a signal: what was not acknowledged is interrupted, and counted
	opensearch_reset
	index_create
	pg_reset
	pg_seed 60
	records >"$BATS_TEST_TMPDIR/in"
	opensearch_fault '{"slow_ms":{"ms":150,"times":-1}}'
	gz-index --batch-docs 5 --concurrency 1 --flush-ms 0 \
		--metrics-file "$BATS_TEST_TMPDIR/m.prom" <"$BATS_TEST_TMPDIR/in" \
		>"$BATS_TEST_TMPDIR/ledger" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	wait_for bulks_at_least 2
	kill -TERM $pid
	wait $pid || true
	n=$(jq -s 'map(select(.gz.error.code == "interrupted")) | length' "$BATS_TEST_TMPDIR/ledger")
	[ "$n" -gt 0 ]
	assert_equal "$(failed_metric "$BATS_TEST_TMPDIR/m.prom")" "$n"
	grep -q " $n failed" "$BATS_TEST_TMPDIR/err"
}

@test "kill -9 mid-run, then a rerun: each document once in the index and processed equals indexed" {
	pg_seed 60
	records >"$BATS_TEST_TMPDIR/in"
	# From the 5th bulk on, answers take a minute: gz-index is still
	# there to kill once four were answered (the double logs a request
	# when it is answered), however slow the machine.
	opensearch_fault '{"slow_ms":{"ms":60000,"times":-1,"after_bulks":4}}'
	gz-index --batch-docs 5 --concurrency 2 --flush-ms 0 \
		<"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/ledger" 2>/dev/null &
	pid=$!
	wait_for bulks_at_least 4
	kill -9 $pid
	wait $pid || true
	# marked rows are a subset of the indexed documents, never more
	[ -z "$(comm -13 <(indexed_ids | sort) <(processed_ids | sort))" ]
	[ "$(processed_ids | wc -l)" -lt 60 ]
	opensearch_reset
	index_create
	records "WHERE NOT processed" >"$BATS_TEST_TMPDIR/rest"
	run -0 --separate-stderr timeout 60 gz-index --batch-docs 5 <"$BATS_TEST_TMPDIR/rest"
	[ "$(processed_ids | wc -l)" -eq 60 ]
	run -0 opensearch_docs querido-diario
	echo "$output" | jq -se '(map(._id) | unique | length) == length'
}

@test "SIGTERM stops reading, marks what was acknowledged and dies of the signal" {
	pg_seed 60
	records >"$BATS_TEST_TMPDIR/in"
	opensearch_fault '{"slow_ms":{"ms":150,"times":-1}}'
	gz-index --batch-docs 5 --concurrency 1 --flush-ms 0 \
		<"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/ledger" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	wait_for bulks_at_least 2
	kill -TERM $pid
	status=0
	wait $pid || status=$?
	[ "$status" -eq 143 ]
	diff <(acked_ids "$BATS_TEST_TMPDIR/ledger") <(processed_ids)
	[ "$(processed_ids | wc -l)" -lt 60 ]
	jq -se 'map(select(.gz.error)) | all(.gz.error.code == "interrupted")' "$BATS_TEST_TMPDIR/ledger"
	grep -q 'done:' "$BATS_TEST_TMPDIR/err"
}

@test "--output writes the exact body, which the double accepts byte for byte" {
	pg_seed 7
	records >"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr timeout 60 gz-index --output "$BATS_TEST_TMPDIR/body" \
		--concurrency 1 --batch-docs 3 <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 7 and all(.gz.index.result == "written" and
		(.gz.index | has("marked") | not))'
	[ "$(bulk_count)" -eq 0 ]
	[ -z "$(processed_ids)" ]
	# the same records sent for real: the double saw exactly these bytes
	run -0 --separate-stderr timeout 60 gz-index --concurrency 1 --batch-docs 3 <"$BATS_TEST_TMPDIR/in"
	opensearch_log | jq -j '.[] | select(.path | test("_bulk")) | .body' >"$BATS_TEST_TMPDIR/sent"
	cmp "$BATS_TEST_TMPDIR/body" "$BATS_TEST_TMPDIR/sent"
	opensearch_reset
	run -0 curl -sS -u "gz:$OS_PASSWORD" -H 'Content-Type: application/x-ndjson' \
		--data-binary "@$BATS_TEST_TMPDIR/body" "$GZ_OS_URL/_bulk"
	echo "$output" | jq -e '.errors == false and (.items | length) == 7'
}

# gazettes_digest: the whole gazettes table, as one hash.
gazettes_digest() {
	pg_sql "SELECT md5(coalesce(string_agg(g::text, '|' ORDER BY id), '')) FROM gazettes g"
}

@test "--output is a dry run: the database, the storage and the cluster are left as they were" {
	s3_start
	pg_seed 4
	records >"$BATS_TEST_TMPDIR/in"
	before=$(gazettes_digest)
	QUERIDO_DIARIO_FILES_ENDPOINT=https://files.example.org \
		run -0 --separate-stderr timeout 60 gz-index --store-text \
		--output "$BATS_TEST_TMPDIR/body" <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 4 and all(.gz.index.result == "written" and
		(.gz.index | has("marked") | not))'
	[[ "$stderr" == *"dry run"* ]]
	assert_equal "$(gazettes_digest)" "$before"
	# nothing stored, nothing asked of the cluster (not even HEAD)
	run -0 s3_log
	refute_output --partial '"PUT"'
	run -0 opensearch_log
	echo "$output" | jq -e 'map(select(.path | startswith("/_double") | not) | [.method, .path])
		== [["PUT", "/querido-diario"]]'
	# the body is what would have been sent: links to the texts included
	jq -se 'map(select(has("index") | not)) | length == 4 and
		all(.file_raw_txt | test("^https://files.example.org/.*[.]txt$"))' "$BATS_TEST_TMPDIR/body"
	# no database is needed: none is opened
	PGHOST=/nonexistent run -0 --separate-stderr timeout 60 gz-index \
		--output "$BATS_TEST_TMPDIR/body" <"$BATS_TEST_TMPDIR/in"
	s3_stop
}

@test "wrong credentials exit 2 before reading a record, mark nothing, and never print the password" {
	pg_seed 5
	records >"$BATS_TEST_TMPDIR/in"
	OPENSEARCH_PASSWORD='wrong-Pass-99' run -2 --separate-stderr timeout 60 \
		gz-index <"$BATS_TEST_TMPDIR/in"
	assert_output ""
	[ -z "$(processed_ids)" ]
	[ "$(bulk_count)" -eq 0 ]
	[[ "$stderr" == *"refused the credentials of gz (401"* ]]
	[[ "$stderr" != *"wrong-Pass-99"* ]]
	# credentials in the URL are redacted too
	OPENSEARCH_USER= OPENSEARCH_PASSWORD= run -2 --separate-stderr timeout 60 \
		gz-index --url "http://gz:wrong-Pass-99@${GZ_OS_URL#http://}" <"$BATS_TEST_TMPDIR/in"
	[[ "$stderr" == *"gz:***@"* ]]
	[[ "$stderr" != *"wrong-Pass-99"* ]]
	[ -z "$(processed_ids)" ]
}

@test "a missing index exits 2 naming it and --create-index: nothing sent, created or marked" {
	pg_seed 3
	records >"$BATS_TEST_TMPDIR/in"
	run -2 --separate-stderr timeout 60 gz-index --index querido-diaro <"$BATS_TEST_TMPDIR/in"
	assert_output ""
	[[ "$stderr" == *"index querido-diaro does not exist at $GZ_OS_URL"*"--create-index"* ]]
	OPENSEARCH_INDEX=querido-diaro run -2 --separate-stderr timeout 60 \
		gz-index <"$BATS_TEST_TMPDIR/in"
	assert_output ""
	[[ "$stderr" == *"index querido-diaro does not exist"* ]]
	[ "$(bulk_count)" -eq 0 ]
	[ -z "$(processed_ids)" ]
	run -0 opensearch_state
	echo "$output" | jq -e '(.indices | has("querido-diaro") | not) and .auto_created == []'
	# it asked with HEAD, with the credentials
	run -0 opensearch_log
	echo "$output" | jq -e 'map(select(.method == "HEAD")) | length == 2 and
		all(.path == "/querido-diaro" and .status == 404 and
		(.headers.Authorization | startswith("Basic ")))'
	# an existing index (created by setup) is used as it is
	run -0 --separate-stderr timeout 60 gz-index <"$BATS_TEST_TMPDIR/in"
	[ "$(processed_ids | wc -l)" -eq 3 ]
}

@test "indexes a document with a 20 MB source_text in a request of its own" {
	pg_seed 3
	records | "$GZ_PYTHON" -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if r["id"] == 2:
        r["source_text"] = ("Diário oficial, licitação nº 12. " * 700000)[:20 * 1024 * 1024]
    print(json.dumps(r, ensure_ascii=False))' >"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr timeout 60 gz-index --batch-bytes 1M --gzip <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 3 and all(.gz.index.marked)'
	[ "$(processed_ids | wc -l)" -eq 3 ]
	run -0 bulk_ids
	assert_line '["'"$(pg_sql "SELECT md5('2')")"'"]'
	run -0 opensearch_docs querido-diario
	echo "$output" | jq -se 'map(select(._source.id == 2))[0]._source.source_text | length == 20971520'
	run -0 opensearch_log
	# every _bulk gzipped: the ones that were not, shown if any
	run -0 jq -c 'map(select((.path | test("_bulk")) and .headers["Content-Encoding"] != "gzip") |
		del(.headers.Authorization, .body))' <<<"$output"
	assert_output '[]'
}

# big_text ID MB: records with a MB-megabyte source_text on gazette ID, full
# of what JSON must escape (quotes, backslashes, tabs, newlines, emoji).
big_text() {
	records | "$GZ_PYTHON" -c '
import json, sys
id, mb = int(sys.argv[1]), int(sys.argv[2])
piece = "Diário \"oficial\"\tnº 12\\3 😀 licitação\n"
for line in sys.stdin:
    r = json.loads(line)
    if r["id"] == id:
        r["source_text"] = (piece * (mb * 1048576 // len(piece) + 1))[:mb * 1048576]
    print(json.dumps(r, ensure_ascii=False))' "$1" "$2"
}

@test "a record longer than --batch-bytes goes alone, its text read from disk: the same document in a fraction of its size" {
	pg_seed 3
	big_text 2 30 >"$BATS_TEST_TMPDIR/in"
	mkdir "$BATS_TEST_TMPDIR/tmp"
	TMPDIR="$BATS_TEST_TMPDIR/tmp" run -0 --separate-stderr /usr/bin/time -f 'maxrss=%M' \
		timeout 60 gz-index --batch-bytes 1M --gzip <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 3 and all(.gz.index.marked) and all(has("source_text") | not)'
	run -0 bulk_ids
	assert_line '["'"$(pg_sql "SELECT md5('2')")"'"]'
	run -0 opensearch_log
	run -0 jq -c 'map(select((.path | test("_bulk")) and .headers["Content-Encoding"] != "gzip") |
		del(.headers.Authorization, .body))' <<<"$output"
	assert_output '[]'
	opensearch_docs querido-diario | jq -c 'select(._source.id == 2) | ._source' >"$BATS_TEST_TMPDIR/got"
	jq -c 'select(.id == 2) | del(.gz)' "$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/want"
	jq -se '.[0] == .[1]' "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/want"
	# 31 MB of JSON, yet memory stays near --batch-bytes (it was 200 MB)
	rss=$(echo "$stderr" | sed -n 's/^maxrss=//p')
	[ "$rss" -lt 64000 ]
	assert_equal "$(ls -A "$BATS_TEST_TMPDIR/tmp")" ""
}

@test "records longer than 1 MiB share a batch, each text read from its own spill file into the request" {
	pg_seed 4
	records | "$GZ_PYTHON" -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    r["source_text"] = ("licitação nº %d; " % r["id"]) * 100000
    print(json.dumps(r, ensure_ascii=False))' >"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr timeout 60 gz-index <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 4 and all(.gz.index.marked)'
	run -0 bulk_ids
	assert_output "$(pg_sql "SELECT json_agg(md5(id::text) ORDER BY id DESC) FROM gazettes" | jq -c .)"
	opensearch_docs querido-diario | jq -sc 'map(._source) | sort_by(.id)' >"$BATS_TEST_TMPDIR/got"
	jq -sc 'map(del(.gz)) | sort_by(.id)' "$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/want"
	jq -se '.[0] == .[1]' "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/want"
}

@test "long lines that are not records fail alone, naming the line and the cause; a long record still goes to --output" {
	"$GZ_PYTHON" -c '
import json
t = "licitação " * 100000
print(json.dumps({"id": 1, "source_text": t}, ensure_ascii=False))
print(json.dumps({"id": 2, "source_text": t})[:-2])
print("{\"id\": 3, \"source_text\": \"" + t + "\u0001\"}")
print("{\"id\": 4, \"source_text\": \"" + t + "\", \"x\": tru}")
print(json.dumps({"id": 5, "source_text": t, "nested": {"a": ["}", {"b": "\\\""}]}}))
' >"$BATS_TEST_TMPDIR/in"
	printf '%s\n' '{"id": 6, "source_text": "curto"}' >>"$BATS_TEST_TMPDIR/in"
	printf '{"id": 7, "source_text": "%s\xff"}\n' "$(head -c 1200000 /dev/zero | tr '\0' a)" >>"$BATS_TEST_TMPDIR/in"
	printf '{"id": 8, "source_text": "%s"}\n' "$(head -c 3000000 /dev/zero | tr '\0' a)" >>"$BATS_TEST_TMPDIR/in"
	printf '%s\n' '{"id": 9, "source_text": "depois"}' >>"$BATS_TEST_TMPDIR/in"
	run -1 --separate-stderr gz-index --no-mark --batch-bytes 1M --max-record-bytes 2M \
		--output "$BATS_TEST_TMPDIR/body" <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'map(select(.gz.index.result == "written") | .id) == [1, 5, 6, 9]'
	echo "$output" | jq -se 'map(select(.gz.error.code == "bad_record")) | length == 5'
	[[ "$stderr" == *"line 2: the line ends inside the object"* ]]
	[[ "$stderr" == *"line 3: control character in source_text at byte"* ]]
	[[ "$stderr" == *"line 4: malformed JSON outside source_text"* ]]
	[[ "$stderr" == *"line 7: invalid UTF-8 at byte"* ]]
	[[ "$stderr" == *"line 8: record longer than --max-record-bytes"* ]]
	# the body holds each written record whole, in order (source_text last)
	jq -s 'map(select(has("index") | not))' "$BATS_TEST_TMPDIR/body" >"$BATS_TEST_TMPDIR/docs"
	sed -n '1p;5p;6p;9p' "$BATS_TEST_TMPDIR/in" | jq -s . >"$BATS_TEST_TMPDIR/want"
	jq -se '.[0] == .[1]' "$BATS_TEST_TMPDIR/docs" "$BATS_TEST_TMPDIR/want"
}

@test "records that arrive with gz.error pass to the ledger, unsent and unmarked" {
	pg_seed 4
	records | jq -c 'if .id % 2 == 0 then .gz.error = {"stage": "gz-fetch", "code": "http_404",
		"message": "not found", "attempts": 3, "retryable": false} else . end' >"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr timeout 60 gz-index <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 4 and (map(select(.gz.error.code == "http_404" and
		.gz.error.stage == "gz-fetch" and (.gz | has("index") | not) and (has("source_text") | not))) | length) == 2'
	run -0 processed_ids
	assert_output $'1\n3'
	run -0 indexed_ids
	assert_output $'1\n3'
	[[ "$stderr" == *"failed: gz-fetch/http_404 2"* ]]
}

@test "a record whose gz member is malformed (gz.error a string, number, boolean or array...) is one bad_record ledger line, never an abort" {
	run -1 --separate-stderr timeout 60 gz-index <"$GZ_ROOT/tests/fixtures/malformed-gz.ndjson"
	assert_malformed_gz_output gz-index
	[[ "$stderr" != *"Assertion"* ]]
	[[ "$stderr" == *"failed: gz-index/bad_record 18, gz-fetch/http_404 1"* ]]
	[ "$(bulk_count)" -eq 0 ]
}

@test "a row whose file_checksum changed since it was listed is indexed but not marked" {
	pg_seed 3
	records >"$BATS_TEST_TMPDIR/in"
	pg_sql "UPDATE gazettes SET file_checksum = 'new-file' WHERE id = 2" >/dev/null
	run -0 --separate-stderr timeout 60 gz-index <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'map(select(.id == 2))[0].gz.index.marked == false'
	run -0 processed_ids
	assert_output $'1\n3'
	[[ "$stderr" == *"id 2: indexed but not marked"* ]]
}

@test "settles gz-list claims: deletes those it marked and expires those that failed" {
	pg_seed 6
	gz-list --init --quiet
	# gz-index exits 1 for id 5; gz-list exits 0 once all its claims are settled
	run -1 --separate-stderr bash -c '
		gz-list --claim --worker w1 --lease 3s --progress 0 |
		jq -c ".source_text = \"texto\" | if .id == 4 then .gz.error = {\"stage\": \"gz-fetch\",
			\"code\": \"http_404\", \"message\": \"gone\", \"retryable\": false}
			elif .id == 5 then .date = \"not a date\" else . end" |
		timeout 60 gz-index --create-index --batch-docs 2
		st=("${PIPESTATUS[@]}"); [ "${st[0]}" -eq 0 ] || exit 99; exit "${st[2]}"'
	assert_equal "$(echo "$output" | jq -s 'map(select(.gz.index.marked)) | length')" 4
	run -0 processed_ids
	assert_output $'1\n2\n3\n6'
	# claims of marked gazettes are gone; failed ones are expired, not held
	run -0 pg_sql "SELECT gazette_id, released_at IS NOT NULL, lease_until <= now() FROM gz_claims ORDER BY 1"
	assert_output $'4|t|t\n5|t|t'
}

# The S3 client comes from lib/s3.h, written for gz-fetch.
store_text_available() {
	if gz-index --store-text --no-mark --output /dev/null </dev/null 2>&1 |
		grep -q 'no S3 client'; then
		skip "this build of gz-index has no S3 client yet (lib/s3.h)"
	fi
}

# text_key ID: the storage key of gazette ID's text (its file_path, .txt).
text_key() {
	pg_sql "SELECT regexp_replace(file_path, '\.pdf$', '.txt') FROM gazettes WHERE id = $1"
}

@test "--store-text stores each text next to its file before indexing, and a failed upload is not indexed" {
	store_text_available
	s3_start
	pg_seed 4
	big_text 4 2 >"$BATS_TEST_TMPDIR/in"	# gazette 4's text is spilled
	s3_fault '{"fault": "slowdown", "match": "*/2.txt", "methods": ["PUT"], "times": 1}'
	s3_fault '{"fault": "access_denied", "match": "*/3.txt", "methods": ["PUT"], "times": -1}'
	QUERIDO_DIARIO_FILES_ENDPOINT=https://files.example.org/qd/ \
		run -1 --separate-stderr timeout 60 gz-index --store-text --batch-bytes 1M <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'map(select(.id == 3))[0].gz | (has("index") | not) and
		.error.code == "store_failed" and (.error.message | test("AccessDenied"))'
	echo "$output" | jq -se 'map(select(.gz.index.marked)) | length == 3'
	for id in 1 2 4; do
		s3_get "$(text_key $id)" "$BATS_TEST_TMPDIR/got"
		jq -j "select(.id == $id) | .source_text" "$BATS_TEST_TMPDIR/in" |
			cmp - "$BATS_TEST_TMPDIR/got"
	done
	run -0 opensearch_docs querido-diario
	echo "$output" | jq -se --arg k "$(text_key 1)" \
		--arg p "$(pg_sql 'SELECT file_path FROM gazettes WHERE id = 1')" '
		length == 3 and (map(select(._source.id == 1))[0]._source |
		.url == "https://files.example.org/qd/" + $p and
		.file_raw_txt == "https://files.example.org/qd/" + $k)'
	run -0 processed_ids
	assert_output $'1\n2\n4'
	s3_stop
}

@test "--store-text PUTs over http and https only: a file:// storage endpoint writes no local file" {
	store_text_available
	pg_seed 1
	records >"$BATS_TEST_TMPDIR/in"
	local key dest
	key=$(text_key 1)
	dest="$BATS_TEST_TMPDIR/store/gz/$key"
	mkdir -p "$(dirname "$dest")"
	STORAGE_ENDPOINT="file://$BATS_TEST_TMPDIR/store" STORAGE_REGION=us-east-1 \
		STORAGE_BUCKET=gz STORAGE_ACCESS_KEY=k STORAGE_ACCESS_SECRET=s \
		QUERIDO_DIARIO_FILES_ENDPOINT=https://files.example.org/qd/ \
		run --separate-stderr timeout 60 gz-index --store-text <"$BATS_TEST_TMPDIR/in"
	[ "$status" -eq 1 ]
	echo "$output" | jq -e '.gz.error.code == "store_failed" and
		(.gz.error.message | test("(?i)protocol"))'
	[ ! -e "$dest" ]
}

@test "--store-text with USE_RELATIVE_FILE_PATHS=true links the bare keys" {
	store_text_available
	s3_start
	pg_seed 1
	records >"$BATS_TEST_TMPDIR/in"
	USE_RELATIVE_FILE_PATHS=true QUERIDO_DIARIO_FILES_ENDPOINT=https://x.example \
		run -0 --separate-stderr timeout 60 gz-index --store-text <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -e --arg k "$(text_key 1)" '.file_raw_txt == $k and
		.url == (.file_path) and .gz.index.marked'
	s3_get "$(text_key 1)" "$BATS_TEST_TMPDIR/got"
	s3_stop
}

@test "--store-text without QUERIDO_DIARIO_FILES_ENDPOINT or USE_RELATIVE_FILE_PATHS=true exits 2 naming both, and the log says where texts and links go" {
	pg_seed 1
	records >"$BATS_TEST_TMPDIR/in"
	run -2 --separate-stderr timeout 60 gz-index --store-text <"$BATS_TEST_TMPDIR/in"
	assert_output ""
	[[ "$stderr" == *"set QUERIDO_DIARIO_FILES_ENDPOINT"*"or USE_RELATIVE_FILE_PATHS=true"* ]]
	[ "$(bulk_count)" -eq 0 ]
	run -0 processed_ids
	assert_output ""
	s3_start
	QUERIDO_DIARIO_FILES_ENDPOINT=https://files.example.org/qd/ \
		run -0 --separate-stderr timeout 60 gz-index --store-text <"$BATS_TEST_TMPDIR/in"
	[[ "$stderr" == *"gz-index: --store-text: texts to bucket gz at $STORAGE_ENDPOINT (region us-east-1, path-style); url and file_raw_txt under https://files.example.org/qd/"* ]]
	[[ "$stderr" != *S3RVER* ]]
	s3_stop
}

@test "--store-text against a wrong storage secret stops with exit 2, one message, nothing indexed or marked" {
	s3_start
	pg_seed 3
	records >"$BATS_TEST_TMPDIR/in"
	STORAGE_ACCESS_SECRET=wrong-secret QUERIDO_DIARIO_FILES_ENDPOINT=https://x.example \
		run -2 --separate-stderr timeout 60 gz-index --store-text <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -s -e 'length >= 1 and all(.gz.error | .code == "storage_misconfigured" and
		.retryable and .stage == "gz-index")'
	[ "$(grep -c 'fix STORAGE_ACCESS_SECRET' <<<"$stderr")" -eq 1 ]
	[[ "$stderr" != *wrong-secret* ]]
	[ "$(bulk_count)" -eq 0 ]
	run -0 processed_ids
	assert_output ""
	s3_stop
}

@test "exits 2 before indexing anything when the database cannot be reached" {
	pg_seed 2
	records >"$BATS_TEST_TMPDIR/in"
	PGHOST=/nonexistent run -2 --separate-stderr timeout 60 gz-index <"$BATS_TEST_TMPDIR/in"
	assert_output ""
	[[ "$stderr" == *"cannot connect to"* ]]
	[ "$(bulk_count)" -eq 0 ]
	# --no-mark needs no database
	PGHOST=/nonexistent run -0 --separate-stderr timeout 60 gz-index --no-mark <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'length == 2 and all(.gz.index.status == 201 and (.gz.index | has("marked") | not))'
}

@test "--create-index creates the gazettes mapping, and an existing index is fine" {
	pg_seed 1
	records >"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr timeout 60 gz-index --create-index --index qd-test <"$BATS_TEST_TMPDIR/in"
	run -0 curl -sf -u "gz:$OS_PASSWORD" "$GZ_OS_URL/qd-test/_mapping"
	echo "$output" | jq -e '.["qd-test"].mappings.properties |
		.source_text.analyzer == "brazilian" and .source_text.index_options == "offsets" and
		.source_text.term_vector == "with_positions_offsets" and
		.source_text.fields.with_stopwords.analyzer == "brazilian_with_stopwords" and
		.source_text.fields.exact.analyzer == "exact" and
		.territory_name.fields.keyword.ignore_above == 256 and
		.edition_number.fields.keyword.type == "keyword" and
		.date.type == "date" and .is_extra_edition.type == "boolean" and .url.type == "keyword"'
	run -0 curl -sf -u "gz:$OS_PASSWORD" "$GZ_OS_URL/qd-test"
	echo "$output" | jq -e '.["qd-test"].settings.index["sort.field"] == ["territory_id", "date"] and
		.["qd-test"].settings.analysis.analyzer.exact.filter == ["lowercase"]'
	pg_sql "UPDATE gazettes SET processed = false" >/dev/null
	run -0 --separate-stderr timeout 60 gz-index --create-index --index qd-test <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -e '.gz.index.result == "updated"'
	run -0 opensearch_state
	echo "$output" | jq -e '.auto_created == []'
}

@test "usage errors exit 2 and name the problem" {
	# with no OpenSearch, the gazettes' database is the index: it needs a table
	OPENSEARCH_HOST= run -2 --separate-stderr gz-index </dev/null
	[[ "$stderr" == *"no table querido_diario"*"--create-index"* ]]
	run -2 --separate-stderr gz-index --url postgresql: --gzip </dev/null
	run -2 --separate-stderr gz-index --url postgresql:nohost </dev/null
	run -2 --separate-stderr gz-index --index 'Bad/Name' </dev/null
	run -2 --separate-stderr gz-index --batch-docs 0 </dev/null
	run -2 --separate-stderr gz-index --output - </dev/null
	run -2 --separate-stderr gz-index --output x --create-index </dev/null
	run -0 gz-index --help
	assert_line --partial -- '--batch-bytes'
}

@test "flags that cannot both apply are a usage error naming both" {
	run -2 --separate-stderr gz-index --db "$PGDATABASE" --no-mark </dev/null
	[[ "$stderr" == *"--db with --no-mark"* ]]
	run -2 --separate-stderr gz-index --output "$BATS_TEST_TMPDIR/body" --db "$PGDATABASE" </dev/null
	[[ "$stderr" == *"--db with --output"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/body" ]
	# --db names the documents' database too with --url postgresql:
	run -2 --separate-stderr gz-index --url postgresql: --db "$PGDATABASE" --no-mark </dev/null
	[[ "$stderr" == *"no table querido_diario"* ]]
}

@test "a ledger reader that goes away stops gz-index quietly with status 0" {
	pg_seed 300
	records >"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr bash -c 'timeout 60 gz-index --batch-docs 10 <"$1" | head -n 1
		exit "${PIPESTATUS[0]}"' _ "$BATS_TEST_TMPDIR/in"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$stderr" != *"error"* ]]
	# whatever was acknowledged is marked, nothing more
	[ -z "$(comm -13 <(indexed_ids | sort) <(processed_ids | sort))" ]
}

@test "a full stdout exits 3 after marking what was indexed" {
	pg_seed 2
	records >"$BATS_TEST_TMPDIR/in"
	run -3 --separate-stderr bash -c 'timeout 60 gz-index <"$1" >/dev/full' _ "$BATS_TEST_TMPDIR/in"
	[[ "$stderr" == *"writing the ledger"* ]]
}
