#!/usr/bin/env bats
# The S3 side of the test harness: s3rver behind tests/doubles/s3proxy.py.
# Checks that the proxy verifies SigV4 as S3 does (botocore's signatures
# pass, curl 7.88's known mistakes fail), forwards bytes exactly, and that
# every injected fault does what it says.

load helpers/common
load helpers/s3

setup_file() {
	s3_start
}

teardown_file() {
	s3_stop
}

setup() {
	s3_reset
	printf 'hello gazette\n' >"$BATS_TEST_TMPDIR/small.txt"
	head -c 200000 /dev/urandom >"$BATS_TEST_TMPDIR/body.bin"
}

# curl 7.88 signing as gz-fetch does; the caller adds the payload hash.
SIGN=(--aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER)
UNSIGNED=(-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD')
EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# s3curl ARGS...: a signed request through the proxy; prints the status, the
# body goes to $BATS_TEST_TMPDIR/out.
s3curl() {
	curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' --max-time 20 \
		"${SIGN[@]}" "$@"
}

@test "the proxy and s3rver are running and the exported settings point at them" {
	assert_equal "$STORAGE_REGION" us-east-1
	assert_equal "$STORAGE_BUCKET" gz
	assert_equal "$STORAGE_ACCESS_KEY" S3RVER
	assert_equal "$STORAGE_ACCESS_SECRET" S3RVER
	assert_regex "$STORAGE_ENDPOINT" '^http://127\.0\.0\.1:[0-9]+$'
	assert_regex "$GZ_S3RVER_URL" '^http://127\.0\.0\.1:[0-9]+$'
	[ "$STORAGE_ENDPOINT" != "$GZ_S3RVER_URL" ]
	run s3_path '2024/Diário Oficial.pdf'
	assert_output /gz/2024/Di%C3%A1rio%20Oficial.pdf
	run s3_path 'a+b=c(1)@x.pdf'
	assert_output /gz/a%2Bb%3Dc%281%29%40x.pdf
}

@test "a correctly signed GET of a key with an accent and a space succeeds" {
	s3_put '2024/Diário Oficial.pdf' "$BATS_TEST_TMPDIR/small.txt"
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/2024/Di%C3%A1rio%20Oficial.pdf"
	assert_output 200
	cmp "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/small.txt"
	run s3curl -H "x-amz-content-sha256: $EMPTY_SHA" \
		"$STORAGE_ENDPOINT/gz/2024/Di%C3%A1rio%20Oficial.pdf"
	assert_output 200
}

@test "a correctly signed GET of keys with + = ( ) @ and % succeeds" {
	s3_put 'a+b=c(1)@x.pdf' "$BATS_TEST_TMPDIR/small.txt"
	s3_put '100% sure.pdf' "$BATS_TEST_TMPDIR/body.bin"
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/a%2Bb%3Dc%281%29%40x.pdf"
	assert_output 200
	cmp "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/small.txt"
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/100%25%20sure.pdf"
	assert_output 200
	cmp "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/body.bin"
}

@test "a signed Range GET answers 206 with Content-Range and the exact bytes" {
	s3_put range.bin "$BATS_TEST_TMPDIR/body.bin"
	run curl -sS -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/out" \
		-w '%{http_code}' "${SIGN[@]}" "${UNSIGNED[@]}" \
		-H 'Range: bytes=1000-1999' "$STORAGE_ENDPOINT/gz/range.bin"
	assert_output 206
	grep -qi '^Content-Range: bytes 1000-1999/200000' "$BATS_TEST_TMPDIR/h"
	cmp "$BATS_TEST_TMPDIR/out" <(tail -c +1001 "$BATS_TEST_TMPDIR/body.bin" | head -c 1000)
	run s3curl "${UNSIGNED[@]}" -H 'Range: bytes=500000-' "$STORAGE_ENDPOINT/gz/range.bin"
	assert_output 416
	grep -q '<Code>InvalidRange</Code>' "$BATS_TEST_TMPDIR/out"
}

@test "a request signed with a wrong secret is rejected 403 SignatureDoesNotMatch with the canonical request" {
	s3_put wrong.txt "$BATS_TEST_TMPDIR/small.txt"
	run curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' \
		--aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:not-the-secret \
		"${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/wrong.txt"
	assert_output 403
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output --partial '<Code>SignatureDoesNotMatch</Code>'
	assert_output --partial '<CanonicalRequest>GET
/gz/wrong.txt
'
	assert_output --partial '<StringToSign>AWS4-HMAC-SHA256'
	# s3rver alone would have served it: the proxy is what checks.
	run curl -sS -o /dev/null -w '%{http_code}' \
		--aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:not-the-secret \
		"${UNSIGNED[@]}" "$GZ_S3RVER_URL/gz/wrong.txt"
	assert_output 200
}

@test "an unsigned request is rejected 403 AccessDenied" {
	s3_put open.txt "$BATS_TEST_TMPDIR/small.txt"
	run curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' \
		"${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/open.txt"
	assert_output 403
	grep -q '<Code>AccessDenied</Code>' "$BATS_TEST_TMPDIR/out"
	run curl -sS -o /dev/null -w '%{http_code}' "$GZ_S3RVER_URL/gz/open.txt"
	assert_output 200
}

@test "a wrong secret, a missing bucket, a wrong region and a bucket elsewhere answer as S3 does" {
	run curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' \
		--aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:wrong \
		"${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/x.txt"
	assert_output 403
	grep -q '<Code>SignatureDoesNotMatch</Code>' "$BATS_TEST_TMPDIR/out"
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/nosuchbucket/x.txt"
	assert_output 404
	grep -q '<Code>NoSuchBucket</Code>' "$BATS_TEST_TMPDIR/out"
	# the region: named in the body and in x-amz-bucket-region
	run curl -sS -D "$BATS_TEST_TMPDIR/headers" -o "$BATS_TEST_TMPDIR/out" \
		-w '%{http_code}' --aws-sigv4 "aws:amz:sa-east-1:s3" --user S3RVER:S3RVER \
		"${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/x.txt"
	assert_output 400
	grep -q "<Code>AuthorizationHeaderMalformed</Code>" "$BATS_TEST_TMPDIR/out"
	grep -q "the region 'sa-east-1' is wrong; expecting 'us-east-1'" "$BATS_TEST_TMPDIR/out"
	grep -q '<Region>us-east-1</Region>' "$BATS_TEST_TMPDIR/out"
	grep -qi '^x-amz-bucket-region: us-east-1' "$BATS_TEST_TMPDIR/headers"
	# a bucket in another region than the endpoint's: 301, not followed
	s3_fault '{"fault": "permanent_redirect", "region": "sa-east-1", "match": "moved.txt"}'
	run curl -sS -D "$BATS_TEST_TMPDIR/headers" -o "$BATS_TEST_TMPDIR/out" \
		-w '%{http_code}' "${SIGN[@]}" "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/moved.txt"
	assert_output 301
	grep -q '<Code>PermanentRedirect</Code>' "$BATS_TEST_TMPDIR/out"
	grep -q '<Endpoint>gz.s3.sa-east-1.amazonaws.com</Endpoint>' "$BATS_TEST_TMPDIR/out"
	grep -qi '^x-amz-bucket-region: sa-east-1' "$BATS_TEST_TMPDIR/headers"
}

@test "a signed request without x-amz-content-sha256 is rejected 400 InvalidRequest" {
	run s3curl "$STORAGE_ENDPOINT/gz/anything.txt"
	assert_output 400
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output --partial '<Code>InvalidRequest</Code>'
	assert_output --partial 'Missing required header for this request: x-amz-content-sha256'
}

@test "an unknown access key, a wrong region and a skewed clock are each rejected" {
	run curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' \
		--aws-sigv4 "aws:amz:us-east-1:s3" --user NOBODY:S3RVER \
		"${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/x.txt"
	assert_output 403
	grep -q '<Code>InvalidAccessKeyId</Code>' "$BATS_TEST_TMPDIR/out"
	run curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' \
		--aws-sigv4 "aws:amz:eu-west-1:s3" --user S3RVER:S3RVER \
		"${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/x.txt"
	assert_output 400
	grep -q '<Code>AuthorizationHeaderMalformed</Code>' "$BATS_TEST_TMPDIR/out"
	run s3curl "${UNSIGNED[@]}" -H 'X-Amz-Date: 20200101T000000Z' \
		"$STORAGE_ENDPOINT/gz/x.txt"
	assert_output 403
	grep -q '<Code>RequestTimeTooSkewed</Code>' "$BATS_TEST_TMPDIR/out"
	# curl 7.88 with "aws4" instead of "aws" signs AWS44-HMAC-SHA256.
	run curl -sS -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' \
		--aws-sigv4 "aws4:amz:us-east-1:s3" --user S3RVER:S3RVER \
		"${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/x.txt"
	assert_output 400
	grep -q '<Code>InvalidArgument</Code>' "$BATS_TEST_TMPDIR/out"
}

@test "a PUT whose x-amz-content-sha256 is not the body's hash is rejected 400 XAmzContentSHA256Mismatch and stores nothing" {
	run s3curl -T "$BATS_TEST_TMPDIR/body.bin" -H "x-amz-content-sha256: $EMPTY_SHA" \
		"$STORAGE_ENDPOINT/gz/mismatch.bin"
	assert_output 400
	grep -q '<Code>XAmzContentSHA256Mismatch</Code>' "$BATS_TEST_TMPDIR/out"
	run s3_get mismatch.bin "$BATS_TEST_TMPDIR/got"
	assert_failure
}

@test "a signed PUT then GET round-trips the bytes exactly" {
	local sha
	head -c 3000000 /dev/urandom >"$BATS_TEST_TMPDIR/big.bin"
	sha=$(sha256sum "$BATS_TEST_TMPDIR/big.bin" | cut -d' ' -f1)
	run s3curl -T "$BATS_TEST_TMPDIR/big.bin" -H "x-amz-content-sha256: $sha" \
		"$STORAGE_ENDPOINT/gz/2024/Di%C3%A1rio%20grande.bin"
	assert_output 200
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/2024/Di%C3%A1rio%20grande.bin"
	assert_output 200
	cmp "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/big.bin"
	s3_get '2024/Diário grande.bin' "$BATS_TEST_TMPDIR/direct"
	cmp "$BATS_TEST_TMPDIR/direct" "$BATS_TEST_TMPDIR/big.bin"
	# UNSIGNED-PAYLOAD is accepted for PUT too.
	run s3curl -T "$BATS_TEST_TMPDIR/small.txt" "${UNSIGNED[@]}" \
		"$STORAGE_ENDPOINT/gz/unsigned-payload.txt"
	assert_output 200
}

@test "a PUT without Content-Length is rejected 411 MissingContentLength" {
	local code
	code=$(printf hi | s3curl "${UNSIGNED[@]}" -T - "$STORAGE_ENDPOINT/gz/chunked.txt")
	assert_equal "$code" 411
	grep -q '<Code>MissingContentLength</Code>' "$BATS_TEST_TMPDIR/out"
}

@test "a wrong Content-MD5 is rejected 400 BadDigest" {
	run s3curl -T "$BATS_TEST_TMPDIR/small.txt" "${UNSIGNED[@]}" \
		-H 'Content-MD5: AAAAAAAAAAAAAAAAAAAAAA==' "$STORAGE_ENDPOINT/gz/md5.txt"
	assert_output 400
	grep -q '<Code>BadDigest</Code>' "$BATS_TEST_TMPDIR/out"
}

@test "botocore's own add_auth signatures for awkward keys pass" {
	run "$GZ_PYTHON" - "$STORAGE_ENDPOINT" <<-'PY'
	import hashlib, http.client, sys, urllib.parse
	from botocore.auth import S3SigV4Auth
	from botocore.awsrequest import AWSRequest
	from botocore.credentials import Credentials
	endpoint = sys.argv[1]
	host = urllib.parse.urlsplit(endpoint).netloc
	auth = S3SigV4Auth(Credentials("S3RVER", "S3RVER"), "s3", "us-east-1")
	def send(method, path, body=b"", headers=None):
	    req = AWSRequest(method=method, url=endpoint + path, data=body,
	                     headers=headers or {})
	    auth.add_auth(req)
	    conn = http.client.HTTPConnection(host, timeout=20)
	    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
	    conn.putheader("Host", host)
	    for k, v in req.headers.items():
	        conn.putheader(k, v)
	    conn.putheader("Content-Length", str(len(body)))
	    conn.endheaders(body)
	    r = conn.getresponse()
	    return r.status, r.read()
	keys = ["2024/Diário Oficial.pdf", "a+b=c(1)@x.pdf", "100% sure.pdf",
	        "sp/3550308/2024-01-02.pdf", "tilde~star*quote'.pdf",
	        "ação/çü ñ/日本.txt", "semi;colon,comma&amp=eq?.pdf"]
	for key in keys:
	    path = "/gz/" + urllib.parse.quote(key, safe="/~")
	    body = ("body of " + key).encode()
	    s, b = send("PUT", path, body, {"x-amz-meta-a": "1", "x-amz-meta-a-b": "2",
	                                     "Content-Type": "application/pdf"})
	    assert s == 200, (key, "PUT", s, b)
	    s, b = send("GET", path)
	    assert s == 200 and b == body, (key, "GET", s, b)
	    s, b = send("HEAD", path)
	    assert s == 200 and b == b"", (key, "HEAD", s, b)
	    print("ok", key)
	s, b = send("GET", "/gz?list-type=2&max-keys=100&prefix=" +
	            urllib.parse.quote("2024/", safe=""))
	assert s == 200 and b"Di\xc3\xa1rio Oficial.pdf" in b, (s, b)
	s, b = send("DELETE", "/gz/" + urllib.parse.quote(keys[1], safe="/~"))
	assert s == 204, (s, b)
	print("all ok")
	PY
	assert_success
	assert_line "all ok"
	run s3_get 'ação/çü ñ/日本.txt' "$BATS_TEST_TMPDIR/got"
	assert_success
	assert_equal "$(cat "$BATS_TEST_TMPDIR/got")" "body of ação/çü ñ/日本.txt"
}

@test "curl 7.88's signed-but-unsent Expect: header is rejected" {
	run s3curl -H 'Expect:' -T "$BATS_TEST_TMPDIR/small.txt" "${UNSIGNED[@]}" \
		"$STORAGE_ENDPOINT/gz/expect.txt"
	assert_output 403
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output --partial '<Code>SignatureDoesNotMatch</Code>'
	assert_output --partial 'expect'
	run s3curl -T "$BATS_TEST_TMPDIR/small.txt" "${UNSIGNED[@]}" \
		"$STORAGE_ENDPOINT/gz/expect.txt"
	assert_output 200
}

@test "curl 7.88's misordered x-amz-meta-a / x-amz-meta-a-b headers are rejected" {
	run s3curl -T "$BATS_TEST_TMPDIR/small.txt" "${UNSIGNED[@]}" \
		-H 'x-amz-meta-a: 1' -H 'x-amz-meta-a-b: 2' "$STORAGE_ENDPOINT/gz/meta.txt"
	assert_output 403
	grep -q '<Code>SignatureDoesNotMatch</Code>' "$BATS_TEST_TMPDIR/out"
	run s3curl -T "$BATS_TEST_TMPDIR/small.txt" "${UNSIGNED[@]}" \
		-H 'x-amz-meta-a: 1' -H 'x-amz-meta-b: 2' "$STORAGE_ENDPOINT/gz/meta.txt"
	assert_output 200
}

@test "unsorted, unencoded or valueless query parameters are rejected; the sorted encoded form passes" {
	local q
	for q in 'prefix=2024%2F&list-type=2' 'list-type=2&prefix=2024/' 'list-type=2&prefix'; do
		run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz?$q"
		assert_output 403
	done
	for q in 'list-type=2&prefix=2024%2F' 'list-type=2&prefix='; do
		run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz?$q"
		assert_output 200
		grep -q '<ListBucketResult' "$BATS_TEST_TMPDIR/out"
	done
}

@test "raw UTF-8, a literal + or a literal space in the path do not pass" {
	s3_put '2024/Diário Oficial.pdf' "$BATS_TEST_TMPDIR/small.txt"
	s3_put 'a+b.txt' "$BATS_TEST_TMPDIR/small.txt"
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/2024/Diário%20Oficial.pdf"
	assert_output 403
	grep -q '<Code>SignatureDoesNotMatch</Code>' "$BATS_TEST_TMPDIR/out"
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/a+b.txt"
	assert_output 403
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/a%2Bb.txt"
	assert_output 200
	run -3 curl -sS -o /dev/null "${SIGN[@]}" "${UNSIGNED[@]}" \
		"$STORAGE_ENDPOINT/gz/2024/Diário Oficial.pdf"
}

@test "503 SlowDown fires only for matching keys and counts down" {
	s3_put 2024/a.pdf "$BATS_TEST_TMPDIR/small.txt"
	s3_put 2025/b.pdf "$BATS_TEST_TMPDIR/small.txt"
	s3_fault '{"fault": "slowdown", "match": "2024/*", "times": 2}'
	run curl -sS -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' \
		"${SIGN[@]}" "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/2024/a.pdf"
	assert_output 503
	grep -q '<Code>SlowDown</Code>' "$BATS_TEST_TMPDIR/out"
	run grep -ci '^Retry-After' "$BATS_TEST_TMPDIR/h"
	assert_output 0
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/2025/b.pdf"
	assert_output 200
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/2024/a.pdf"
	assert_output 503
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/2024/a.pdf"
	assert_output 200
	run s3_faults
	assert_output '[]'
	run jq -r 'select(.fault) | .key' <<<"$(s3_log)"
	assert_output "2024/a.pdf
2024/a.pdf"
}

@test "503 SlowDown with Retry-After, 500 InternalError and 400 RequestTimeout answer as S3 does" {
	s3_put f.pdf "$BATS_TEST_TMPDIR/small.txt"
	s3_fault '[{"fault": "slowdown", "retry_after": 2},
		{"fault": "internal_error"}, {"fault": "request_timeout"},
		{"fault": "error", "status": 503, "code": "ServiceUnavailable"}]'
	run curl -sS -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/out" -w '%{http_code}' \
		"${SIGN[@]}" "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/f.pdf"
	assert_output 503
	grep -qi '^Retry-After: 2' "$BATS_TEST_TMPDIR/h"
	grep -qi '^Content-Type: application/xml' "$BATS_TEST_TMPDIR/h"
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/f.pdf"
	assert_output 500
	grep -q '<Code>InternalError</Code>' "$BATS_TEST_TMPDIR/out"
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/f.pdf"
	assert_output 400
	grep -q '<Code>RequestTimeout</Code>' "$BATS_TEST_TMPDIR/out"
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/f.pdf"
	assert_output 503
	grep -q '<Code>ServiceUnavailable</Code>' "$BATS_TEST_TMPDIR/out"
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/f.pdf"
	assert_output 200
}

