# lib/: the NDJSON reader and writer, gz.error, retry delays, redaction,
# metrics — driven through tests/progs/libcheck, which uses them as the
# tools do.
load helpers/common

setup_file() {
	export LIBCHECK="$(dirname "${GZ_BIN:-$GZ_ROOT/build/release/bin}")/test/libcheck"
	[ -x "$LIBCHECK" ] || LIBCHECK="$GZ_ROOT/build/release/test/libcheck"
}

@test "a 50 MB text in one record passes through whole" {
	"$GZ_PYTHON" -c '
import json
print(json.dumps({"id": 1, "source_text": "á" * 25_000_000}, ensure_ascii=False))
print(json.dumps({"id": 2}))' >"$BATS_TEST_TMPDIR/big.ndjson"
	run -0 --separate-stderr bash -c '"$LIBCHECK" ndjson <"$1" | jq -c "[.id, (.source_text // \"\" | length)]"' _ "$BATS_TEST_TMPDIR/big.ndjson"
	assert_line --index 0 '[1,25000000]'
	assert_line --index 1 '[2,0]'
}

@test "each bad line gets a per-line error with its number and the stream goes on" {
	{
		printf '{"id":1}\n'
		printf '{"id":2,"t":"\xff\xfe"}\n'	# invalid UTF-8
		printf '\n'				# empty line
		printf '[1,2,3]\n'			# an array, not an object
		"$GZ_PYTHON" -c 'print("[" * 10000 + "]" * 10000)'
		printf '{"id":3}\n'
		printf '{"id":4,"t":'			# truncated last object
	} >"$BATS_TEST_TMPDIR/bad.ndjson"
	run -1 --separate-stderr "$LIBCHECK" ndjson <"$BATS_TEST_TMPDIR/bad.ndjson"
	assert_equal "$(echo "$output" | jq -s 'length')" 7
	echo "$output" | jq -se '[.[] | .id // empty] == [1,3]'
	echo "$output" | jq -se '[.[] | .gz.error.line // empty] == [2,3,4,5,7]'
	echo "$output" | jq -se 'all(.[] | select(.gz); .gz.error.code == "bad_record" and .gz.error.stage == "libcheck")'
	[[ "$stderr" == *"line 2: invalid UTF-8 at byte 14"* ]]
	[[ "$stderr" == *"line 3: empty line"* ]]
	[[ "$stderr" == *"line 4: expected a JSON object, got array"* ]]
	[[ "$stderr" == *"line 5: malformed JSON: Exceeds depth limit"* ]]
	[[ "$stderr" == *"line 7: malformed JSON: Unfinished JSON term"* ]]
}

@test "a last line without its newline is accepted when the object is complete" {
	run -0 --separate-stderr bash -c 'printf "{\"id\":1}\n{\"id\":2}" | "$LIBCHECK" ndjson'
	assert_equal "$output" $'{"id":1}\n{"id":2}'
}

@test "a line over --max-record-bytes is skipped without being held in memory" {
	"$GZ_PYTHON" -c '
print("{\"id\":1,\"t\":\"" + "x" * 100_000_000 + "\"}")
print("{\"id\":2}")' >"$BATS_TEST_TMPDIR/long.ndjson"
	run -1 --separate-stderr /usr/bin/time -f 'maxrss=%M' "$LIBCHECK" --max-record-bytes 1M ndjson <"$BATS_TEST_TMPDIR/long.ndjson"
	echo "$output" | jq -se '.[0].gz.error.code == "bad_record" and .[1].id == 2'
	[[ "$stderr" == *"line 1: record longer than --max-record-bytes"* ]]
	rss=$(echo "$stderr" | sed -n 's/^maxrss=//p')
	[ "$rss" -lt 32000 ]	# KiB: the 100 MB line never sat in memory
}

@test "records already carrying gz.error are left as they are" {
	run -0 --separate-stderr bash -c 'echo "{\"id\":1,\"gz\":{\"error\":{\"stage\":\"gz-fetch\",\"code\":\"http_404\"}}}" | "$LIBCHECK" error extractor_failed boom'
	echo "$output" | jq -e '.gz.error.stage == "gz-fetch" and .gz.error.code == "http_404"'
}

