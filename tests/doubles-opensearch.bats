# The OpenSearch double must be as strict as OpenSearch (its _bulk, index
# and error answers), or it would hide the very bugs it exists to catch.
load helpers/common
load helpers/opensearch

setup_file() {
	opensearch_start --max-content-length 100000
}

teardown_file() {
	opensearch_stop
}

setup() {
	opensearch_reset
}

bulk() {
	curl -s -H 'Content-Type: application/x-ndjson' --data-binary "@$1" "$GZ_OS_URL/_bulk${2:-}"
}

@test "rejects a bulk body without the final newline" {
	printf '{"index":{"_index":"qd","_id":"a"}}\n{"x":1}' >"$BATS_TEST_TMPDIR/b"
	run -0 curl -s -w '\n%{http_code}' -H 'Content-Type: application/x-ndjson' \
		--data-binary "@$BATS_TEST_TMPDIR/b" "$GZ_OS_URL/_bulk"
	assert_line --index 1 400
	echo "${lines[0]}" | jq -e '.error.type == "illegal_argument_exception" and
		.error.reason == "The bulk request must be terminated by a newline [\\n]"'
}

@test "answers 406 when Content-Type is missing or unknown" {
	printf '{"index":{"_index":"qd","_id":"a"}}\n{"x":1}\n' >"$BATS_TEST_TMPDIR/b"
	run -0 curl -s -w '\n%{http_code}' -H 'Content-Type:' --data-binary "@$BATS_TEST_TMPDIR/b" "$GZ_OS_URL/_bulk"
	assert_line --index 0 '{"error": "Content-Type header is missing", "status": 406}'
	assert_line --index 1 406
	run -0 curl -s -w '\n%{http_code}' --data-binary "@$BATS_TEST_TMPDIR/b" "$GZ_OS_URL/_bulk"
	assert_line --index 1 406
	[[ "${lines[0]}" == *"application/x-www-form-urlencoded] is not supported"* ]]
}

@test "answers a mixed batch with per-item statuses and errors:true" {
	curl -sf -X PUT -H 'Content-Type: application/json' \
		-d '{"mappings":{"properties":{"date":{"type":"date"}}}}' "$GZ_OS_URL/qd" >/dev/null
	opensearch_fault '{"item_status":{"ids":["c"],"status":429,"times":1}}'
	printf '%s\n' '{"index":{"_index":"qd","_id":"a"}}' '{"date":"2024-01-02"}' \
		'{"index":{"_index":"qd","_id":"b"}}' '{"date":"not a date"}' \
		'{"index":{"_index":"qd","_id":"c"}}' '{"date":"2024-01-03"}' >"$BATS_TEST_TMPDIR/b"
	run -0 bulk "$BATS_TEST_TMPDIR/b"
	echo "$output" | jq -e '.errors == true and (.items | length) == 3'
	echo "$output" | jq -e '.items[0].index | .status == 201 and .result == "created" and ._version == 1'
	echo "$output" | jq -e '.items[1].index | .status == 400 and .error.type == "mapper_parsing_exception" and (has("_version") | not)'
	echo "$output" | jq -e '.items[2].index | .status == 429 and .error.type == "rejected_execution_exception"'
	# the 429 was one-shot: the same item now succeeds
	run -0 bulk "$BATS_TEST_TMPDIR/b"
	echo "$output" | jq -e '.items[2].index.status == 201 and .items[0].index.status == 200 and .items[0].index._version == 2'
}

@test "create on an existing id is a 409 version conflict" {
	printf '%s\n' '{"create":{"_index":"qd","_id":"a"}}' '{"x":1}' >"$BATS_TEST_TMPDIR/b"
	bulk "$BATS_TEST_TMPDIR/b" >/dev/null
	run -0 bulk "$BATS_TEST_TMPDIR/b"
	echo "$output" | jq -e '.items[0].create | .status == 409 and .error.type == "version_conflict_engine_exception"
		and (.error.reason | test("document already exists \\(current version \\[1\\]\\)"))'
}

