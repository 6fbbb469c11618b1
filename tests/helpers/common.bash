# Loaded by every bats file: isolate the test from the developer's environment,
# put the freshly built tools first on PATH, and load the assertion libraries.
bats_require_minimum_version 1.5.0

GZ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GZ_ROOT
# GZ_BIN picks the build under test (release or sanitize; see tests/run-all.sh).
export PATH="${GZ_BIN:-$GZ_ROOT/bin}:$GZ_ROOT/bin:$PATH"
export LC_ALL=C.UTF-8

# A developer's own database, storage or index settings must never leak in.
# Only once per file: bats re-reads this for every test, after setup_file
# has exported the addresses of the services it started.
if [ -z "${GZ_TEST_ENV_CLEAN:-}" ]; then
export GZ_TEST_ENV_CLEAN=1
unset DATABASE_URL PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE \
    PGHOSTADDR PGOPTIONS PGSSLMODE PGPASSFILE \
    POSTGRES_HOST POSTGRES_PORT POSTGRES_DB POSTGRES_USER POSTGRES_PASSWORD \
    STORAGE_ENDPOINT STORAGE_REGION STORAGE_BUCKET STORAGE_ACCESS_KEY \
    STORAGE_ACCESS_SECRET OPENSEARCH_HOST OPENSEARCH_INDEX OPENSEARCH_USER \
    OPENSEARCH_PASSWORD EXECUTION_MODE GAZETTE_QUERY_PAGE_SIZE \
    MAX_GAZETTE_FILE_SIZE_MB QUERIDO_DIARIO_FILES_ENDPOINT USE_RELATIVE_FILE_PATHS \
    GZ_SPOOL GZ_PDF_ENGINE
fi

# Sanitizer builds exit 86 on a finding, so it can't pass for "some records failed".
export ASAN_OPTIONS="exitcode=86:detect_leaks=1:abort_on_error=0"
export LSAN_OPTIONS="exitcode=86"
export UBSAN_OPTIONS="exitcode=86:print_stacktrace=1:halt_on_error=1"

# Debian's python3 carries botocore; a pyenv python3 earlier on PATH does not.
GZ_PYTHON=/usr/bin/python3
export GZ_PYTHON

bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

# free_port: print a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	"$GZ_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for CMD...: retry CMD for up to 15 s; fail if it never succeeds.
wait_for() {
	local i
	for i in $(seq 1 150); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "wait_for: gave up on: $*" >&2
	return 1
}

# gz_alive PID: the process exists and is not a zombie.
gz_alive() {
	local state
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) ||
		return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# gz_stop_pidfile FILE PATTERN: TERM the process whose pid FILE holds (only
# if its command line still contains PATTERN, so a reused pid is safe), wait
# up to 5 s, then KILL; reap it if it is our child; remove FILE.
gz_stop_pidfile() {
	local file=$1 pattern=$2 pid i
	[ -f "$file" ] || return 0
	pid=$(cat "$file")
	rm -f "$file"
	[ -n "$pid" ] || return 0
	if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"; then
		kill -TERM "$pid" 2>/dev/null
		for i in $(seq 1 50); do
			gz_alive "$pid" || break
			sleep 0.1
		done
		gz_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null || true
	return 0
}

# The control paths every HTTP double of tests/doubles/faultkit.py answers,
# at base URL BASE: arm faults (JSON: one object or an array), list those
# still armed, disarm them and clear the request log, print the log.
double_fault() {
	local out
	out=$(curl -sS --fail-with-body -X POST -H 'Content-Type: application/json' \
		--data-binary "$2" "$1/_double/faults") || {
		echo "arming a fault at $1: $out" >&2
		return 1
	}
}

double_faults() {
	curl -sS -f "$1/_double/faults"
}

double_reset() {
	curl -sS -f -X POST "$1/_double/reset" >/dev/null
}

double_log() {
	curl -sS -f "$1/_double/log"
}

# A reader that stalls: start the tool in the background with its stdout on
# a FIFO (mkfifo), then held_reader_open FIFO opens it on fd 9 and reads
# nothing, so the tool's lines wait in the pipe as for a stuck downstream.
# held_reader_take FILE reads all that comes into FILE and closes fd 9.
held_reader_open() {
	exec 9<"$1"
}

held_reader_take() {
	cat <&9 >"$1"
	exec 9<&-
}

# progress_out FILE: the "N out" of the last progress line in FILE.
progress_out() {
	grep 'progress: ' "$1" | tail -n 1 | sed 's/.* \([0-9]*\) out,.*/\1/'
}

# progress_stalled FILE: the last two progress lines in FILE show the same
# counts (nothing moved between them).
progress_stalled() {
	[ "$(grep 'progress: ' "$1" | tail -n 2 | sed 's/, [0-9.]* rec\/s.*//' | uniq | wc -l)" -eq 1 ] &&
		[ "$(grep -c 'progress: ' "$1")" -ge 2 ]
}

# assert_malformed_gz_output STAGE: $output is STAGE's answer to
# tests/fixtures/malformed-gz.ndjson: one line per record, 18 bad_record
# errors from STAGE, and the well-formed error record (id 19) passed
# through as it came.
assert_malformed_gz_output() {
	echo "$output" | jq -se --arg stage "$1" --slurpfile in "$GZ_ROOT/tests/fixtures/malformed-gz.ndjson" '
		length == 19 and (map(.id) | sort) == [range(1; 20)] and
		(map(select(.id < 19)) | all(.gz.error | .code == "bad_record" and
			.stage == $stage and .retryable == false and (.message | type) == "string")) and
		(map(select(.id == 19))[0] | del(.source_text)) == $in[18]'
	echo "$output" | jq -se 'map(select(.id == 5))[0].gz.error.message == "gz.error is a string, not an object"'
}
