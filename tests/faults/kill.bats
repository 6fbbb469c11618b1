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
teardown() { fault_teardown; }

# kill_stage_test STAGE: kill -9 one stage once 60 gazettes are marked;
# the stage must still be running then.  On a slow machine gz-list, or
# gz-fetch, could have handed the whole backlog to the next pipe long
# before: gz-list's third page waits for a gate (corpus_gate_listing) that
# opens only after the kill, so every stage is still waiting for input.
kill_stage_test() {
	local pid
	corpus_gate_listing
	start_pipeline fault
	wait_progress 60
	pid=$(stage_pid fault "$1")
	[ -n "$pid" ]
	gz_alive "$pid"
	kill -KILL "$pid"
	corpus_fast_listing
	wait_pipeline
	[ "$RUN_RC" -ne 0 ]
	[ "$(processed_count)" -lt "$(ok_count)" ]  # stopped before the end
	check_after_kill fault

	run_pipeline rerun
	check_after_rerun rerun
}

# hold_commits N: the first transaction that marks gazettes once N are
# marked (its own included) stops in its COMMIT: a deferred trigger waits
# while gz_commit_gate says hold, and shows it in pg_stat_activity as
# application_name gz-commit-held.  release_commits STATE (open: the
# COMMIT lands; fail: it fails) lets it go, and drops the trigger.
hold_commits() {
	psql -X -q -v ON_ERROR_STOP=1 -v n="$1" >/dev/null <<-'SQL'
	CREATE TABLE gz_commit_gate (state text NOT NULL, after int NOT NULL);
	INSERT INTO gz_commit_gate VALUES ('hold', :n);
	CREATE FUNCTION gz_hold_commit() RETURNS trigger LANGUAGE plpgsql AS $$
	DECLARE s text;
	BEGIN
	  IF (SELECT count(*) FROM gazettes WHERE processed) <
	     (SELECT after FROM gz_commit_gate) THEN
	    RETURN NULL;
	  END IF;
	  PERFORM set_config('application_name', 'gz-commit-held', true);
	  LOOP
	    SELECT state INTO s FROM gz_commit_gate;
	    EXIT WHEN s <> 'hold';
	    PERFORM pg_sleep(0.01);
	  END LOOP;
	  IF s = 'fail' THEN
	    RAISE EXCEPTION 'this commit was refused by the test';
	  END IF;
	  RETURN NULL;
	END$$;
	CREATE CONSTRAINT TRIGGER gz_hold_commit AFTER UPDATE ON gazettes
	  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	  EXECUTE FUNCTION gz_hold_commit();
	SQL
}

# wait_commit_held: until a marking transaction waits in its COMMIT.
wait_commit_held() {
	local i
	for i in $(seq 1 1200); do
		[ "$(pg_sql "SELECT count(*) FROM pg_stat_activity
			WHERE application_name = 'gz-commit-held'")" -gt 0 ] && return 0
		gz_alive "$PIPE_PID" || break
		sleep 0.05
	done
	echo "wait_commit_held: no marking transaction reached its COMMIT" >&2
	return 1
}

release_commits() {
	pg_sql "UPDATE gz_commit_gate SET state = '$1'" >/dev/null
	# The held backend ends its COMMIT, finds its client gone, and exits.
	local i
	for i in $(seq 1 600); do
		[ "$(pg_sql "SELECT count(*) FROM pg_stat_activity
			WHERE application_name = 'gz-commit-held'")" -eq 0 ] && break
		sleep 0.05
	done
	pg_sql "DROP TRIGGER gz_hold_commit ON gazettes; DROP FUNCTION gz_hold_commit();
		DROP TABLE gz_commit_gate" >/dev/null
}

@test "SIGTERM to gz-pipeline: [1] processed => one document with its text [2] none marked without it [3] the partial ledger has no duplicate, only listed gazettes, every gazette it marked [4] the rerun leaves only the unprocessable, each with its cause [5] no process left; the rerun leaves no file" {
	start_pipeline fault
	wait_progress 60
	kill -TERM "$PIPE_PID"
	wait_pipeline
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

@test "kill -9 gz-index while its marks commit, and the COMMIT lands: every gazette it marked has its ledger line, written before the COMMIT; [1] [2] [4] [5] as above" {
	hold_commits 60
	start_pipeline fault
	wait_commit_held
	pid=$(stage_pid fault index)
	kill -KILL "$pid"
	release_commits open
	wait_pipeline
	[ "$RUN_RC" -eq 137 ]
	check_after_kill fault

	run_pipeline rerun
	check_after_rerun rerun
}

@test "kill -9 gz-index while its marks commit, and the COMMIT fails: only that batch's lines, the last saying marked, say it of unmarked gazettes, and the rerun marks them; [1] [2] [4] [5] as above" {
	hold_commits 60
	start_pipeline fault
	wait_commit_held
	pid=$(stage_pid fault index)
	kill -KILL "$pid"
	release_commits fail
	wait_pipeline
	[ "$RUN_RC" -eq 137 ]
	# The batch held in its COMMIT: ledger lines saying marked, rows not.
	[ -n "$(ledger_unconfirmed fault)" ]
	check_after_kill fault

	run_pipeline rerun
	check_after_rerun rerun
}