@test "rejects a malformed action line or an unknown metadata key for the whole request" {
	printf '%s\n' '{"index":{"_index":"qd","_id":"a","bogus":1}}' '{"x":1}' >"$BATS_TEST_TMPDIR/b"
	run -0 curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-ndjson' --data-binary "@$BATS_TEST_TMPDIR/b" "$GZ_OS_URL/_bulk"
	assert_output 400
	printf '%s\n' '{"index":{"_id":"a"}}' '{"x":1}' >"$BATS_TEST_TMPDIR/b"
	run -0 curl -s -w '\n%{http_code}' -H 'Content-Type: application/x-ndjson' --data-binary "@$BATS_TEST_TMPDIR/b" "$GZ_OS_URL/_bulk"
	assert_line --index 1 400
	run -0 bulk "$BATS_TEST_TMPDIR/b" ""
	run -0 curl -s -H 'Content-Type: application/x-ndjson' --data-binary "@$BATS_TEST_TMPDIR/b" "$GZ_OS_URL/qd/_bulk"
	echo "$output" | jq -e '.items[0].index._index == "qd"'
}

@test "decodes gzip bodies and answers 413 with an empty body past the size limit" {
	"$GZ_PYTHON" -c 'print("{\"index\":{\"_index\":\"qd\",\"_id\":\"z\"}}\n{\"t\":\"" + "x" * 150000 + "\"}")' >"$BATS_TEST_TMPDIR/big"
	gzip -c "$BATS_TEST_TMPDIR/big" >"$BATS_TEST_TMPDIR/big.gz"
	run -0 curl -s -w '%{http_code}' -H 'Content-Type: application/x-ndjson' -H 'Content-Encoding: gzip' \
		--data-binary "@$BATS_TEST_TMPDIR/big.gz" "$GZ_OS_URL/_bulk"
	assert_output 413	# the limit applies to the decoded size
	printf '%s\n' '{"index":{"_index":"qd","_id":"a"}}' '{"x":1}' | gzip -c >"$BATS_TEST_TMPDIR/small.gz"
	run -0 curl -s -H 'Content-Type: application/x-ndjson' -H 'Content-Encoding: gzip' \
		--data-binary "@$BATS_TEST_TMPDIR/small.gz" "$GZ_OS_URL/_bulk"
	echo "$output" | jq -e '.items[0].index.status == 201'
}

@test "answers Expect: 100-continue with an immediate 413 when Content-Length is too large" {
	"$GZ_PYTHON" -c 'print("x" * 200000)' >"$BATS_TEST_TMPDIR/big"
	run -0 timeout 10 curl -s -w '%{http_code}' -H 'Content-Type: application/x-ndjson' \
		-H 'Expect: 100-continue' --data-binary "@$BATS_TEST_TMPDIR/big" "$GZ_OS_URL/_bulk"
	assert_output 413
}

@test "_count sees documents only after a refresh; GET _doc is real time" {
	curl -sf -X PUT "$GZ_OS_URL/qd" >/dev/null
	printf '%s\n' '{"index":{"_index":"qd","_id":"a"}}' '{"x":1}' >"$BATS_TEST_TMPDIR/b"
	bulk "$BATS_TEST_TMPDIR/b" >/dev/null
	run -0 curl -sf "$GZ_OS_URL/qd/_count"
	echo "$output" | jq -e '.count == 0'
	run -0 curl -sf "$GZ_OS_URL/qd/_doc/a"
	echo "$output" | jq -e '.found == true and ._source.x == 1'
	curl -sf -X POST "$GZ_OS_URL/qd/_refresh" >/dev/null
	run -0 curl -sf "$GZ_OS_URL/qd/_count"
	echo "$output" | jq -e '.count == 1'
	run -0 bulk "$BATS_TEST_TMPDIR/b" '?refresh=true'
	echo "$output" | jq -e '.items[0].index.forced_refresh == true'
}

@test "records an index auto-created by a bulk, as a real cluster would create it" {
	printf '%s\n' '{"index":{"_index":"auto","_id":"a"}}' '{"x":1}' >"$BATS_TEST_TMPDIR/b"
	bulk "$BATS_TEST_TMPDIR/b" >/dev/null
	run -0 opensearch_state
	echo "$output" | jq -e '.auto_created == ["auto"]'
}

@test "index create, HEAD and a second create behave as OpenSearch's" {
	run -0 curl -s -o /dev/null -w '%{http_code}' -I "$GZ_OS_URL/qd"
	assert_output 404
	run -0 curl -s -X PUT "$GZ_OS_URL/qd"
	echo "$output" | jq -e '.acknowledged == true and .index == "qd"'
	run -0 curl -s -w '\n%{http_code}' -X PUT "$GZ_OS_URL/qd"
	assert_line --index 1 400
	echo "${lines[0]}" | jq -e '.error.type == "resource_already_exists_exception" and (.error.reason | startswith("index [qd/"))'
	run -0 curl -s -o /dev/null -w '%{http_code}' -I "$GZ_OS_URL/qd"
	assert_output 200
}

