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

# spool_files: what the spool holds, run folders and dot files (parts,
# .stream) included, one path a line relative to it.
spool_files() {
	[ -d "$SPOOL" ] || return 0
	(cd "$SPOOL" && find . -mindepth 1 | sed 's|^\./||')
}

# spool_docs: the finished files in the spool's run folders, by name.
spool_docs() {
	find "$SPOOL" -mindepth 2 -type f ! -name '.*' -printf '%f\n'
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
	STORAGE_ACCESS_SECRET=wrong run -2 --separate-stderr fetch --source s3
	echo "$output" | jq -e '.gz.error.code == "storage_misconfigured" and
		.gz.error.retryable and .gz.error.attempts == 1 and
		(.gz.error.message | startswith("SignatureDoesNotMatch (HTTP 403)"))'
	[ "$(s3_gets | jq length)" -eq 1 ]
}

# misconfigured VAR=VALUE... -- WORDS: gz-fetch over 12 records with that
# setting exits 2; every record comes out with a retryable
# storage_misconfigured; only the first answers were asked for; stderr has
# one message, and it holds WORDS.
misconfigured() {
	local env=() words
	while [ "$1" != -- ]; do env+=("$1"); shift; done
	shift
	words=$1
	for i in $(seq 1 12); do echo "{\"id\": $i, \"file_path\": \"big.pdf\"}"; done >"$IN"
	T0=$(date +%s.%N)
	env "${env[@]}" timeout 60 gz-fetch --spool "$SPOOL" --source s3 --jobs 2 \
		<"$IN" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" && status=0 || status=$?
	[ "$status" -eq 2 ] || fail "exit $status, not 2: $(cat "$BATS_TEST_TMPDIR/err")"
	jq -s -e '[.[].id] | sort == [range(1; 13)]' "$BATS_TEST_TMPDIR/out"
	jq -s -e 'all(.gz.error | .code == "storage_misconfigured" and .retryable and
		.stage == "gz-fetch")' "$BATS_TEST_TMPDIR/out"
	jq -s -e 'map(select(.gz.error.message | startswith("not tried"))) | length >= 10' \
		"$BATS_TEST_TMPDIR/out"
	[ "$(s3_gets | jq length)" -le 2 ] || fail "asked $(s3_gets | jq length) times"
	run grep -v -e ': done: ' -e ': source: ' "$BATS_TEST_TMPDIR/err"
	[ "${#lines[@]}" -eq 1 ] || fail "not one message: $output"
	[[ "$output" == *"$words"* ]] || fail "'$words' not in: $output"
	[[ "$output" != *"S3RVER"* && "$output" != *"wrong-secret"* ]] || fail "a credential leaked: $output"
	[ "$(spool_files)" = "" ]
}

@test "a wrong key, secret, bucket or region stops at the first answer: exit 2, one message naming the variable, every record accounted for" {
	misconfigured STORAGE_ACCESS_KEY=NOBODY -- "InvalidAccessKeyId): fix STORAGE_ACCESS_KEY"
	misconfigured STORAGE_ACCESS_SECRET=wrong-secret -- "fix STORAGE_ACCESS_SECRET"
	misconfigured STORAGE_BUCKET=nosuchbucket -- 'no bucket "nosuchbucket"'
	misconfigured STORAGE_BUCKET=nosuchbucket -- "fix STORAGE_BUCKET"
	misconfigured STORAGE_REGION=sa-east-1 -- "set STORAGE_REGION=us-east-1"
	s3_fault '{"fault": "permanent_redirect", "region": "sa-east-1", "match": "big.pdf", "times": -1}'
	misconfigured -- "is in region sa-east-1, not us-east-1 (PermanentRedirect): set STORAGE_REGION=sa-east-1"
}

