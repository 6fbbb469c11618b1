# Secrets, end to end: failing gz-pipeline runs given a distinctive secret in
# every form the configuration takes (a DATABASE_URL URI with a
# percent-encoded password, a key=value --db, PGPASSWORD, POSTGRES_PASSWORD,
# STORAGE_ACCESS_SECRET, OPENSEARCH_PASSWORD, user:password@ in
# OPENSEARCH_HOST and in --metrics-push), then a search for the secret in
# everything the run left: its stderr, each stage's log and metrics file,
# and the ledger.  Every secret holds "GzTestSecret"; none may be found.
load helpers/common
load helpers/pg
load helpers/opensearch
load helpers/s3

OS_PASSWORD='os-right-password'

setup_file() {
	pg_start
	opensearch_start --user gz --password "$OS_PASSWORD"
	s3_start
	export OPENSEARCH_USER=gz OPENSEARCH_PASSWORD="$OS_PASSWORD"
}

teardown_file() {
	s3_stop
	opensearch_stop
	pg_stop
}

setup() {
	pg_reset
	opensearch_reset
	s3_reset
	BUCKET="$BATS_TEST_TMPDIR/bucket"
	RUN="$BATS_TEST_TMPDIR/run"
	mkdir -p "$BUCKET"
	export TMPDIR="$BATS_TEST_TMPDIR"
	pg_seed_files 3 "$BUCKET"
	# Every stage pushes its metrics to a Pushgateway that is not there,
	# through a URL with credentials: each push fails with a warning.
	local push
	push="http://gzpush:GzTestSecret-push@127.0.0.1:$(free_port)/"
	PIPELINE=(--run-id secret-run --log-dir "$RUN" --list-mode=unprocessed
		--index-flush-ms=200 --index-create-index --list-metrics-push="$push"
		--fetch-metrics-push="$push" --extract-metrics-push="$push"
		--index-metrics-push="$push")
}

# pipeline ARGS...: a run whose stderr goes to $BATS_TEST_TMPDIR/stderr.
pipeline() {
	timeout 120 gz-pipeline "${PIPELINE[@]}" "$@" 2>"$BATS_TEST_TMPDIR/stderr"
}

# no_secret_left: grep -r for the secrets over the run's stderr, logs,
# metrics and ledger; show what it found and fail if anything.
no_secret_left() {
	local files
	# the run did leave logs, metrics and a ledger to search (a stage
	# that stops on its configuration writes no metrics)
	for f in list.log fetch.log extract.log index.log list.prom \
	    fetch.prom extract.prom ledger.ndjson; do
		assert_file_exists "$RUN/$f"
	done
	files=$(cd "$RUN" && find . -type f | sort | tr '\n' ' ')
	run -1 grep -r GzTestSecret "$RUN" "$BATS_TEST_TMPDIR/stderr"
	echo "# grep -r GzTestSecret over $files and stderr: status $status, output '$output'" >&3
	assert_output ""
}

@test "a run whose database refuses the password leaves it in no log, ledger, metrics file or stderr" {
	local host
	host=$(jq -rn --arg h "$PGHOST" '$h | @uri')
	# the README's form (its Kubernetes Secret), percent-encoded here; the
	# other forms are set as well and must not show either
	DATABASE_URL="postgresql://gz_auth:GzTestSecret%2Ddb-url@$host:$PGPORT/gz" \
	PGPASSWORD=GzTestSecret-pgpassword POSTGRES_PASSWORD=GzTestSecret-postgres \
		run -2 pipeline --fetch-source="dir:$BUCKET" \
		--index-db="host=$PGHOST port=$PGPORT dbname=gz user=gz_auth password='GzTestSecret kw'"
	assert_equal "$(cat "$RUN/list.rc")" 2
	assert_equal "$(cat "$RUN/index.rc")" 2
	# the messages still say which database refused what
	grep -q "cannot connect to host=$PGHOST port=$PGPORT dbname=gz user=gz_auth: .*password authentication failed" "$RUN/list.log"
	grep -q "host=$PGHOST port=$PGPORT dbname=gz user=gz_auth" "$RUN/index.log"
	grep -q 'metrics push to http://gzpush:\*\*\*@127.0.0.1' "$RUN/list.log"
	no_secret_left
}

@test "a run whose storage refuses the secret leaves it in no log, ledger, metrics file or stderr" {
	STORAGE_ACCESS_KEY=GzTestSecret-key-id STORAGE_ACCESS_SECRET=GzTestSecret-storage \
		run -2 pipeline
	# the storage's answer stops gz-fetch (exit 2): every record carries
	# its retryable error; nothing was indexed
	jq -se 'length == 3 and all(.gz.error.stage == "gz-fetch")' "$RUN/ledger.ndjson"
	no_secret_left
}

@test "a run whose OpenSearch refuses the credentials (URL and OPENSEARCH_PASSWORD) leaves them nowhere" {
	OPENSEARCH_HOST="http://gzos:GzTestSecret-os-url@${GZ_OS_URL#http://}" \
	OPENSEARCH_PASSWORD=GzTestSecret-os-password \
		run -2 pipeline --fetch-source="dir:$BUCKET"
	# refused at gz-index's start (HEAD of the index): nothing read, sent
	# or marked, so the ledger is empty
	[ ! -s "$RUN/ledger.ndjson" ]
	grep -Eq 'refused the credentials|HTTP 401' "$RUN/index.log"
	no_secret_left
}

@test "a run whose .txt uploads are refused leaves the storage secret nowhere" {
	USE_RELATIVE_FILE_PATHS=true STORAGE_ACCESS_SECRET=GzTestSecret-upload run -2 pipeline \
		--fetch-source="dir:$BUCKET" --index-store-text
	# the refused uploads stop gz-index (exit 2); what it had read carries
	# a gz-index error, the rest is still unprocessed for the next run
	jq -se 'length >= 1 and all(.gz.error.stage == "gz-index")' "$RUN/ledger.ndjson"
	[ "$(pg_sql "SELECT count(*) FROM gazettes WHERE processed")" -eq 0 ]
	no_secret_left
}

@test "credentials in STORAGE_ENDPOINT or QUERIDO_DIARIO_FILES_ENDPOINT are refused, and not echoed" {
	run -2 --separate-stderr env \
		STORAGE_ENDPOINT="http://S3RVER:GzTestSecret-endpoint@${STORAGE_ENDPOINT#http://}" \
		gz-fetch </dev/null
	[[ "$stderr" == *"STORAGE_ENDPOINT http://S3RVER:***@127.0.0.1:"*"carries credentials"* ]]
	[[ "$stderr" != *GzTestSecret* ]]
	run -2 --separate-stderr env \
		QUERIDO_DIARIO_FILES_ENDPOINT="https://files:GzTestSecret-files@example.org/" \
		gz-index --output=/dev/null </dev/null
	[[ "$stderr" == *"QUERIDO_DIARIO_FILES_ENDPOINT https://files:***@example.org/ carries credentials"* ]]
	[[ "$stderr" != *GzTestSecret* ]]
	run -2 --separate-stderr gz-index --url "ftp://u:GzTestSecret-ftp@example.org/" </dev/null
	[[ "$stderr" == *"'ftp://u:***@example.org/' is neither http nor https"* ]]
	[[ "$stderr" != *GzTestSecret* ]]
}