@test "gz.error carries stage, code, message, attempts and retryable" {
	run -0 --separate-stderr bash -c 'echo "{\"id\":7,\"gz\":{\"file\":\"/x\"}}" | "$LIBCHECK" error http_404 "not there"'
	echo "$output" | jq -e '.gz.file == "/x" and .gz.error == {"stage":"libcheck","code":"http_404","message":"not there","attempts":1,"retryable":false}'
}

@test "a record given a gz.error here counts as failed in the summary and the metrics; one failed upstream does not" {
	printf '%s\n' '{"id":1}' '{"id":2,"gz":{"error":{"stage":"gz-fetch","code":"http_404"}}}' \
		'not json' '{"id":4}' >"$BATS_TEST_TMPDIR/in"
	run -1 --separate-stderr "$LIBCHECK" --metrics-file "$BATS_TEST_TMPDIR/m.prom" \
		error interrupted "stopped" <"$BATS_TEST_TMPDIR/in"
	echo "$output" | jq -se 'map(.gz.error.code) == ["interrupted", "http_404", "bad_record", "interrupted"]'
	[[ "$stderr" == *"4 in, 4 out, 3 failed"* ]]
	grep -qx 'gz_records_failed_total{tool="libcheck"} 3' "$BATS_TEST_TMPDIR/m.prom"
	# the same three by code; the upstream http_404 is not this stage's
	grep -qx 'gz_record_errors_total{tool="libcheck",code="interrupted"} 2' "$BATS_TEST_TMPDIR/m.prom"
	grep -qx 'gz_record_errors_total{tool="libcheck",code="bad_record"} 1' "$BATS_TEST_TMPDIR/m.prom"
	! grep -q 'code="http_404"' "$BATS_TEST_TMPDIR/m.prom"
	promtool check metrics <"$BATS_TEST_TMPDIR/m.prom"
}

@test "a failure code is a metric label: bytes outside [a-z0-9_] become _" {
	printf '%s\n' '{"id":1}' '{"id":2}' >"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr "$LIBCHECK" --quiet --metrics-file "$BATS_TEST_TMPDIR/m.prom" \
		error 'Bad-Code"}' "stopped" <"$BATS_TEST_TMPDIR/in"
	grep -qx 'gz_record_errors_total{tool="libcheck",code="_ad__ode__"} 2' "$BATS_TEST_TMPDIR/m.prom"
	promtool check metrics <"$BATS_TEST_TMPDIR/m.prom"
}

@test "a closed stdout ends the stream quietly with status 0" {
	run -0 --separate-stderr bash -c 'yes "{\"id\":1}" | head -n 200000 | "$LIBCHECK" --quiet ndjson | head -n 1; echo "${PIPESTATUS[2]}"'
	assert_line --index 0 '{"id":1}'
	assert_line --index 1 '0'
	refute_output --partial 'rror'
}

@test "a full disk on stdout is a fatal error with one message" {
	run -3 --separate-stderr bash -c 'echo "{\"id\":1}" | "$LIBCHECK" --quiet ndjson >/dev/full'
	assert_equal "$(echo "$stderr" | wc -l)" 1
	[[ "$stderr" == *"writing records: No space left on device"* ]]
}

@test "retry delays use full jitter under an exponential cap" {
	run -0 "$LIBCHECK" delays 1 8 6
	echo "$output" | awk '{ w = 2 ^ ($1 - 1); if (w > 8) w = 8; if ($2 < 0 || $2 > w) exit 1 }'
}

@test "retry delays honour Retry-After but never past the cap" {
	run -0 "$LIBCHECK" delays 0.1 5 3 3
	echo "$output" | awk '{ if ($2 < 3 || $2 > 5) exit 1 }'
	run -0 "$LIBCHECK" delays 0.1 5 3 60
	echo "$output" | awk '{ if ($2 != 5) exit 1 }'
}

