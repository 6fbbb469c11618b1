# A plain HTTP file server with scripted faults (tests/doubles/httpfaults.py)
# for gz-fetch's file_url downloads.  Needs common.bash (wait_for, GZ_PYTHON).
#
#   http_start DIR    serve DIR; exports GZ_HTTP_URL (http://127.0.0.1:PORT,
#                     no trailing slash) and GZ_HTTP_DIR (its logs)
#   http_stop         stop it and wait for it (safe to call twice)
#   http_fault JSON   arm one fault object or an array of them
#   http_faults       print the faults still armed (JSON array)
#   http_reset        disarm every fault and clear the request log
#   http_log          print the request log, one JSON object a line

http_start() {
	local root=$1
	if [ -z "$root" ] || [ ! -d "$root" ]; then
		echo "http_start: no such folder: $root" >&2
		return 1
	fi
	if [ -n "${BATS_FILE_TMPDIR:-}" ]; then
		GZ_HTTP_DIR="$BATS_FILE_TMPDIR/http"
		mkdir -p "$GZ_HTTP_DIR"
	else
		GZ_HTTP_DIR=$(mktemp -d /tmp/gz-http.XXXXXX)
	fi
	export GZ_HTTP_DIR
	rm -f "$GZ_HTTP_DIR/port"
	"$GZ_PYTHON" "$GZ_ROOT/tests/doubles/httpfaults.py" --port 0 \
		--port-file "$GZ_HTTP_DIR/port" --root "$root" \
		--log "$GZ_HTTP_DIR/requests.log" \
		</dev/null >"$GZ_HTTP_DIR/server.out" 2>&1 3>&- &
	echo $! >"$GZ_HTTP_DIR/pid"
	if ! wait_for test -s "$GZ_HTTP_DIR/port"; then
		cat "$GZ_HTTP_DIR/server.out" >&2
		http_stop
		return 1
	fi
	GZ_HTTP_URL="http://127.0.0.1:$(cat "$GZ_HTTP_DIR/port")"
	export GZ_HTTP_URL
	wait_for curl -sf -o /dev/null "$GZ_HTTP_URL/_double/log" ||
		{ http_stop; return 1; }
}

http_stop() {
	[ -n "${GZ_HTTP_DIR:-}" ] || return 0
	gz_stop_pidfile "$GZ_HTTP_DIR/pid" httpfaults.py
}

http_fault() {
	double_fault "$GZ_HTTP_URL" "$1"
}

http_faults() {
	double_faults "$GZ_HTTP_URL"
}

http_reset() {
	double_reset "$GZ_HTTP_URL"
}

http_log() {
	double_log "$GZ_HTTP_URL"
}
