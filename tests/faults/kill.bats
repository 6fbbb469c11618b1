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

# kill_stage_test STAGE: kill -9 one stage once 60 gazettes are marked.
kill_stage_test() {
	local pid
	start_pipeline fault
	wait_progress 60
	pid=$(stage_pid fault "$1")
	[ -n "$pid" ]
	kill -KILL "$pid"
	wait_pipeline 60
	[ "$RUN_RC" -ne 0 ]
	[ "$(processed_count)" -lt 300 ]
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
	[ "$(processed_count)" -lt 300 ]
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
