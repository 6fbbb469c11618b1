# Fault suite, extraction side: corrupt PDFs, PDFs that outlast
# --extract-timeout or need more than --extract-child-memory, in the whole
# pipeline over the corpus; then a rerun with the same limits (such a file
# stays unprocessable under them, and its cause must say so).  Invariants:
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

@test "corrupt PDFs: [1] processed => one document with its text [2] none marked without it [3] the ledger lists each listed gazette once [4] the rerun leaves only the unprocessable, each with its cause [5] no file or process left" {
	corpus_use corrupt 20
	run_pipeline fault
	[ "$RUN_RC" -eq 1 ]
	[ "$(jq -r 'select(.gz.error.code == "extractor_failed") | .id' "$RUNS/fault/ledger.ndjson" | wc -l)" -eq 22 ]
	check_after_fault fault

	run_pipeline rerun
	check_after_rerun rerun
}

@test "PDFs that hang the extractor past --timeout: [1] processed => one document with its text [2] none marked without it [3] the ledger lists each listed gazette once [4] the rerun leaves only the unprocessable, each with its cause [5] no file or process left" {
	# heavy.pdf needs some 16 s of CPU: 5 s stops it wherever, and leaves
	# the small documents room to convert on a loaded machine.
	corpus_use heavy 3
	run_pipeline fault --extract-timeout=5
	[ "$RUN_RC" -eq 1 ]
	[ "$(jq -r 'select(.gz.error.code == "timeout") | .id' "$RUNS/fault/ledger.ndjson" | wc -l)" -eq 3 ]
	check_after_fault fault

	run_pipeline rerun --extract-timeout=5
	check_after_rerun rerun 'heavy=^timeout$'
}

@test "PDFs that blow --child-memory: [1] processed => one document with its text [2] none marked without it [3] the ledger lists each listed gazette once [4] the rerun leaves only the unprocessable, each with its cause [5] no file or process left" {
	corpus_use heavy 3
	run_pipeline fault --extract-child-memory=128M
	[ "$RUN_RC" -eq 1 ]
	[ "$(jq -r 'select(.gz.error.code == "memory_limit") | .id' "$RUNS/fault/ledger.ndjson" | wc -l)" -eq 3 ]
	check_after_fault fault

	run_pipeline rerun --extract-child-memory=128M
	check_after_rerun rerun 'heavy=^memory_limit$'
}