@test "secrets are redacted from URLs and conninfo strings" {
	run -0 "$LIBCHECK" redact 'https://admin:s3cr3t@search.example:9200/x'
	assert_output 'https://admin:***@search.example:9200/x'
	run -0 "$LIBCHECK" redact 'host=db user=gz password=s3cr3t dbname=gz'
	assert_output 'host=db user=gz password=*** dbname=gz'
	run -0 "$LIBCHECK" redact 'postgresql://gz@db/gz?password=s3cr3t&sslmode=require'
	assert_output 'postgresql://gz@db/gz?password=***&sslmode=require'
	# a bare token as userinfo, a raw @ inside the password, signed URLs
	run -0 "$LIBCHECK" redact 'https://ghp_s3cr3t@push.example/'
	assert_output 'https://***@push.example/'
	run -0 "$LIBCHECK" redact 'http://u:s3c@r3t@h:9091/x?a=1'
	assert_output 'http://u:***@h:9091/x?a=1'
	run -0 "$LIBCHECK" redact 'postgresql://gz:s3c/r3t@db/gz'
	assert_output 'postgresql://gz:***@db/gz'
	run -0 "$LIBCHECK" redact 'https://b.s3.example/k?X-Amz-Credential=AK&X-Amz-Signature=s3cr3t&x=1#f'
	assert_output 'https://b.s3.example/k?X-Amz-Credential=***&X-Amz-Signature=***&x=1#f'
	run -0 "$LIBCHECK" redact "host=db password='s3 cr\\'3t' user=gz"
	assert_output "host=db password=*** user=gz"
	# a conninfo libpq could not read: everything after the first stray word
	run -0 "$LIBCHECK" redact 'host=db s3cr3t user=gz'
	assert_output 'host=db ***'
	run -0 "$LIBCHECK" redact 'localhost:9000'
	assert_output 'localhost:9000'
}

@test "an argument's secrets are overwritten in place, as ps would show it" {
	run -0 "$LIBCHECK" hide 'postgresql://gz:s3cr3t@db:5432/gz?sslmode=require'
	assert_output 'postgresql://gz:******@db:5432/gz?sslmode=require'
	run -0 "$LIBCHECK" hide 'host=db password=s3cr3t'
	assert_output 'host=db password=******'
}

@test "a connection is described from what libpq parses, never with its password" {
	run -0 "$LIBCHECK" describe 'postgresql://gz:s3cr3t@db.example:6432/gazettes'
	assert_output 'host=db.example port=6432 dbname=gazettes user=gz'
	run -0 "$LIBCHECK" describe 'postgresql://db.example/gazettes?user=gz&password=s3cr3t'
	assert_output 'host=db.example dbname=gazettes user=gz'
	run -0 "$LIBCHECK" describe "host=db.example password='s3cr3t' user=gz"
	assert_output 'host=db.example user=gz'
	run -0 env PGHOST=db.example PGUSER=gz "$LIBCHECK" describe gazettes
	assert_output 'host=db.example dbname=gazettes user=gz'
	run -0 env POSTGRES_HOST=db.example POSTGRES_DB=gazettes POSTGRES_PASSWORD=s3cr3t "$LIBCHECK" describe ''
	assert_output 'host=db.example dbname=gazettes'
	# libpq's messages go through db_scrub: every form of the password
	run -0 env PGPASSWORD=pg-s3cr3t "$LIBCHECK" describe 'postgresql://gz:s3%40cr3t@db/gz' \
		'x s3%40cr3t y s3@cr3t z pg-s3cr3t'
	assert_line --index 1 'x *** y *** z ***'
	run -0 "$LIBCHECK" describe 'postgresql://gz:s3%zzcr3t@db/gz'
	assert_output 'the connection string given'
}

