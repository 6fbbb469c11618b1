# Fault suite: the pipeline stopped by SIGTERM, and each stage killed with
# SIGKILL mid-run in turn; then a clean rerun, which must also clean what
# the killed run left.  Invariants: see invariants.bash and s3.bats.
load ../helpers/common
load ../helpers/pg
load ../helpers/s3
load ../helpers/opensearch
load corpus
load invariants

setup_file() { fault_setup_file; }
teardown_file() { fault_teardown_file; }
setup() { fault_setup; }

# slow_listing: every page gz-list reads takes a few tens of ms (its join
# with territories goes through a view that sleeps), so gz-list is still
# listing mid-run: otherwise it hands the whole backlog to the pipe at once
# and is gone before anything could kill it.  corpus_fast_listing undoes
# it.
slow_listing() {
	psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<-'SQL'
	ALTER TABLE territories RENAME TO territories_t;
	CREATE FUNCTION gz_slow() RETURNS boolean LANGUAGE plpgsql VOLATILE AS
	  $$BEGIN PERFORM pg_sleep(0.005); RETURN true; END$$;
	CREATE VIEW territories AS SELECT * FROM territories_t WHERE gz_slow();
	SQL
}

# kill_stage_test STAGE: kill -9 one stage once 60 gazettes are marked;
# the stage must still be running then.
kill_stage_test() {
	local pid
	[ "$1" != list ] || slow_listing
	start_pipeline fault
	wait_progress 60
	pid=$(stage_pid fault "$1")
	[ -n "$pid" ]
	gz_alive "$pid"
	kill -KILL "$pid"
	corpus_fast_listing
	wait_pipeline 60
	[ "$RUN_RC" -ne 0 ]
	[ "$(processed_count)" -lt "$(ok_count)" ]  # stopped before the end
	check_after_kill fault

	run_pipeline rerun
	check_after_rerun rerun
}

@test "SIGTERM to gz-pipeline: [1] processed => one document with its text [2] none marked without it [3] the partial ledger has no duplicate, only listed gazettes, every gazette it marked [4] the rerun leaves only the unprocessable, each with its cause [5] no process left; the rerun leaves no file" {
	start_pipeline fault
	wait_progress 60
	kill -TERM "$PIPE_PID"
	wait_pipeline 60
	[ "$RUN_RC" -ne 0 ]
	[ "$(processed_count)" -lt "$(ok_count)" ]  # stopped before the end
	check_after_kill fault

	run_pipeline rerun
	check_after_rerun rerun
}

@test "kill -9 gz-list mid-run: [1] processed => one document with its text [2] none marked without it [3] the partial ledger has no duplicate, only listed gazettes, every gazette it marked [4] the rerun leaves only the unprocessable, each with its cause [5] no process left; the rerun leaves no file" {
	kill_stage_test list
}

@test "kill -9 gz-fetch mid-run: [1] processed => one document with its text [2] none marked without it [3] the partial ledger has no duplicate, only listed gazettes, every gazette it marked [4] the rerun leaves only the unprocessable, each with its cause [5] no process left; the rerun leaves no file" {
	kill_stage_test fetch
}

@test "kill -9 gz-extract mid-run: [1] processed => one document with its text [2] none marked without it [3] the partial ledger has no duplicate, only listed gazettes, every gazette it marked [4] the rerun leaves only the unprocessable, each with its cause [5] no process left; the rerun leaves no file" {
	kill_stage_test extract
}

@test "kill -9 gz-index mid-run: [1] processed => one document with its text [2] none marked without it [3] the partial ledger has no duplicate, only listed gazettes, every gazette it marked [4] the rerun leaves only the unprocessable, each with its cause [5] no process left; the rerun leaves no file" {
	kill_stage_test index
}
