# gz-fetch against s3rver behind the SigV4-verifying proxy (helpers/s3.bash)
# and the fault-injecting HTTP file server (helpers/http.bash), plus
# --source dir for the spool and path rules that need no network.
load helpers/common
load helpers/s3
load helpers/http

setup_file() {
	WWW="$BATS_FILE_TMPDIR/www"
	mkdir -p "$WWW/many"
	head -c 300000 /dev/urandom >"$WWW/big.pdf"
	head -c 2000 /dev/urandom >"$WWW/small.pdf"
	head -c 3000000 /dev/urandom >"$WWW/huge.pdf"
	for i in $(seq 1 200); do
		printf 'file %d\n' "$i" >"$WWW/many/$i.txt"
	done
	export WWW
	s3_start
	http_start "$WWW"
	s3_put "2024/Diário Oficial.pdf" "$WWW/big.pdf"
	s3_put "sp/3550308/2024-01-02 edição extra.pdf" "$WWW/small.pdf"
	s3_put "a+b=c(1)@x.pdf" "$WWW/small.pdf"
	s3_put "100% válido+final.pdf" "$WWW/small.pdf"
	s3_put "big.pdf" "$WWW/big.pdf"
}

teardown_file() {
	http_stop
	s3_stop
}

setup() {
	s3_reset
	http_reset
	SPOOL="$BATS_TEST_TMPDIR/spool"
	IN="$BATS_TEST_TMPDIR/in.ndjson"
	T0=$(date +%s.%N)
}

# http_reqs / s3_gets: this test's requests, as a JSON array.  A request of
# an earlier test can reach the log late (when its handler ends), so they
# are told apart by their start time.
http_reqs() {
	http_log | jq -s --argjson t0 "$T0" 'map(select(.time >= $t0))'
}

s3_gets() {
	s3_log | jq -s --argjson t0 "$T0" 'map(select(.time >= $t0 and .method == "GET"))'
}

# fetch ARGS...: gz-fetch on $IN with the test's spool.
fetch() {
	timeout 60 gz-fetch --spool "$SPOOL" "$@" <"$IN"
}

# rec ID: the output record with that id.
rec() {
	echo "$output" | jq -c --argjson id "$1" 'select(.id == $id)'
}

# spool_files: the files in the spool, dot files (locks, parts) included.
spool_files() {
	ls -A "$SPOOL"
}

md5() {
	md5sum "$1" | cut -d' ' -f1
}

# --- S3 ---------------------------------------------------------------------

@test "fetches keys with spaces, accents, + and % through the SigV4-verifying proxy" {
	jq -nc --arg sum "$(md5 "$WWW/big.pdf")" '
		{id: 1, file_path: "2024/Diário Oficial.pdf", file_checksum: $sum},
		{id: 2, file_path: "sp/3550308/2024-01-02 edição extra.pdf"},
		{id: 3, file_path: "a+b=c(1)@x.pdf"},
		{id: 4, file_path: "100% válido+final.pdf"}' >"$IN"
	run -0 --separate-stderr fetch --source s3 -q
	[ "$(echo "$output" | wc -l)" -eq 4 ]
	cmp "$(rec 1 | jq -r .gz.file)" "$WWW/big.pdf"
	for id in 2 3 4; do
		cmp "$(rec $id | jq -r .gz.file)" "$WWW/small.pdf"
	done
	rec 1 | jq -e '.gz.bytes == 300000 and .gz.fetch.source == "s3" and
		.gz.fetch.attempts == 1 and .gz.fetch.http_status == 200'
	echo "$output" | jq -e '.gz.file | startswith("/") and (contains("/../") | not)'
	# The proxy checked every signature and saw S3's own encoding.
	s3_gets | jq -e 'length == 4 and all(.auth == "ok" and .status == 200)'
	s3_log | jq -r .path | grep -qxF "$(s3_path '2024/Diário Oficial.pdf')"
	s3_log | jq -r .path | grep -qxF "$(s3_path '100% válido+final.pdf')"
	[ "$stderr" = "" ]
}