@test "a fault with times -1 fires forever, only for its methods, until reset" {
	s3_put forever.pdf "$BATS_TEST_TMPDIR/small.txt"
	s3_fault '{"fault": "internal_error", "prefix": "forever", "methods": ["GET"], "times": -1}'
	local i
	for i in 1 2 3 4; do
		run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/forever.pdf"
		assert_output 500
	done
	run s3curl -I "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/forever.pdf"
	assert_output 200
	run s3_faults
	assert_output --partial '"times": -1'
	s3_reset
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/forever.pdf"
	assert_output 200
}

@test "a missing key answers 404 NoSuchKey, or 403 AccessDenied under missing_as_403; HEAD never has a body" {
	s3_put present.pdf "$BATS_TEST_TMPDIR/small.txt"
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/absent.pdf"
	assert_output 404
	grep -q '<Code>NoSuchKey</Code>' "$BATS_TEST_TMPDIR/out"
	s3_fault '{"fault": "missing_as_403", "times": -1}'
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/absent.pdf"
	assert_output 403
	grep -q '<Code>AccessDenied</Code>' "$BATS_TEST_TMPDIR/out"
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/present.pdf"
	assert_output 200
	run s3curl -I "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/absent.pdf"
	assert_output 403
	s3_reset
	run s3curl -I "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/absent.pdf"
	assert_output 404
	# -I writes the headers to out: nothing may follow them.
	run bash -c "tail -c 4 '$BATS_TEST_TMPDIR/out' | od -An -c | tr -d ' '"
	assert_output '\r\n\r\n'
}

