# Fault suite, storage side: the whole pipeline over the corpus while the S3
# proxy answers errors, resets connections or lacks objects; then a clean
# rerun.  Invariants (issue 6): 1 processed => one document with its text;
# 2 nothing marked without its document; 3 the ledger accounts for every
# listed gazette once; 4 after the rerun only the unprocessable are left,
# each with its cause; 5 no spool/temp file, no process left.
load ../helpers/common
load ../helpers/pg
load ../helpers/s3
load ../helpers/opensearch
load corpus
load invariants

setup_file() { fault_setup_file; }
teardown_file() { fault_teardown_file; }
setup() { fault_setup; }

@test "baseline: every processed gazette has exactly one document with its text; none marked without it; the ledger lists each once; only the unprocessable are left, with their causes; nothing left behind" {
	run_pipeline clean
	check_after_rerun clean
}
