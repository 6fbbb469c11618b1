# Fault suite: PostgreSQL restarted mid-run, under the whole pipeline over
# the corpus; then a clean rerun.  Invariants: see invariants.bash and
# s3.bats.
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

@test "PostgreSQL restarted mid-run: [1] processed => one document with its text [2] none marked without it [3] the ledger lists each listed gazette once [4] the rerun leaves only the unprocessable, each with its cause [5] no file or process left" {
	start_pipeline fault
	wait_progress 60
	pg_restart
	wait_pipeline 60
	check_after_fault fault

	run_pipeline rerun
	check_after_rerun rerun
}