@test "a truncated GET body makes curl exit 18" {
	s3_put trunc.bin "$BATS_TEST_TMPDIR/body.bin"
	s3_fault '{"fault": "truncate", "match": "trunc.bin", "bytes": 5000}'
	run -18 curl -sS -o "$BATS_TEST_TMPDIR/got" "${SIGN[@]}" "${UNSIGNED[@]}" \
		"$STORAGE_ENDPOINT/gz/trunc.bin"
	assert_equal "$(stat -c %s "$BATS_TEST_TMPDIR/got")" 5000
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/trunc.bin"
	assert_output 200
}

@test "a reset mid-body makes curl exit 56" {
	s3_put reset.bin "$BATS_TEST_TMPDIR/body.bin"
	s3_fault '{"fault": "reset", "match": "reset.bin", "bytes": 5000}'
	run -56 curl -sS -o /dev/null "${SIGN[@]}" "${UNSIGNED[@]}" \
		"$STORAGE_ENDPOINT/gz/reset.bin"
}

@test "a reset during a PUT fails the upload and stores nothing" {
	s3_fault '{"fault": "reset", "methods": ["PUT"], "bytes": 50000}'
	run curl -sS -o /dev/null "${SIGN[@]}" "${UNSIGNED[@]}" \
		-T "$BATS_TEST_TMPDIR/body.bin" "$STORAGE_ENDPOINT/gz/upload.bin"
	assert [ "$status" -eq 55 -o "$status" -eq 56 ]
	run s3_get upload.bin "$BATS_TEST_TMPDIR/got"
	assert_failure
}