@test "sizes and durations parse strictly" {
	run -0 "$LIBCHECK" size 64M
	assert_output 67108864
	run -0 "$LIBCHECK" duration 2000ms
	assert_output 2
	run -2 --separate-stderr "$LIBCHECK" size 12Q
	[[ "$stderr" == *"bad size '12Q'"* ]]
	[[ "$stderr" == *"Try 'libcheck --help'"* ]]
	run -2 --separate-stderr "$LIBCHECK" --progress=-1 ndjson
	# Plain decimals only: strtod's exponents, hex, infinities and signs
	# are nobody's idea of a size or a duration.
	run -0 "$LIBCHECK" duration 0.5m
	assert_output 30
	run -0 "$LIBCHECK" duration .5
	for bad in 1e5 0x10 inf nan +5 . 1.2.3 ' 5' 5e; do
		run -2 --separate-stderr "$LIBCHECK" duration "$bad"
		run -2 --separate-stderr "$LIBCHECK" size "$bad"
	done
}

@test "the metrics text passes promtool check metrics" {
	run -0 --separate-stderr "$LIBCHECK" metrics
	echo "$output" | promtool check metrics
	assert_line 'gz_records_in_total{tool="libcheck"} 3'
	assert_line 'gz_record_duration_seconds_bucket{tool="libcheck",le="0.5"} 1'
	assert_line 'gz_record_duration_seconds_count{tool="libcheck"} 2'
}

@test "--metrics-file is written at exit, atomically, with no temporary left" {
	mkdir "$BATS_TEST_TMPDIR/m"
	run -0 --separate-stderr bash -c 'echo "{\"id\":1}" | "$LIBCHECK" --metrics-file "$1/gz.prom" ndjson' _ "$BATS_TEST_TMPDIR/m"
	promtool check metrics <"$BATS_TEST_TMPDIR/m/gz.prom"
	grep -q '^gz_records_out_total{tool="libcheck"} 1$' "$BATS_TEST_TMPDIR/m/gz.prom"
	assert_equal "$(ls "$BATS_TEST_TMPDIR/m")" "gz.prom"
}

@test "--metrics-push warnings never show the URL's credentials" {
	local port
	port=$(free_port)
	# nothing listens: curl's error
	run -0 --separate-stderr bash -c 'echo "{\"id\":1}" | "$LIBCHECK" --metrics-push "$1" ndjson' _ \
		"http://gzpush:Hunter2Push@127.0.0.1:$port/"
	[[ "$stderr" == *"metrics push to http://gzpush:***@127.0.0.1:$port/: "* ]]
	[[ "$stderr" != *Hunter2* ]]
	# an HTTP server that refuses PUT (501): the status branch
	"$GZ_PYTHON" -m http.server --bind 127.0.0.1 "$port" >"$BATS_TEST_TMPDIR/http.log" 2>&1 &
	local srv=$!
	wait_for curl -sf "http://127.0.0.1:$port/"
	run -0 --separate-stderr bash -c 'echo "{\"id\":1}" | "$LIBCHECK" --metrics-push "$1" ndjson' _ \
		"http://gzpush:Hunter2Push@127.0.0.1:$port/?token=Hunter2Token"
	kill "$srv"; wait "$srv" || true
	[[ "$stderr" == *"metrics push to http://gzpush:***@127.0.0.1:$port/?token=***: HTTP 501"* ]]
	[[ "$stderr" != *Hunter2* ]]
}

@test "--metrics-push speaks http and https only (lib/retry's http_defaults)" {
	run -0 --separate-stderr bash -c 'echo "{\"id\":1}" | "$LIBCHECK" --metrics-push "$1" ndjson' _ \
		"file://$BATS_TEST_TMPDIR/push"
	[[ "$stderr" == *"metrics push to file://$BATS_TEST_TMPDIR/push: Unsupported protocol"* ]]
}