@test "a missing key is NoSuchKey at once, with no retry" {
	echo '{"id": 7, "file_path": "nope/missing.pdf"}' >"$IN"
	run -1 --separate-stderr fetch --source s3
	echo "$output" | jq -e '.gz.error | .stage == "gz-fetch" and .code == "NoSuchKey" and
		.attempts == 1 and .retryable == false'
	echo "$output" | jq -e '.gz | has("file") | not'
	[ "$(s3_gets | jq length)" -eq 1 ]
	[[ "$stderr" == *"id 7: NoSuchKey"* ]]
	[ "$(spool_files)" = "" ]
}

@test "AccessDenied is not retried" {
	s3_fault '{"fault": "access_denied", "match": "big.pdf"}'
	echo '{"id": 8, "file_path": "big.pdf"}' >"$IN"
	run -1 --separate-stderr fetch --source s3
	echo "$output" | jq -e '.gz.error.code == "AccessDenied" and .gz.error.attempts == 1'
	echo "$output" | jq -e '.gz.fetch.http_status == 403'
}

@test "a wrong secret is refused by the signature check and not retried" {
	echo '{"id": 9, "file_path": "big.pdf"}' >"$IN"
	STORAGE_ACCESS_SECRET=wrong run -1 --separate-stderr fetch --source s3
	echo "$output" | jq -e '.gz.error.code == "SignatureDoesNotMatch" and .gz.error.retryable == false'
}

@test "SlowDown twice, then the object: three attempts and the whole file" {
	s3_fault '{"fault": "slowdown", "match": "big.pdf", "times": 2}'
	echo '{"id": 10, "file_path": "big.pdf"}' >"$IN"
	run -0 --separate-stderr fetch --source s3 -v
	cmp "$(echo "$output" | jq -r .gz.file)" "$WWW/big.pdf"
	echo "$output" | jq -e '.gz.fetch.attempts == 3 and (.gz | has("error") | not)'
	[[ "$stderr" == *"id 10: SlowDown: HTTP 503"*"retrying in"*"3 left"* ]]
}

@test "a SlowDown that never clears ends after --retries attempts as a retryable error" {
	s3_fault '{"fault": "slowdown", "match": "big.pdf", "times": -1}'
	echo '{"id": 11, "file_path": "big.pdf"}' >"$IN"
	run -1 --separate-stderr fetch --source s3 --retries 3
	echo "$output" | jq -e '.gz.error | .code == "SlowDown" and .attempts == 3 and .retryable'
	[ "$(s3_gets | jq length)" -eq 3 ]
	[[ "$stderr" == *"id 11: SlowDown after 3 attempts"* ]]
	[ "$(spool_files)" = "" ]
}

@test "an S3 body cut midway is resumed with a signed Range and If-Match" {
	s3_fault '{"fault": "truncate", "match": "big.pdf", "bytes": 100000}'
	echo '{"id": 12, "file_path": "big.pdf"}' >"$IN"
	run -0 --separate-stderr fetch --source s3
	cmp "$(echo "$output" | jq -r .gz.file)" "$WWW/big.pdf"
	echo "$output" | jq -e '.gz.fetch.attempts == 2 and .gz.fetch.http_status == 206'
	s3_gets | jq -e '.[1] |
		.range == "bytes=100000-" and (.headers["if-match"] | startswith("\"")) and
		.auth == "ok" and .status == 206'
}

@test "an S3 connection reset mid-body is retried and the file arrives whole" {
	s3_fault '{"fault": "reset", "match": "big.pdf", "bytes": 100000}'
	echo '{"id": 13, "file_path": "big.pdf"}' >"$IN"
	run -0 --separate-stderr fetch --source s3
	cmp "$(echo "$output" | jq -r .gz.file)" "$WWW/big.pdf"
	echo "$output" | jq -e '.gz.fetch.attempts == 2'
}

@test "storage that cannot be reached: every record fails with connection_failed, exit 3" {
	jq -nc '{id: 1, file_path: "a.pdf"}, {id: 2, file_path: "b.pdf"}' >"$IN"
	STORAGE_ENDPOINT="http://127.0.0.1:$(free_port)" \
		run -3 --separate-stderr fetch --source s3 --retries 2
	[ "$(echo "$output" | wc -l)" -eq 2 ]
	echo "$output" | jq -e '.gz.error | .code == "connection_failed" and .attempts == 2 and .retryable'
	[[ "$stderr" == *"no record could reach the storage"* ]]
}

