# Fault suite: PostgreSQL restarted mid-run, or refusing the COMMIT of
# gz-index's marks, under the whole pipeline over the corpus; then a clean
# rerun.  Invariants: see invariants.bash and s3.bats.
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
	wait_pipeline
	check_after_fault fault

	run_pipeline rerun
	check_after_rerun rerun
}

@test "PostgreSQL refuses the COMMIT of gz-index's marks: exit 3, stderr names how many ledger lines say marked in vain (the last that say it, one batch), nothing marked; the rerun marks them" {
	pg_sql "CREATE FUNCTION gz_refuse() RETURNS trigger LANGUAGE plpgsql AS
		\$\$BEGIN RAISE EXCEPTION 'this commit was refused by the test'; END\$\$;
		CREATE CONSTRAINT TRIGGER gz_refuse AFTER UPDATE ON gazettes
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gz_refuse()" >/dev/null
	run_pipeline fault
	[ "$RUN_RC" -eq 3 ]
	[ "$(processed_count)" -eq 0 ]
	local n
	n=$(ledger_unconfirmed fault | wc -l)
	[ "$n" -gt 0 ]
	grep -F "the last $n ledger lines that say marked are not" "$RUNS/fault/index.log"
	check_after_kill fault

	pg_sql "DROP TRIGGER gz_refuse ON gazettes; DROP FUNCTION gz_refuse()" >/dev/null
	run_pipeline rerun
	check_after_rerun rerun
}
