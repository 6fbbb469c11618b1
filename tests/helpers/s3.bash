# S3 for one bats file: s3rver 3.7.1 (from .deps/node, see install-s3rver.sh)
# behind tests/doubles/s3proxy.py, which verifies SigV4 as real S3 does and
# injects faults.  Tools under test talk to the proxy; tests seed and inspect
# objects directly in s3rver.  Needs common.bash (free_port, wait_for,
# GZ_PYTHON).
#
#   s3_start          start both; exports STORAGE_ENDPOINT (the proxy),
#                     STORAGE_REGION, STORAGE_BUCKET, STORAGE_ACCESS_KEY,
#                     STORAGE_ACCESS_SECRET, GZ_S3RVER_URL (s3rver itself,
#                     no signature check) and GZ_S3_DIR (data and logs)
#   s3_stop           stop both and wait for them (safe to call twice)
#   s3_put KEY FILE   store FILE under KEY, straight into s3rver
#   s3_get KEY OUT    fetch KEY from s3rver into OUT (fails on 404)
#   s3_path KEY       print the request path for KEY: /gz/<S3-encoded key>
#   s3_url KEY        print the proxy URL for KEY
#   s3_fault JSON     arm one fault object or an array of them on the proxy
#   s3_faults         print the faults still armed (JSON array)
#   s3_reset          disarm every fault and clear the proxy's request log
#   s3_log            print the proxy's request log, one JSON object a line

GZ_S3RVER_BIN=${GZ_S3RVER_BIN:-$GZ_ROOT/.deps/node/node_modules/.bin/s3rver}

s3_start() {
	if [ ! -x "$GZ_S3RVER_BIN" ]; then
		echo "s3_start: $GZ_S3RVER_BIN is missing; run tests/helpers/install-s3rver.sh" >&2
		return 1
	fi
	if [ -n "${BATS_FILE_TMPDIR:-}" ]; then
		GZ_S3_DIR="$BATS_FILE_TMPDIR/s3"
		mkdir -p "$GZ_S3_DIR"
	else
		GZ_S3_DIR=$(mktemp -d /tmp/gz-s3.XXXXXX)
	fi
	export GZ_S3_DIR
	mkdir -p "$GZ_S3_DIR/data" "$GZ_S3_DIR/spool"
	rm -f "$GZ_S3_DIR/proxy.port"

	# Port 0 and the "listening on" line: no race for a free port.
	# Every fd is redirected, fd 3 closed, or bats waits for the server.
	# s3rver 3.7 makes list continuation tokens with a cipher OpenSSL 3
	# only offers through the legacy provider.
	NODE_OPTIONS=--openssl-legacy-provider \
	"$GZ_S3RVER_BIN" -d "$GZ_S3_DIR/data" -a 127.0.0.1 -p 0 \
		--no-vhost-buckets --configure-bucket gz \
		</dev/null >"$GZ_S3_DIR/s3rver.log" 2>&1 3>&- &
	echo $! >"$GZ_S3_DIR/s3rver.pid"
	if ! wait_for grep -q 'S3rver listening on' "$GZ_S3_DIR/s3rver.log"; then
		cat "$GZ_S3_DIR/s3rver.log" >&2
		s3_stop
		return 1
	fi
	GZ_S3RVER_PORT=$(sed -n 's/^S3rver listening on .*:\([0-9][0-9]*\)$/\1/p' \
		"$GZ_S3_DIR/s3rver.log" | head -n 1)
	export GZ_S3RVER_PORT
	export GZ_S3RVER_URL="http://127.0.0.1:$GZ_S3RVER_PORT"

	"$GZ_PYTHON" "$GZ_ROOT/tests/doubles/s3proxy.py" --port 0 \
		--port-file "$GZ_S3_DIR/proxy.port" --upstream "$GZ_S3RVER_URL" \
		--region us-east-1 --access-key S3RVER --secret S3RVER \
		--spool "$GZ_S3_DIR/spool" --log "$GZ_S3_DIR/proxy.log" \
		</dev/null >"$GZ_S3_DIR/proxy.out" 2>&1 3>&- &
	echo $! >"$GZ_S3_DIR/proxy.pid"
	if ! wait_for test -s "$GZ_S3_DIR/proxy.port"; then
		cat "$GZ_S3_DIR/proxy.out" >&2
		s3_stop
		return 1
	fi
	GZ_S3_PROXY_PORT=$(cat "$GZ_S3_DIR/proxy.port")
	export GZ_S3_PROXY_PORT
	export STORAGE_ENDPOINT="http://127.0.0.1:$GZ_S3_PROXY_PORT"
	export STORAGE_REGION=us-east-1
	export STORAGE_BUCKET=gz
	export STORAGE_ACCESS_KEY=S3RVER
	export STORAGE_ACCESS_SECRET=S3RVER
	# s3rver creates the bucket just after it starts listening.
	wait_for curl -sf -I -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
		"$GZ_S3RVER_URL/gz" || { s3_stop; return 1; }
	wait_for curl -sf -o /dev/null "$STORAGE_ENDPOINT/_double/log" ||
		{ s3_stop; return 1; }
}

s3_stop() {
	[ -n "${GZ_S3_DIR:-}" ] || return 0
	gz_stop_pidfile "$GZ_S3_DIR/proxy.pid" s3proxy.py
	gz_stop_pidfile "$GZ_S3_DIR/s3rver.pid" s3rver
	return 0
}

# s3_path KEY: /gz/KEY with every byte but A-Z a-z 0-9 - _ . ~ / as %XX
# (uppercase), the form SigV4 signs (the SigV4 rules, "Encoding object keys").
s3_path() {
	"$GZ_PYTHON" -c 'import sys, urllib.parse
print("/" + sys.argv[2] + "/" + urllib.parse.quote(sys.argv[1], safe="/~"))' \
		"$1" "${STORAGE_BUCKET:-gz}"
}

s3_url() {
	echo "$STORAGE_ENDPOINT$(s3_path "$1")"
}

# s3rver takes unsigned requests; x-amz-content-sha256 marks them as S3
# API calls.
s3_put() {
	curl -sS -f -o /dev/null -X PUT -T "$2" \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
		"$GZ_S3RVER_URL$(s3_path "$1")"
}

s3_get() {
	curl -sS -f -o "$2" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
		"$GZ_S3RVER_URL$(s3_path "$1")"
}

s3_fault() {
	double_fault "$STORAGE_ENDPOINT" "$1"
}

s3_faults() {
	double_faults "$STORAGE_ENDPOINT"
}

s3_reset() {
	double_reset "$STORAGE_ENDPOINT"
}

s3_log() {
	double_log "$STORAGE_ENDPOINT"
}