@test "after 10 records in a row cannot reach the storage, the rest fail without a try" {
	for i in $(seq 1 14); do echo "{\"id\": $i, \"file_path\": \"$i.pdf\"}"; done >"$IN"
	STORAGE_ENDPOINT="http://127.0.0.1:$(free_port)" \
		run -3 --separate-stderr fetch --source s3 --retries 1 --jobs 1
	[ "$(echo "$output" | wc -l)" -eq 14 ]
	echo "$output" | jq -s -e 'map(select(.gz.error.attempts == 1)) | length == 10'
	echo "$output" | jq -s -e 'map(select(.gz.error.message | startswith("not tried"))) | length == 4'
	echo "$output" | jq -e '.gz.error.code == "connection_failed"'
	[[ "$stderr" == *"the storage is unreachable: 10 records in a row failed"* ]]
}

@test "without STORAGE_BUCKET, --source s3 is a configuration error" {
	echo '{"id": 1, "file_path": "a.pdf"}' >"$IN"
	STORAGE_BUCKET= run -2 --separate-stderr fetch --source s3
	[ "$output" = "" ]
	[[ "$stderr" == *"STORAGE_BUCKET is not set"* ]]
}

# --- HTTP (file_url) --------------------------------------------------------

@test "500 twice then 200: the file arrives after three attempts" {
	http_fault '{"fault": "status", "status": 500, "match": "/big.pdf", "times": 2}'
	echo "{\"id\": 20, \"file_url\": \"$GZ_HTTP_URL/big.pdf\"}" >"$IN"
	run -0 --separate-stderr fetch --source url
	cmp "$(echo "$output" | jq -r .gz.file)" "$WWW/big.pdf"
	echo "$output" | jq -e '.gz.fetch | .attempts == 3 and .source == "url" and .http_status == 200'
	[ "$(http_reqs | jq length)" -eq 3 ]
}

@test "429 with Retry-After: waits as told, then fetches" {
	http_fault '{"fault": "status", "status": 429, "retry_after": 1, "match": "/small.pdf"}'
	echo "{\"id\": 21, \"file_url\": \"$GZ_HTTP_URL/small.pdf\"}" >"$IN"
	run -0 --separate-stderr fetch --source url -v
	echo "$output" | jq -e '.gz.fetch.attempts == 2'
	[[ "$stderr" == *"id 21: http_429: HTTP 429; retrying in 1.0 s"* ]]
	http_reqs | jq -e '.[1].time - .[0].time >= 0.9'
}

@test "a connection reset mid-body is retried and the file arrives whole" {
	http_fault '{"fault": "reset", "match": "/big.pdf", "bytes": 120000}'
	echo "{\"id\": 22, \"file_url\": \"$GZ_HTTP_URL/big.pdf\"}" >"$IN"
	run -0 --separate-stderr fetch --source url
	cmp "$(echo "$output" | jq -r .gz.file)" "$WWW/big.pdf"
	echo "$output" | jq -e '.gz.bytes == 300000 and .gz.fetch.attempts == 2'
}

@test "a body shorter than its Content-Length is resumed with a Range request" {
	http_fault '{"fault": "truncate", "match": "/big.pdf", "bytes": 5000}'
	echo "{\"id\": 23, \"file_url\": \"$GZ_HTTP_URL/big.pdf\"}" >"$IN"
	run -0 --separate-stderr fetch --source url
	cmp "$(echo "$output" | jq -r .gz.file)" "$WWW/big.pdf"
	echo "$output" | jq -e '.gz.bytes == 300000 and .gz.fetch.attempts == 2'
	http_reqs | jq -e '.[1].range == "bytes=5000-" and .[1].status == 206'
}

@test "a 3-second stall trips --stall-timeout and the retry succeeds" {
	http_fault '{"fault": "stall", "ms": 3000, "match": "/small.pdf"}'
	echo "{\"id\": 24, \"file_url\": \"$GZ_HTTP_URL/small.pdf\"}" >"$IN"
	run -0 --separate-stderr fetch --source url --stall-timeout 1 -v
	cmp "$(echo "$output" | jq -r .gz.file)" "$WWW/small.pdf"
	[[ "$stderr" == *"id 24: timeout:"* ]]
}

