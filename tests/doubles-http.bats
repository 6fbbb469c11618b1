#!/usr/bin/env bats
# tests/doubles/httpfaults.py, the file server gz-fetch's HTTP tests use:
# plain serving (keep-alive, ranges, validators) and each scripted fault,
# checked with the curl CLI and its exit codes.

load helpers/common
load helpers/http

setup_file() {
	mkdir -p "$BATS_FILE_TMPDIR/www/2024"
	head -c 300000 /dev/urandom >"$BATS_FILE_TMPDIR/www/a.pdf"
	printf 'small file\n' >"$BATS_FILE_TMPDIR/www/2024/Diário Oficial.pdf"
	http_start "$BATS_FILE_TMPDIR/www"
}

teardown_file() {
	http_stop
}

setup() {
	http_reset
	WWW="$BATS_FILE_TMPDIR/www"
}

# hcurl ARGS...: prints the status; the body goes to $BATS_TEST_TMPDIR/out.
hcurl() {
	curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' --max-time 20 "$@"
}

@test "serves files with ETag and Accept-Ranges over one kept-alive connection" {
	run curl -sS --max-time 20 -D "$BATS_TEST_TMPDIR/h" \
		-o "$BATS_TEST_TMPDIR/one" -o "$BATS_TEST_TMPDIR/two" \
		-w '%{http_code} %{num_connects}\n' \
		"$GZ_HTTP_URL/a.pdf" "$GZ_HTTP_URL/2024/Di%C3%A1rio%20Oficial.pdf"
	assert_success
	assert_line --index 0 '200 1'
	assert_line --index 1 '200 0'
	cmp "$BATS_TEST_TMPDIR/one" "$WWW/a.pdf"
	cmp "$BATS_TEST_TMPDIR/two" "$WWW/2024/Diário Oficial.pdf"
	grep -qi '^ETag: "' "$BATS_TEST_TMPDIR/h"
	grep -qi '^Accept-Ranges: bytes' "$BATS_TEST_TMPDIR/h"
	run hcurl "$GZ_HTTP_URL/missing.pdf"
	assert_output 404
	run hcurl "$GZ_HTTP_URL/../../etc/passwd"
	assert_output 404
}

@test "answers a Range with 206 and Content-Range, and an unsatisfiable one with 416" {
	run curl -sS -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' \
		-H 'Range: bytes=100000-' "$GZ_HTTP_URL/a.pdf"
	assert_output 206
	grep -qi '^Content-Range: bytes 100000-299999/300000' "$BATS_TEST_TMPDIR/h"
	cmp "$BATS_TEST_TMPDIR/out" <(tail -c +100001 "$WWW/a.pdf")
	run curl -sS -D "$BATS_TEST_TMPDIR/h" -o /dev/null -w '%{http_code}' \
		-H 'Range: bytes=300000-' "$GZ_HTTP_URL/a.pdf"
	assert_output 416
	grep -qi '^Content-Range: bytes \*/300000' "$BATS_TEST_TMPDIR/h"
}