@test "filter_path prunes successful items to nothing when only errors are asked for" {
	printf '%s\n' '{"index":{"_index":"qd","_id":"a"}}' '{"x":1}' >"$BATS_TEST_TMPDIR/b"
	run -0 bulk "$BATS_TEST_TMPDIR/b" '?filter_path=errors,items.*.error'
	assert_output '{"errors": false}'
}

@test "connection faults: apply-then-drop keeps the document; truncation and reset fail the transfer" {
	printf '%s\n' '{"index":{"_index":"qd","_id":"a"}}' '{"x":1}' >"$BATS_TEST_TMPDIR/b"
	opensearch_fault '{"drop_after_apply":{"times":1}}'
	run -52 bulk "$BATS_TEST_TMPDIR/b"
	run -0 opensearch_docs qd
	echo "$output" | jq -e '._id == "a"'
	opensearch_fault '{"truncate":{"times":1}}'
	run -18 bulk "$BATS_TEST_TMPDIR/b"
	opensearch_fault '{"reset":{"times":1}}'
	run -56 bulk "$BATS_TEST_TMPDIR/b"
	opensearch_fault '{"down":true}'
	run -56 bulk "$BATS_TEST_TMPDIR/b"
	opensearch_fault '{"down":false}'
	run -0 bulk "$BATS_TEST_TMPDIR/b"
	echo "$output" | jq -e '.items[0].index._version == 4'	# truncate and reset came after applying
}

@test "whole-request faults: 429, 503 and an HTML 502" {
	printf '%s\n' '{"index":{"_index":"qd","_id":"a"}}' '{"x":1}' >"$BATS_TEST_TMPDIR/b"
	opensearch_fault '{"request_status":{"status":429,"type":"circuit_breaking_exception","times":1}}'
	run -0 curl -s -w '\n%{http_code}' -H 'Content-Type: application/x-ndjson' --data-binary "@$BATS_TEST_TMPDIR/b" "$GZ_OS_URL/_bulk"
	assert_line --index 1 429
	echo "${lines[0]}" | jq -e '.error.type == "circuit_breaking_exception" and .error.bytes_limit == 100'
	opensearch_fault '{"request_status":{"status":502,"times":1}}'
	run -0 curl -s -w '\n%{http_code}' -H 'Content-Type: application/x-ndjson' --data-binary "@$BATS_TEST_TMPDIR/b" "$GZ_OS_URL/_bulk"
	assert_line --partial '<html>'
}

@test "item_every rejects every Nth document once with a 429 item as OpenSearch words it" {
	curl -sf -X POST -H 'Content-Type: application/json' \
		--data-binary '{"item_every":{"n":5,"status":429,"times":1}}' "$GZ_OS_URL/_double/faults" >/dev/null
	for i in $(seq 1 10); do
		printf '{"index":{"_index":"qd","_id":"d%s"}}\n{"x":%s}\n' "$i" "$i"
	done >"$BATS_TEST_TMPDIR/b"
	run -0 bulk "$BATS_TEST_TMPDIR/b"
	echo "$output" | jq -e '.errors == true and
		([.items[].index | select(.status == 429) | ._id] == ["d5", "d10"]) and
		([.items[].index | select(.status == 429) | .error.type] | unique == ["rejected_execution_exception"]) and
		all(.items[].index | select(.status == 429); has("result") | not)'
	# the same documents again: each was rejected its one time
	run -0 bulk "$BATS_TEST_TMPDIR/b"
	echo "$output" | jq -e '.errors == false and all(.items[].index; .status < 300)'
}

@test "basic auth: 401 with WWW-Authenticate, and requests are logged" {
	opensearch_stop
	opensearch_start --user admin --password s3cret
	run -0 curl -s -i "$GZ_OS_URL/"
	assert_line --partial 'HTTP/1.1 401'
	assert_line --partial 'WWW-Authenticate: Basic realm="OpenSearch Security"'
	run -0 curl -sf -u admin:s3cret "$GZ_OS_URL/"
	echo "$output" | jq -e '.version.distribution == "opensearch"'
	run -0 opensearch_log
	echo "$output" | jq -e '[.[] | select(.path | startswith("/_double") | not) | .status] == [401, 200]'
	opensearch_stop
	opensearch_start --max-content-length 100000
}