@test "an endless body is cut at --max-size while it streams" {
	http_fault '{"fault": "endless", "match": "/small.pdf", "seconds": 20}'
	echo "{\"id\": 25, \"file_url\": \"$GZ_HTTP_URL/small.pdf\"}" >"$IN"
	run -1 --separate-stderr fetch --source url --max-size 256K
	echo "$output" | jq -e '.gz.error | .code == "too_large" and .attempts == 1 and .retryable == false'
	[ "$(spool_files)" = "" ]
}

@test "a Content-Length over --max-size is refused before the body" {
	http_fault '{"fault": "length", "length": 10737418240, "match": "/small.pdf"}'
	echo "{\"id\": 26, \"file_url\": \"$GZ_HTTP_URL/small.pdf\"}" >"$IN"
	run -1 --separate-stderr fetch --source url
	echo "$output" | jq -e '.gz.error | .code == "too_large" and (.message | contains("10737418240 bytes"))'
	[ "$(spool_files)" = "" ]
}

@test "MAX_GAZETTE_FILE_SIZE_MB is the default --max-size, in megabytes" {
	echo "{\"id\": 27, \"file_url\": \"$GZ_HTTP_URL/huge.pdf\"}" >"$IN"
	MAX_GAZETTE_FILE_SIZE_MB=2 run -1 --separate-stderr fetch --source url
	echo "$output" | jq -e '.gz.error.code == "too_large"'
	MAX_GAZETTE_FILE_SIZE_MB=2 run -0 --separate-stderr fetch --source url --max-size 3
	echo "$output" | jq -e '.gz.bytes == 3000000'
}

@test "a file whose MD5 is not its file_checksum is checksum_mismatch, and no file stays" {
	jq -nc --arg url "$GZ_HTTP_URL/small.pdf" --arg good "$(md5 "$WWW/small.pdf")" '
		{id: 28, file_url: $url, file_checksum: "0123456789abcdef0123456789ABCDEF"},
		{id: 29, file_url: $url, file_checksum: ($good | ascii_upcase)}' >"$IN"
	run -1 --separate-stderr fetch --source url
	rec 28 | jq -e '.gz.error | .code == "checksum_mismatch" and .retryable == false'
	rec 29 | jq -e '.gz | has("error") | not'
	[ "$(ls "$SPOOL")" = "$(basename "$(rec 29 | jq -r .gz.file)")" ]
}

@test "a 404 over HTTP is http_404, not retried" {
	echo "{\"id\": 30, \"file_url\": \"$GZ_HTTP_URL/none.pdf\"}" >"$IN"
	run -1 --separate-stderr fetch --source url
	echo "$output" | jq -e '.gz.error | .code == "http_404" and .attempts == 1'
	[ "$(http_reqs | jq length)" -eq 1 ]
}

@test "redirects are followed up to --max-redirs, never to another protocol" {
	http_fault '[{"fault": "redirect", "hops": 2, "match": "/small.pdf"},
		{"fault": "redirect", "hops": -1, "match": "/big.pdf"},
		{"fault": "redirect", "to": "file:///etc/passwd", "match": "/many/1.txt"}]'
	jq -nc --arg u "$GZ_HTTP_URL" '{id: 31, file_url: ($u + "/small.pdf")},
		{id: 32, file_url: ($u + "/big.pdf")}, {id: 33, file_url: ($u + "/many/1.txt")},
		{id: 34, file_url: "file:///etc/passwd"}' >"$IN"
	run -1 --separate-stderr fetch --source url --max-redirs 3
	cmp "$(rec 31 | jq -r .gz.file)" "$WWW/small.pdf"
	rec 32 | jq -e '.gz.error.code == "too_many_redirects"'
	rec 33 | jq -e '.gz.error.code == "bad_url"'
	rec 34 | jq -e '.gz.error.code == "bad_url" and (.gz | has("fetch") | not)'
}

@test "a record without file_url gets no_file_url" {
	echo '{"id": 35}' >"$IN"
	run -1 --separate-stderr fetch --source url
	echo "$output" | jq -e '.gz.error.code == "no_file_url" and .id == 35'
}

# --- the stream ---------------------------------------------------------------