@test "If-Match with another ETag answers 412 and If-Range with another ETag sends it all" {
	local etag
	etag=$(curl -sS -I "$GZ_HTTP_URL/a.pdf" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
	[ -n "$etag" ]
	run hcurl -H "If-Match: $etag" -H 'Range: bytes=0-9' "$GZ_HTTP_URL/a.pdf"
	assert_output 206
	run hcurl -H 'If-Match: "other"' -H 'Range: bytes=0-9' "$GZ_HTTP_URL/a.pdf"
	assert_output 412
	run hcurl -H 'If-Range: "other"' -H 'Range: bytes=0-9' "$GZ_HTTP_URL/a.pdf"
	assert_output 200
	cmp "$BATS_TEST_TMPDIR/out" "$WWW/a.pdf"
}

@test "500 twice then 200" {
	http_fault '{"fault": "status", "status": 500, "match": "/a.pdf", "times": 2}'
	run hcurl "$GZ_HTTP_URL/a.pdf"
	assert_output 500
	run hcurl "$GZ_HTTP_URL/2024/Di%C3%A1rio%20Oficial.pdf"
	assert_output 200
	run hcurl "$GZ_HTTP_URL/a.pdf"
	assert_output 500
	run hcurl "$GZ_HTTP_URL/a.pdf"
	assert_output 200
	run jq -c '[.method, .path, .status, .fault]' <<<"$(http_log)"
	assert_output '["GET","/a.pdf",500,"status"]
["GET","/2024/Di%C3%A1rio%20Oficial.pdf",200,null]
["GET","/a.pdf",500,"status"]
["GET","/a.pdf",200,null]'
}

@test "429 with Retry-After: 1" {
	http_fault '{"fault": "status", "status": 429, "retry_after": 1}'
	run curl -sS -D "$BATS_TEST_TMPDIR/h" -o /dev/null -w '%{http_code}' "$GZ_HTTP_URL/a.pdf"
	assert_output 429
	grep -qi '^Retry-After: 1' "$BATS_TEST_TMPDIR/h"
	# curl's own --retry honours it: one retry after about a second.
	run curl -sS -o /dev/null -w '%{http_code}' --retry 2 --max-time 20 \
		"$GZ_HTTP_URL/a.pdf"
	assert_output 200
}

@test "a connection reset mid-body makes curl exit 56" {
	http_fault '{"fault": "reset", "match": "*.pdf", "bytes": 10000}'
	run -56 curl -sS -o /dev/null --max-time 20 "$GZ_HTTP_URL/a.pdf"
}

@test "a body shorter than its Content-Length makes curl exit 18" {
	http_fault '{"fault": "truncate", "bytes": 1234}'
	run -18 curl -sS -o "$BATS_TEST_TMPDIR/got" --max-time 20 "$GZ_HTTP_URL/a.pdf"
	assert_equal "$(stat -c %s "$BATS_TEST_TMPDIR/got")" 1234
}

@test "a 3-second stall before the headers or during the body trips --max-time 1 (28)" {
	http_fault '[{"fault": "stall"}, {"fault": "stall", "bytes": 5000}]'
	run -28 curl -sS -o /dev/null --max-time 1 "$GZ_HTTP_URL/a.pdf"
	run -28 curl -sS -o "$BATS_TEST_TMPDIR/got" --max-time 1 "$GZ_HTTP_URL/a.pdf"
	assert_equal "$(stat -c %s "$BATS_TEST_TMPDIR/got")" 5000
}

@test "a trickling body trips curl's low-speed limit (28)" {
	http_fault '{"fault": "trickle", "rate": 300}'
	run -28 curl -sS -o /dev/null --speed-limit 10000 --speed-time 1 \
		--max-time 10 "$GZ_HTTP_URL/a.pdf"
}

@test "an endless chunked body never ends until the client gives up, and the server stops it itself" {
	http_fault '{"fault": "endless", "times": 2, "seconds": 1}'
	run -28 curl -sS -o "$BATS_TEST_TMPDIR/got" --max-time 0.5 "$GZ_HTTP_URL/a.pdf"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/got")" -gt 100000 ]
	# Without a client limit the server cuts it, without the last chunk.
	run -18 curl -sS -o /dev/null --max-time 10 "$GZ_HTTP_URL/a.pdf"
}

@test "a Content-Length above the client's limit is refused before the body (63)" {
	http_fault '{"fault": "length", "length": 5000000000}'
	run -63 curl -sS -o /dev/null --max-filesize 1000000 --max-time 20 \
		"$GZ_HTTP_URL/a.pdf"
}

@test "a chain of redirects ends at the file, and an endless loop trips --max-redirs" {
	http_fault '{"fault": "redirect", "status": 301, "hops": 3}'
	run curl -sS -L -o "$BATS_TEST_TMPDIR/got" --max-time 20 \
		-w '%{http_code} %{num_redirects}' "$GZ_HTTP_URL/a.pdf"
	assert_output '200 3'
	cmp "$BATS_TEST_TMPDIR/got" "$WWW/a.pdf"
	run jq -r '.status' <<<"$(http_log)"
	assert_output '301
301
301
200'
	http_fault '{"fault": "redirect", "hops": 2, "to": "/2024/Di%C3%A1rio%20Oficial.pdf"}'
	run curl -sS -L --max-time 20 -w ' %{http_code} %{num_redirects}' "$GZ_HTTP_URL/a.pdf"
	assert_output 'small file
 200 2'
	http_fault '{"fault": "redirect", "hops": -1}'
	run -47 curl -sS -L -o /dev/null --max-redirs 5 --max-time 20 "$GZ_HTTP_URL/a.pdf"
	run hcurl "$GZ_HTTP_URL/a.pdf"
	assert_output 200
}

@test "a close fault answers nothing (52) and HEAD and methods work" {
	http_fault '{"fault": "close", "methods": ["GET"]}'
	run hcurl -I "$GZ_HTTP_URL/a.pdf"
	assert_output 200
	run -52 curl -sS -o /dev/null --max-time 20 "$GZ_HTTP_URL/a.pdf"
	run hcurl -X DELETE "$GZ_HTTP_URL/a.pdf"
	assert_output 405
}

@test "an unknown fault is refused and the armed ones are listed" {
	run http_fault '{"fault": "explode"}'
	assert_failure
	assert_output --partial 'unknown fault'
	http_fault '{"fault": "status", "times": -1, "match": "/nothing"}'
	run jq -r '.[] | "\(.fault) \(.times)"' <<<"$(http_faults)"
	assert_output 'status -1'
}