@test "AccessDenied on the first 10 requests with none accepted is a misconfiguration; after a success it is one object's" {
	s3_fault '{"fault": "access_denied", "match": "big.pdf", "times": -1}'
	{ for i in $(seq 1 14); do echo "{\"id\": $i, \"file_path\": \"big.pdf\"}"; done; } >"$IN"
	run -2 --separate-stderr fetch --source s3 --jobs 1
	[ "$(echo "$output" | wc -l)" -eq 14 ]
	[ "$(echo "$output" | jq -s 'map(select(.gz.error.code == "storage_misconfigured" and
		.gz.error.retryable)) | length')" -eq 5 ]
	[ "$(s3_gets | jq length)" -eq 10 ]
	[[ "$stderr" == *"the first 10 requests to bucket \"gz\""*"fix STORAGE_ACCESS_KEY"* ]]
	# the first nine were each object's AccessDenied until the tenth
	[ "$(echo "$output" | jq -s 'map(select(.gz.error.code == "AccessDenied")) | length')" -eq 9 ]
	[ "$(grep -c 'the first 10 requests' <<<"$stderr")" -eq 1 ]
	# one readable object first: the 403s that follow are each object's own
	s3_reset
	T0=$(date +%s.%N)
	s3_fault '{"fault": "access_denied", "match": "big.pdf", "times": -1}'
	{ echo '{"id": 0, "file_path": "a+b=c(1)@x.pdf"}'
	  for i in $(seq 1 12); do echo "{\"id\": $i, \"file_path\": \"big.pdf\"}"; done; } >"$IN"
	run -1 --separate-stderr fetch --source s3 --jobs 1
	rec 0 | jq -e '.gz.bytes > 0'
	[ "$(echo "$output" | jq -s 'map(select(.gz.error.code == "AccessDenied")) | length')" -eq 12 ]
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

@test "storage settings without STORAGE_BUCKET and without --source exit 2 naming both ways out" {
	echo "{\"id\": 1, \"file_url\": \"$GZ_HTTP_URL/small.pdf\", \"file_path\": \"big.pdf\"}" >"$IN"
	STORAGE_BUCKET= run -2 --separate-stderr fetch
	[ "$output" = "" ]
	[[ "$stderr" == *"STORAGE_ENDPOINT is set but STORAGE_BUCKET is not"* ]]
	[[ "$stderr" == *"set STORAGE_BUCKET"*"--source url"* ]]
	[ "$(http_reqs | jq length)" -eq 0 ]
	# saying --source url is enough
	STORAGE_BUCKET= run -0 --separate-stderr fetch --source url
	cmp "$(echo "$output" | jq -r .gz.file)" "$WWW/small.pdf"
}