@test "a slow first byte trips curl's --max-time and passes with time to spare" {
	s3_put slow.txt "$BATS_TEST_TMPDIR/small.txt"
	s3_fault '{"fault": "delay", "match": "slow.txt", "ms": 2000, "times": 2}'
	run -28 curl -sS -o /dev/null --max-time 1 "${SIGN[@]}" "${UNSIGNED[@]}" \
		"$STORAGE_ENDPOINT/gz/slow.txt"
	run s3curl "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/slow.txt"
	assert_output 200
}

@test "a slow trickle trips curl's low-speed limit" {
	s3_put trickle.bin "$BATS_TEST_TMPDIR/body.bin"
	s3_fault '{"fault": "trickle", "match": "trickle.bin", "rate": 200}'
	run -28 curl -sS -o /dev/null --speed-limit 10000 --speed-time 1 \
		--max-time 10 "${SIGN[@]}" "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/trickle.bin"
}

@test "an etag fault serves a multipart-style ETag that If-Match then honours" {
	s3_put etag.txt "$BATS_TEST_TMPDIR/small.txt"
	local md5
	md5=$(md5sum "$BATS_TEST_TMPDIR/small.txt" | cut -d' ' -f1)
	s3_fault '{"fault": "etag", "match": "etag.txt", "times": -1}'
	run curl -sS -D "$BATS_TEST_TMPDIR/h" -o /dev/null -w '%{http_code}' \
		"${SIGN[@]}" "${UNSIGNED[@]}" "$STORAGE_ENDPOINT/gz/etag.txt"
	assert_output 200
	grep -qi "^ETag: \"$md5-3\"" "$BATS_TEST_TMPDIR/h"
	run s3curl "${UNSIGNED[@]}" -H "If-Match: \"$md5-3\"" -H 'Range: bytes=0-4' \
		"$STORAGE_ENDPOINT/gz/etag.txt"
	assert_output 206
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" hello
	run s3curl "${UNSIGNED[@]}" -H "If-Match: \"$md5\"" "$STORAGE_ENDPOINT/gz/etag.txt"
	assert_output 412
	grep -q '<Code>PreconditionFailed</Code>' "$BATS_TEST_TMPDIR/out"
	s3_fault '{"fault": "etag", "match": "other.txt", "etag": "\"not-an-md5\""}'
	s3_put other.txt "$BATS_TEST_TMPDIR/small.txt"
	run curl -sS -D "$BATS_TEST_TMPDIR/h" -o /dev/null "${SIGN[@]}" "${UNSIGNED[@]}" \
		"$STORAGE_ENDPOINT/gz/other.txt"
	grep -qi '^ETag: "not-an-md5"' "$BATS_TEST_TMPDIR/h"
}