@test "200 files through --jobs 8: every record comes out exactly once" {
	for i in $(seq 1 200); do
		if [ $((i % 50)) -eq 0 ]; then
			echo "{\"id\": $i, \"file_url\": \"$GZ_HTTP_URL/many/missing-$i.txt\"}"
		else
			echo "{\"id\": $i, \"file_url\": \"$GZ_HTTP_URL/many/$i.txt\"}"
		fi
	done >"$IN"
	http_fault '{"fault": "status", "status": 503, "prefix": "/many/1", "times": 8}'
	run -1 --separate-stderr fetch --source url --jobs 8 --retries 10
	[ "$(echo "$output" | wc -l)" -eq 200 ]
	echo "$output" | jq -s -e '[.[].id] | sort == [range(1; 201)]'
	echo "$output" | jq -s -e 'map(select(.gz.error)) | length == 4 and all(.gz.error.code == "http_404")'
	for i in 1 17 123 199; do
		[ "$(cat "$(rec $i | jq -r .gz.file)")" = "file $i" ]
	done
	[ "$(ls "$SPOOL" | wc -l)" -eq 196 ]
}

@test "records that arrive with gz.error pass through untouched" {
	printf '%s\n' '{"id":40,"file_url":"http://x/","gz":{"error":{"stage":"gz-list","code":"x","message":"m"}},"z":[1,{"b":2}]}' >"$IN"
	run -0 --separate-stderr fetch --source url
	[ "$output" = "$(cat "$IN")" ]
}

@test "an unreadable input line becomes a bad_record error record" {
	printf '%s\n' '{"id": 41, "file_url": "'"$GZ_HTTP_URL"'/small.pdf"}' 'not json' >"$IN"
	run -1 --separate-stderr fetch --source url
	[ "$(echo "$output" | wc -l)" -eq 2 ]
	echo "$output" | jq -s -e 'map(select(.gz.error.code == "bad_record")) | length == 1'
}

@test "gz-fetch | head -n1 is quiet and exits 0" {
	for i in $(seq 1 100); do
		echo "{\"id\": $i, \"file_url\": \"$GZ_HTTP_URL/many/$i.txt\"}"
	done >"$IN"
	run -0 --separate-stderr bash -c 'timeout 60 gz-fetch --spool "$1" --source url -q <"$2" | head -n1 >/dev/null; echo "${PIPESTATUS[*]}"' _ "$SPOOL" "$IN"
	[ "$output" = "0 0" ]
	[ "$stderr" = "" ]
}

@test "stdout on a full disk (/dev/full) exits 3 with one message" {
	echo "{\"id\": 42, \"file_url\": \"$GZ_HTTP_URL/small.pdf\"}" >"$IN"
	run -3 --separate-stderr bash -c 'timeout 60 gz-fetch --spool "$1" --source url -q <"$2" >/dev/full' _ "$SPOOL" "$IN"
	[ "$(echo "$stderr" | wc -l)" -eq 1 ]
	[[ "$stderr" == *"writing records: No space left on device"* ]]
}

@test "SIGTERM abandons the download in flight as interrupted, leaves no temporary file, exits 143" {
	http_fault '{"fault": "trickle", "rate": 2000, "match": "/big.pdf"}'
	echo "{\"id\": 43, \"file_url\": \"$GZ_HTTP_URL/big.pdf\"}" >"$IN"
	gz-fetch --spool "$SPOOL" --source url <"$IN" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	wait_for bash -c "ls -A '$SPOOL' | grep -q part"
	kill -TERM $pid
	status=0
	wait $pid || status=$?
	[ "$status" -eq 143 ]
	[ "$(spool_files)" = "" ]
	jq -e '.id == 43 and .gz.error.code == "interrupted" and .gz.error.retryable' "$BATS_TEST_TMPDIR/out"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq 1 ]
}

# --- the spool ----------------------------------------------------------------

