# Fault suite, index side: 429 storms and a full OpenSearch outage mid-run,
# in the whole pipeline over the corpus; then a clean rerun.  Invariants:
# see invariants.bash and s3.bats.
load ../helpers/common
load ../helpers/pg
load ../helpers/s3
load ../helpers/opensearch
load corpus
load invariants

setup_file() { fault_setup_file; }
teardown_file() { fault_teardown_file; }
setup() { fault_setup; }
teardown() { fault_teardown; }

# checksums ID...: the document _ids (file_checksum) of those gazettes, as
# a JSON array.
checksums() {
	pg_sql "SELECT json_agg(file_checksum) FROM gazettes WHERE id IN ($(echo "$@" | tr ' ' ','))"
}

@test "OpenSearch 429 storm: [1] processed => one document with its text [2] none marked without it [3] the ledger lists each listed gazette once [4] the rerun leaves only the unprocessable, each with its cause [5] no file or process left" {
	# Whole requests answered 429 (both kinds), 31 items rejected once each,
	# and five items rejected at each of their 5 attempts (25 times: the
	# fault is spent when the run gives up on them, so the rerun is clean).
	# The storm is counted in requests, not time, and 5 attempts outlast
	# it: the 4 whole-request 429s may all fall on one batch (on a loaded
	# machine few batches are in flight at once), which then still gets in.
	opensearch_fault '{"request_status": {"status": 429, "times": 2}}'
	opensearch_fault '{"request_status": {"status": 429, "type": "circuit_breaking_exception", "times": 2}}'
	local sum
	for sum in $(checksums $(seq 200 2 260) | jq -r '.[]'); do
		opensearch_fault "{\"item_status\": {\"ids\": [\"$sum\"], \"status\": 429, \"times\": 1}}"
	done
	opensearch_fault "{\"item_status\": {\"ids\": $(checksums 11 51 91 131 171), \"status\": 429, \"times\": 25}}"
	run_pipeline fault --index-retries=5
	[ "$RUN_RC" -eq 1 ]
	[ "$(jq -r 'select(.gz.error.stage == "gz-index") | select(.gz.error.retryable) | .id' "$RUNS/fault/ledger.ndjson" | sort -n | tr '\n' ' ')" = "11 51 91 131 171 " ]
	check_after_fault fault

	run_pipeline rerun
	check_after_rerun rerun
}

@test "OpenSearch outage mid-run: [1] processed => one document with its text [2] none marked without it [3] the partial ledger has no duplicate, only listed gazettes, every gazette it marked [4] the rerun leaves only the unprocessable, each with its cause [5] no process left; the rerun leaves no file" {
	start_pipeline fault --index-retries=3
	wait_progress 80
	opensearch_fault '{"down": true}'
	wait_pipeline
	[ "$RUN_RC" -eq 3 ]
	[ "$(processed_count)" -lt "$(ok_count)" ]  # stopped before the end
	check_after_kill fault

	opensearch_fault '{"down": false}'
	run_pipeline rerun
	check_after_rerun rerun
}