@test "a close fault drops the connection without an answer (curl 52)" {
	s3_put close.txt "$BATS_TEST_TMPDIR/small.txt"
	s3_fault '{"fault": "close", "match": "close.txt"}'
	run -52 curl -sS -o /dev/null "${SIGN[@]}" "${UNSIGNED[@]}" \
		"$STORAGE_ENDPOINT/gz/close.txt"
}

@test "an unknown fault is refused and arms nothing" {
	run s3_fault '{"fault": "explode"}'
	assert_failure
	assert_output --partial 'unknown fault'
	run s3_faults
	assert_output '[]'
}

@test "the request log records method, key, range, status and fault" {
	s3_put log.txt "$BATS_TEST_TMPDIR/small.txt"
	s3_fault '{"fault": "internal_error", "match": "log.txt"}'
	run s3curl "${UNSIGNED[@]}" -H 'Range: bytes=0-3' "$STORAGE_ENDPOINT/gz/log.txt"
	run s3curl "${UNSIGNED[@]}" -H 'Range: bytes=0-3' "$STORAGE_ENDPOINT/gz/log.txt"
	run jq -c '[.method, .key, .range, .status, .fault]' <<<"$(s3_log)"
	assert_success
	assert_line --index 0 '["GET","log.txt","bytes=0-3",500,"internal_error"]'
	assert_line --index 1 '["GET","log.txt","bytes=0-3",206,null]'
	[ -s "$GZ_S3_DIR/proxy.log" ]
}