@test "hostile file_path values never touch anything outside the spool" {
	mirror="$BATS_TEST_TMPDIR/mirror"
	mkdir -p "$mirror/sub" "$BATS_TEST_TMPDIR/outside"
	echo secret >"$BATS_TEST_TMPDIR/outside/secret.pdf"
	ln -s "$BATS_TEST_TMPDIR/outside/secret.pdf" "$mirror/sub/link.pdf"
	ln -s "$BATS_TEST_TMPDIR/outside" "$mirror/dirlink"
	cp "$WWW/small.pdf" "$mirror/sub/ok.pdf"
	jq -nc '{id: 50, file_path: "../../etc/passwd"}, {id: 51, file_path: "/etc/passwd"},
		{id: 52, file_path: "sub/../../outside/secret.pdf"}, {id: 53, file_path: "sub/link.pdf"},
		{id: 54, file_path: "dirlink/secret.pdf"}, {id: 55, file_path: "sub/ok.pdf\u0000../../x"},
		{id: 56, file_path: "sub/./ok.pdf"}, {id: 57, file_path: "sub"},
		{id: 58, file_path: "sub/ok.pdf"}, {id: 59, file_path: "sub/missing.pdf"},
		{id: 60, file_path: ""}, {id: 61, file_path: 7}' >"$IN"
	run -1 --separate-stderr fetch --source "dir:$mirror"
	[ "$(echo "$output" | wc -l)" -eq 12 ]
	for id in 50 51 52 53 54 55 56 57; do
		rec $id | jq -e '.gz.error.code == "bad_path" and (.gz | has("file") | not)'
	done
	rec 59 | jq -e '.gz.error.code == "not_found"'
	rec 60 | jq -e '.gz.error.code == "no_file_path"'
	rec 61 | jq -e '.gz.error.code == "no_file_path"'
	cmp "$(rec 58 | jq -r .gz.file)" "$WWW/small.pdf"
	[ "$(ls -A "$SPOOL")" = "$(basename "$(rec 58 | jq -r .gz.file)")" ]
	[ "$(cat "$BATS_TEST_TMPDIR/outside/secret.pdf")" = secret ]
	# Through S3 the same keys are refused before any request.
	run -1 --separate-stderr fetch --source s3
	for id in 50 51 52 55 56; do
		rec $id | jq -e '.gz.error.code == "bad_path"'
	done
	s3_log | jq -e -s 'map(select((.key // "") | test("etc|outside|ok.pdf."))) | length == 0'
}

@test "odd bytes in a key are fetched under a safe spool name" {
	key=$'odd \x01 ~!*\x27();:@&=+$,?#[] ÿ.PDF'
	s3_put "$key" "$WWW/small.pdf"
	jq -nc --arg k "$key" '{id: 62, file_path: $k}' >"$IN"
	run -0 --separate-stderr fetch --source s3
	f=$(echo "$output" | jq -r .gz.file)
	cmp "$f" "$WWW/small.pdf"
	[[ "$(basename "$f")" =~ ^62-[0-9a-f]+-[0-9]+\.pdf$ ]]
}

@test "two records with one path get two spool files" {
	jq -nc '{id: 63, file_path: "big.pdf"}, {id: 63, file_path: "big.pdf"}' >"$IN"
	run -0 --separate-stderr fetch --source s3
	[ "$(echo "$output" | jq -r .gz.file | sort -u | wc -l)" -eq 2 ]
	[ "$(ls "$SPOOL" | wc -l)" -eq 2 ]
}

@test "--source dir copies from a local mirror and checks the MD5" {
	mirror="$BATS_TEST_TMPDIR/mirror"
	mkdir -p "$mirror/2024"
	cp "$WWW/big.pdf" "$mirror/2024/Diário Oficial.pdf"
	jq -nc --arg sum "$(md5 "$WWW/big.pdf")" '{id: 64, file_path: "2024/Diário Oficial.pdf", file_checksum: $sum}' >"$IN"
	run -0 --separate-stderr fetch --source "dir:$mirror"
	cmp "$(echo "$output" | jq -r .gz.file)" "$WWW/big.pdf"
	echo "$output" | jq -e '.gz.fetch.source == "dir" and (.gz.fetch | has("http_status") | not)'
}