@test "--metrics-push reaches a real Pushgateway grouped by job and instance" {
	port=$(free_port)
	# Debian's Pushgateway keeps its groups in /var/lib/prometheus unless
	# told otherwise: a file of this test's own keeps runs apart.
	prometheus-pushgateway --web.listen-address="127.0.0.1:$port" \
		--persistence.file="$BATS_TEST_TMPDIR/pgw.data" \
		>"$BATS_TEST_TMPDIR/pgw.log" 2>&1 &
	pgw=$!
	wait_for curl -sf "http://127.0.0.1:$port/-/ready"
	run -0 --separate-stderr bash -c 'echo "{\"id\":1}" | "$LIBCHECK" --metrics-push "$1" ndjson' _ "http://127.0.0.1:$port"
	got=$(curl -sf "http://127.0.0.1:$port/metrics")
	kill "$pgw"; wait "$pgw" || true
	echo "$got" | grep -q "gz_records_out_total{instance=\"$(hostname)\",job=\"libcheck\",tool=\"libcheck\"} 1"
}

@test "progress redraws in place only for a process alone at its terminal; one between pipes prints plain lines" {
	local esc=$'\r\033[K'
	run -0 script -qec "$LIBCHECK --progress=0.05 progress </dev/null >/dev/null" /dev/null
	[[ "$output" == *"${esc}libcheck: "*" in, "*" out, "* ]]
	[[ "$output" != *"progress: "* ]]
	# stdout a pipe, as in gz-list | gz-fetch | ...: lines, never redrawn
	run -0 script -qec "$LIBCHECK --progress=0.05 progress </dev/null | cat" /dev/null
	[[ "$output" == *"libcheck: progress: "*" in, "*" out, "* ]]
	[[ "$output" != *$'\033[K'* ]]
	run -0 script -qec "echo | $LIBCHECK --progress=0.05 progress >/dev/null" /dev/null
	[[ "$output" == *"libcheck: progress: "* ]]
	[[ "$output" != *$'\033[K'* ]]
}

@test "an allocation that fails ends the process with one message and exit status 3" {
	# ASan would abort on a request this size instead of returning NULL.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1"
	run -0 "$LIBCHECK" alloc 4096
	assert_output 'allocated'
	run -3 --separate-stderr "$LIBCHECK" alloc 4611686018427387904
	[ -z "$output" ]
	# Under ASan its own warning about the refused request comes first.
	stderr=$(grep -v '^==[0-9]*==WARNING: AddressSanitizer failed to allocate' <<<"$stderr")
	[ "$stderr" = 'libcheck: out of memory (4611686018427387904 bytes)' ]
	# n * size overflows size_t: refused before calloc sees it.
	run -3 --separate-stderr "$LIBCHECK" alloc 4294967296 4294967297
	[ "$stderr" = 'libcheck: out of memory (18446744073709551615 bytes)' ]
}

@test "no two object files of lib/ or of a tool call into each other (nm)" {
	# The objects next to the binaries under test: build/VARIANT/{lib,tools}.
	local build
	build="$(dirname "${GZ_BIN:-$GZ_ROOT/build/release/bin}")"
	[ -d "$build/lib" ] || build="$GZ_ROOT/build/release"
	run -0 "$GZ_PYTHON" "$GZ_ROOT/tests/helpers/cycles.py" "$build" \
	    lib tools/gz-list tools/gz-fetch tools/gz-search tools/gz-index \
	    tools/gz-split tools/gz-extract
	# The checker sees a cycle when there is one: log.o and metrics.o
	# calling each other, as they once did.
	mkdir "$BATS_TEST_TMPDIR/lib"
	printf 'void b(void);\nvoid a(void) { b(); }\n' >"$BATS_TEST_TMPDIR/a.c"
	printf 'void a(void);\nvoid b(void) { a(); }\n' >"$BATS_TEST_TMPDIR/b.c"
	cc -c -o "$BATS_TEST_TMPDIR/lib/log.o" "$BATS_TEST_TMPDIR/a.c"
	cc -c -o "$BATS_TEST_TMPDIR/lib/metrics.o" "$BATS_TEST_TMPDIR/b.c"
	run -1 "$GZ_PYTHON" "$GZ_ROOT/tests/helpers/cycles.py" "$BATS_TEST_TMPDIR" lib
	assert_output 'lib: log.o metrics.o (log.o->metrics.o, metrics.o->log.o)'
}
