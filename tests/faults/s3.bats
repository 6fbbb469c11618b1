# Fault suite, storage side: the whole pipeline (gz-pipeline over 300
# gazettes, real PostgreSQL, s3rver behind the S3 proxy double, the
# OpenSearch double) while the proxy answers errors, resets connections or
# objects are absent; then a clean rerun.  The invariants checked after
# each run (tests/faults/invariants.bash):
#   [1] every gazette marked processed has exactly one document, with its text
#   [2] no gazette without its document is marked processed
#   [3] the ledger accounts for every gazette listed, exactly once
#   [4] after the clean rerun every processable gazette is processed, and
#       the rest (missing, corrupt, unsupported) carry their cause in its ledger
#   [5] no spool or temporary file is left, and no process
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

# failed_ids RUN JQ-FILTER: ids of the run's ledger lines with gz.error
# matching the filter.
failed_ids() {
	jq -r "select(.gz.error) | select($2) | .id" "$RUNS/$1/ledger.ndjson" | sort -n | tr '\n' ' '
}

@test "S3 errors (500, 503 SlowDown): [1] processed => one document with its text [2] none marked without it [3] the ledger lists each listed gazette once [4] the rerun leaves only the unprocessable, each with its cause [5] no file or process left" {
	# Ten files (ids 207..297 ending in 7; 277 is missing anyway) answer
	# 503 SlowDown forever; the first 30 other downloads get a 500 first.
	s3_fault '[{"fault": "slowdown", "match": "*/2024/2?7.*", "times": -1},
		{"fault": "internal_error", "methods": ["GET"], "times": 30}]'
	run_pipeline fault --fetch-retries=3
	[ "$RUN_RC" -eq 1 ]
	# The fault did happen: the ten failed, retryably, after 3 attempts.
	[ "$(failed_ids fault '.gz.error.code == "SlowDown" and .gz.error.retryable and .gz.error.attempts == 3')" = "207 217 227 237 247 257 267 287 297 " ]
	[ "$(s3_log | jq -s '[.[] | select(.fault == "internal_error")] | length')" -eq 30 ]
	check_after_fault fault

	s3_reset
	run_pipeline rerun
	check_after_rerun rerun
}

@test "S3 connection resets and truncated bodies: [1] processed => one document with its text [2] none marked without it [3] the ledger lists each listed gazette once [4] the rerun leaves only the unprocessable, each with its cause [5] no file or process left" {
	# Ids 109..199 ending in 9 are reset mid-body every time; the first 12
	# other downloads are reset or cut short once.
	s3_fault '[{"fault": "reset", "match": "*/2024/1?9.*", "times": -1},
		{"fault": "reset", "methods": ["GET"], "times": 6},
		{"fault": "truncate", "methods": ["GET"], "times": 6}]'
	run_pipeline fault --fetch-retries=3
	[ "$RUN_RC" -eq 1 ]
	# The fault did happen: at least those ten failed, retryably.
	failed=$(failed_ids fault '.gz.error.code == "transfer_failed" and .gz.error.retryable')
	for id in 109 119 129 139 149 159 169 179 189 199; do
		[[ " $failed" == *" $id "* ]]
	done
	check_after_fault fault

	s3_reset
	run_pipeline rerun
	check_after_rerun rerun
}

@test "S3 objects missing: [1] processed => one document with its text [2] none marked without it [3] the ledger lists each listed gazette once [4] the rerun leaves only the unprocessable, each with its cause [5] no file or process left" {
	corpus_make_missing 30
	run_pipeline fault
	[ "$RUN_RC" -eq 1 ]
	[ "$(jq -r 'select(.gz.error.code == "NoSuchKey") | .id' "$RUNS/fault/ledger.ndjson" | wc -l)" -eq 34 ]
	check_after_fault fault

	run_pipeline rerun
	check_after_rerun rerun
}