@test "a stalled reader stops admissions; a record counts as out only once the reader has it" {
	mirror="$BATS_TEST_TMPDIR/mirror" fifo="$BATS_TEST_TMPDIR/fifo" err="$BATS_TEST_TMPDIR/err"
	mkdir -p "$mirror"
	# 1500 records of about 400 bytes: far more than a pipe holds.
	for i in $(seq 1 1500); do
		echo "$i" >"$mirror/$i.txt"
		printf '{"id":%d,"file_path":"%d.txt","pad":"%0200d"}\n' "$i" "$i" 0
	done >"$IN"
	mkfifo "$fifo"
	timeout 60 gz-fetch --spool "$SPOOL" --source "dir:$mirror" --progress 0.1 <"$IN" >"$fifo" 2>"$err" &
	pid=$!
	held_reader_open "$fifo"
	# Wait until nothing moves: two progress lines alike.
	wait_for progress_stalled "$err"
	line=$(grep 'progress: ' "$err" | tail -n 1)
	in=$(echo "$line" | sed 's/.*progress: \([0-9]*\) in,.*/\1/')
	out=$(progress_out "$err")
	# Admissions stopped; what waits for the reader is not out yet.
	[ "$in" -lt 1500 ] && [ "$out" -gt 0 ] && [ "$out" -lt "$in" ]
	held_reader_take "$BATS_TEST_TMPDIR/out"
	wait "$pid"
	assert_equal "$(jq -s 'map(select(.gz.file)) | length' "$BATS_TEST_TMPDIR/out")" 1500
	grep -q 'done: 1500 in, 1500 out, 0 failed' "$err"
}

@test "leftovers of dead runs are removed, a live run's are not" {
	mkdir -p "$SPOOL"
	: >"$SPOOL/.gz-fetch-dead01.lock"
	: >"$SPOOL/.gz-fetch-dead01-1.part"
	: >"$SPOOL/.gz-fetch-0beef-3.part"
	: >"$SPOOL/.gz-fetch-a11e.lock"
	: >"$SPOOL/.gz-fetch-a11e-2.part"
	: >"$SPOOL/4512-dead01-9.pdf"
	# This shell plays the live run: it holds that run's lock.
	exec {lockfd}<"$SPOOL/.gz-fetch-a11e.lock"
	flock -n "$lockfd"
	: >"$IN"
	run -0 --separate-stderr fetch --source url -v
	exec {lockfd}<&-
	[ "$(spool_files | sort | tr '\n' ' ')" = ".gz-fetch-a11e-2.part .gz-fetch-a11e.lock 4512-dead01-9.pdf " ]
	[[ "$stderr" == *"removed 3 files left by runs that died"* ]]
}

@test "an unusable spool folder exits 2 before reading a record" {
	: >"$BATS_TEST_TMPDIR/plainfile"
	echo "{\"id\": 70, \"file_url\": \"$GZ_HTTP_URL/small.pdf\"}" >"$IN"
	run -2 --separate-stderr timeout 60 gz-fetch --spool "$BATS_TEST_TMPDIR/plainfile/spool" --source url <"$IN"
	[ "$output" = "" ]
	[[ "$stderr" == *"spool"*"Not a directory"* ]]
	[ "$(http_reqs | jq length)" -eq 0 ]
}

@test "a full disk gives the record disk_full, leaves no half file, exits 3" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount a 1 MB tmpfs"
	tiny="$BATS_TEST_TMPDIR/tiny"
	mkdir -p "$tiny"
	mount -t tmpfs -o size=1m tmpfs "$tiny" || skip "cannot mount tmpfs here"
	echo "{\"id\": 71, \"file_url\": \"$GZ_HTTP_URL/huge.pdf\"}" >"$IN"
	run --separate-stderr timeout 60 gz-fetch --spool "$tiny/spool" --source url <"$IN"
	left=$(ls -A "$tiny/spool")
	umount "$tiny"
	[ "$status" -eq 3 ]
	echo "$output" | jq -e '.gz.error | .code == "disk_full" and .retryable'
	[ "$left" = "" ]
}

@test "--spool-limit holds new downloads until downstream deletes the files" {
	for i in 1 2 3; do
		echo "{\"id\": $i, \"file_url\": \"$GZ_HTTP_URL/many/$i.txt\"}"
	done >"$IN"
	out="$BATS_TEST_TMPDIR/out"
	timeout 60 gz-fetch --spool "$SPOOL" --source url --jobs 1 --spool-limit 1 <"$IN" >"$out" &
	pid=$!
	for n in 1 2 3; do
		wait_for bash -c "[ \$(wc -l <'$out') -ge $n ]"
		[ "$(wc -l <"$out")" -eq $n ]
		[ "$(ls "$SPOOL" | wc -l)" -eq 1 ]
		rm "$(tail -n1 "$out" | jq -r .gz.file)"
	done
	wait $pid
}