@test "the first line of the log names the source and its address, never a credential" {
	echo "{\"id\": 1, \"file_url\": \"$GZ_HTTP_URL/small.pdf\", \"file_path\": \"big.pdf\"}" >"$IN"
	run -0 --separate-stderr fetch
	assert_equal "${stderr%%$'\n'*}" "gz-fetch: source: s3, bucket gz at $STORAGE_ENDPOINT (region us-east-1, path-style)"
	[[ "$stderr" != *S3RVER* ]]
	# credentials inside the endpoint are refused (exit 2), never echoed
	STORAGE_ENDPOINT="http://gz:hunter2@127.0.0.1:1" run -2 --separate-stderr \
		timeout 60 gz-fetch --spool "$SPOOL" --source s3 </dev/null
	[[ "$stderr" == *STORAGE_ENDPOINT* ]]
	[[ "$stderr" != *hunter2* ]]
	run -0 --separate-stderr env -u STORAGE_ENDPOINT -u STORAGE_REGION -u STORAGE_BUCKET \
		-u STORAGE_ACCESS_KEY -u STORAGE_ACCESS_SECRET \
		timeout 60 gz-fetch --spool "$SPOOL" <"$IN"
	assert_equal "${stderr%%$'\n'*}" "gz-fetch: source: url, each record's file_url (no STORAGE_* variable is set)"
	echo "$output" | jq -e '.gz.fetch.source == "url"'
	run -0 --separate-stderr fetch --source "dir:$WWW" </dev/null
	assert_equal "${stderr%%$'\n'*}" "gz-fetch: source: dir, file_path under $(realpath "$WWW")"
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
	[ "$(spool_docs)" = "$(basename "$(rec 29 | jq -r .gz.file)")" ]
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
	[ "$(spool_docs | wc -l)" -eq 196 ]
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

@test "a record whose gz member is malformed (gz or gz.error not an object, wrong kinds) becomes one bad_record line" {
	cp "$GZ_ROOT/tests/fixtures/malformed-gz.ndjson" "$IN"
	run -1 --separate-stderr fetch --source url
	assert_malformed_gz_output gz-fetch
	[[ "$stderr" != *"Assertion"* ]]
	[[ "$stderr" == *"id 1: bad_record: gz is a string, not an object"* ]]
	# nothing was fetched for them
	[ "$(ls "$SPOOL" | wc -l)" -eq 0 ]
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
	wait_for bash -c "find '$SPOOL' -name '*.part' | grep -q ."
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
	[ "$(spool_docs)" = "$(basename "$(rec 58 | jq -r .gz.file)")" ]
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
	[ "$(spool_docs | wc -l)" -eq 2 ]
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

@test "a run's folder goes when the run is over; a live run's folder is never swept" {
	mkdir -p "$SPOOL"/{run-dead01,run-a11e,run-b0b,new-c0c,keep-d0d}
	# a run killed with SIGKILL: nobody holds its folder or its stream
	: >"$SPOOL/run-dead01/.1.part"
	: >"$SPOOL/run-dead01/4512-dead01-9.pdf"
	printf 'pipe:[1]' >"$SPOOL/run-dead01/.stream"
	: >"$SPOOL/new-c0c/x"
	# a live gz-fetch: this shell holds the folder's lock
	: >"$SPOOL/run-a11e/4513-a11e-1.pdf"
	exec {lockfd}<"$SPOOL/run-a11e"
	flock -s -n "$lockfd"
	# gz-fetch has exited, but its records still wait in a pipe that a
	# reader (this shell) holds open: gz-extract is still to read them
	exec {pipefd}< <(exec sleep 60)
	writer=$!
	printf '%s' "$(readlink "/proc/$BASHPID/fd/$pipefd")" >"$SPOOL/run-b0b/.stream"
	: >"$SPOOL/run-b0b/4514-b0b-1.pdf"
	# a run whose records went to a file: its files wait for that file
	: >"$SPOOL/keep-d0d/4515-d0d-1.pdf"
	: >"$IN"
	run -0 --separate-stderr fetch --source url
	exec {lockfd}<&- {pipefd}<&-
	kill "$writer"
	[ "$(spool_files | sort | tr '\n' ' ')" = "keep-d0d keep-d0d/4515-d0d-1.pdf run-a11e run-a11e/4513-a11e-1.pdf run-b0b run-b0b/.stream run-b0b/4514-b0b-1.pdf " ]
	[[ "$stderr" == *"removed $SPOOL/run-dead01, left by a run that is over"* ]]
	[[ "$stderr" == *"removed $SPOOL/new-c0c, left by a run that is over"* ]]
	# with the lock and the pipe gone, the next run sweeps both
	run -0 --separate-stderr fetch --source url
	[ "$(spool_files | sort | tr '\n' ' ')" = "keep-d0d keep-d0d/4515-d0d-1.pdf " ]
}

@test "each run writes into a folder of its own (0700), removed when nothing waits in it" {
	mirror="$BATS_TEST_TMPDIR/mirror"
	mkdir -p "$mirror"
	echo one >"$mirror/1.txt"
	jq -nc '{id: 1, file_path: "1.txt"}, {id: 2, file_path: "none.txt"}' >"$IN"
	run -1 --separate-stderr fetch --source "dir:$mirror"
	f=$(rec 1 | jq -r .gz.file)
	[[ "$f" =~ ^$SPOOL/run-[0-9a-f]+/1-[0-9a-f]+-1\.txt$ ]]
	[ "$(stat -c %a "$(dirname "$f")")" = 700 ]
	[ "$(spool_docs)" = "$(basename "$f")" ]
	# its reader is gone without taking the file: the next run sweeps the
	# folder, and its own goes at its exit, with nothing in it
	echo '{"id": 2, "file_path": "none.txt"}' >"$IN"
	run -1 --separate-stderr fetch --source "dir:$mirror"
	[[ "$stderr" == *"removed $(dirname "$f"), left by a run that is over"* ]]
	[ "$(spool_files)" = "" ]
}

@test "a FIFO in a dir: mirror is bad_path at once and the records after it are fetched" {
	mirror="$BATS_TEST_TMPDIR/mirror"
	mkdir -p "$mirror"
	mkfifo "$mirror/pipe.pdf"
	echo after >"$mirror/after.txt"
	jq -nc '{id: 80, file_path: "pipe.pdf"}, {id: 81, file_path: "after.txt"}' >"$IN"
	run -1 --separate-stderr timeout 10 gz-fetch --spool "$SPOOL" --source "dir:$mirror" --jobs 1 <"$IN"
	rec 80 | jq -e '.gz.error | .code == "bad_path" and .retryable == false'
	[ "$(cat "$(rec 81 | jq -r .gz.file)")" = after ]
}

@test "a spool owned by another user, writable by others, or a link is refused with exit 2 and how to fix it" {
	echo "{\"id\": 72, \"file_url\": \"$GZ_HTTP_URL/small.pdf\"}" >"$IN"
	[ "$(id -u)" -eq 0 ] || skip "needs root to chown"
	mkdir -m 700 "$SPOOL"
	chown nobody "$SPOOL"
	run -2 --separate-stderr fetch --source url
	[ "$output" = "" ]
	[[ "$stderr" == *"spool $SPOOL is owned by uid $(id -u nobody), not by you (uid 0): remove it, or choose a folder of your own with --spool or \$GZ_SPOOL"* ]]
	chown root "$SPOOL"
	chmod 777 "$SPOOL"
	run -2 --separate-stderr fetch --source url
	[[ "$stderr" == *"spool $SPOOL is writable by group or others (mode 0777): run 'chmod 700 $SPOOL'"* ]]
	chmod 770 "$SPOOL"
	GZ_SPOOL="$SPOOL" run -2 --separate-stderr timeout 60 gz-fetch --source url <"$IN"
	[[ "$stderr" == *"writable by group or others (mode 0770)"* ]]
	# a folder above it that anyone may write to (and not sticky)
	mkdir -m 777 "$BATS_TEST_TMPDIR/open"
	run -2 --separate-stderr timeout 60 gz-fetch --spool "$BATS_TEST_TMPDIR/open/spool" --source url <"$IN"
	[[ "$stderr" == *"the folder above it, $BATS_TEST_TMPDIR/open, is writable by others (mode 0777)"* ]]
	assert_dir_not_exists "$BATS_TEST_TMPDIR/open/spool"
	# a link swapped in for the spool
	mkdir -m 700 "$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$BATS_TEST_TMPDIR/linked"
	run -2 --separate-stderr timeout 60 gz-fetch --spool "$BATS_TEST_TMPDIR/linked" --source url <"$IN"
	[[ "$stderr" == *"spool $BATS_TEST_TMPDIR/linked is a symbolic link"* ]]
	[ "$(http_reqs | jq length)" -eq 0 ]
}

@test "the default spool is \$GZ_SPOOL, else one per user under \$TMPDIR, made 0700" {
	mkdir -p "$BATS_TEST_TMPDIR/tmp"
	echo "{\"id\": 73, \"file_url\": \"$GZ_HTTP_URL/small.pdf\"}" >"$IN"
	TMPDIR="$BATS_TEST_TMPDIR/tmp" run -0 --separate-stderr timeout 60 gz-fetch --source url <"$IN"
	base="$BATS_TEST_TMPDIR/tmp/gz-spool-$(id -u)"
	[[ "$(rec 73 | jq -r .gz.file)" == "$base/run-"* ]]
	[ "$(stat -c '%a %u' "$base")" = "700 $(id -u)" ]
	GZ_SPOOL="$BATS_TEST_TMPDIR/env-spool" run -0 --separate-stderr timeout 60 gz-fetch --source url <"$IN"
	[[ "$(rec 73 | jq -r .gz.file)" == "$BATS_TEST_TMPDIR/env-spool/run-"* ]]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/env-spool")" = 700 ]
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
	left=$(find "$tiny/spool" -mindepth 1)
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
		[ "$(spool_docs | wc -l)" -eq 1 ]
		rm "$(tail -n1 "$out" | jq -r .gz.file)"
	done
	wait $pid
}
