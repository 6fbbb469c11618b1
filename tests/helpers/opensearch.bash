# The OpenSearch double (tests/doubles/opensearch.py) for a bats file.
#
#   opensearch_start [ARGS]   start it; exports OPENSEARCH_HOST, GZ_OS_URL, GZ_OS_DIR
#   opensearch_stop           stop it (safe to call twice)
#   opensearch_reset          forget indices, faults and the request log
#   opensearch_fault JSON     queue faults (see the double's docstring)
#   opensearch_docs INDEX     every document of INDEX as NDJSON, real time
#   opensearch_log            the request log as a JSON array
#   opensearch_state          indices, counts, auto-created indices

opensearch_start() {
	local dir=${BATS_FILE_TMPDIR:-$(mktemp -d)}
	rm -f "$dir/os.port"
	"$GZ_PYTHON" "$GZ_ROOT/tests/doubles/opensearch.py" --port 0 \
		--port-file "$dir/os.port" "$@" </dev/null >"$dir/os.log" 2>&1 3>&- &
	# The pid lives in a file: a test that restarts the double runs in a
	# subshell, and teardown_file must still find the one it left running.
	echo $! >"$dir/os.pid"
	export GZ_OS_DIR=$dir
	wait_for test -s "$dir/os.port" || return 1
	GZ_OS_URL="http://127.0.0.1:$(cat "$dir/os.port")"
	export GZ_OS_URL OPENSEARCH_HOST="$GZ_OS_URL"
	wait_for curl -sf "$GZ_OS_URL/_double/state"
}

opensearch_stop() {
	[ -n "${GZ_OS_DIR:-}" ] || return 0
	gz_stop_pidfile "$GZ_OS_DIR/os.pid" opensearch.py
}

opensearch_reset() {
	curl -sf -X POST "$GZ_OS_URL/_double/reset" >/dev/null
}

opensearch_fault() {
	curl -sf -X POST -H 'Content-Type: application/json' --data-binary "$1" \
		"$GZ_OS_URL/_double/faults" >/dev/null
}

opensearch_docs() {
	curl -sf "$GZ_OS_URL/_double/docs/$1"
}

opensearch_log() {
	curl -sf "$GZ_OS_URL/_double/log"
}

opensearch_state() {
	curl -sf "$GZ_OS_URL/_double/state"
}
