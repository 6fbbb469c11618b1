# Shared machinery of the fault suite: run the pipeline, fire a fault
# mid-run, and check the five invariants of issue 6 after it.
# Needs common.bash, pg.bash, s3.bash, opensearch.bash and corpus.bash.
#
#   fault_setup_file / fault_teardown_file / fault_setup / fault_teardown
#                       services once per file; a fresh corpus, index,
#                       spool and fault set per test; whatever a failed
#                       test's run left is killed before the next test
#   run_pipeline NAME [ARGS]   gz-pipeline to its end (RUN_RC)
#   start_pipeline NAME [ARGS] the same in the background (PIPE_PID)
#   wait_pipeline              wait for it (RUN_RC); fails on a hang (no
#                              progress for FAULT_STALL seconds)
#   wait_progress N            until N gazettes are marked processed
#   wait_stage_pid NAME STAGE  print the pid of a live stage of a run
#   check_after_fault NAME     invariants 1, 2, 3 (as a complete run), 5
#   check_after_kill NAME      invariants 1, 2, 3 (partial ledger), 5 (no
#                              process; files are the rerun's to clean)
#   check_after_rerun NAME     invariants 1-5 after a clean rerun
#
# Every check prints what broke (ids, counts) before failing.

FAULT_INDEX=querido-diario
FAULT_BATCH_DOCS=50
# A marker in the environment of every process a run starts, so a leftover
# is found whatever its name (converters get a clean environment: they are
# found by the spool path on their command line instead).
export GZ_FAULT_SUITE_MARK="gz-faults-$$-$RANDOM"

fault_setup_file() {
	pg_start
	s3_start
	opensearch_start
	corpus_upload
}

fault_teardown_file() {
	# A test that failed mid-run may leave its pipeline: stop it first.
	if [ -n "${PIPE_PID:-}" ] && gz_alive "$PIPE_PID"; then
		kill -KILL "$PIPE_PID" 2>/dev/null
	fi
	opensearch_stop
	s3_stop
	pg_stop
}

# fault_teardown: a test that failed mid-run leaves its run going, which
# would go on marking the next test's corpus (same ids, same checksums) and
# break that test's invariants.  Kill the driver and every process the run
# started, each by its pid (they carry this test's marker), until none is
# left; a gz-list page waiting for corpus_gate_listing's gate gets it open.
fault_teardown() {
	local procs pid i
	corpus_open_gate 2>/dev/null
	for i in $(seq 1 100); do
		procs=$(fault_procs)
		[ -z "$procs" ] && break
		for pid in $(echo "$procs" | cut -d' ' -f1); do
			kill -KILL "$pid" 2>/dev/null
		done
		sleep 0.1
	done
	if [ -n "${PIPE_PID:-}" ]; then
		wait "$PIPE_PID" 2>/dev/null
		PIPE_PID=
	fi
	[ -z "$procs" ] || { echo "fault_teardown: still running: $procs" >&2; return 1; }
}

fault_setup() {
	s3_reset
	opensearch_reset
	corpus_load
	RUNS="$BATS_TEST_TMPDIR/runs"
	SPOOL="$BATS_TEST_TMPDIR/spool"
	FAULT_TMP="$BATS_TEST_TMPDIR/tmp"
	mkdir -p "$RUNS" "$SPOOL" "$FAULT_TMP"
	PIPE_PID=
}

# The pipeline every test runs: unprocessed gazettes, files from s3rver
# through the SigV4 proxy into the test's spool, the index created if
# missing, small batches sent quickly so that faults land mid-run.
_pipeline_cmd() {
	local name=$1
	shift
	mkdir -p "$RUNS/$name"
	touch "$RUNS/$name/started"
	sleep 0.01
	# What this run will list: every unprocessed gazette but .zip paths.
	pg_sql "SELECT id FROM gazettes WHERE processed IS FALSE
		AND file_path NOT LIKE '%.zip' ORDER BY id" >"$RUNS/$name/listable"
	pg_sql "SELECT id FROM gazettes WHERE processed ORDER BY id" \
		>"$RUNS/$name/processed-before"
	PIPE_CMD=(env TMPDIR="$FAULT_TMP" gz-pipeline --quiet --run-id "$name"
		--log-dir "$RUNS/$name" --ledger "$RUNS/$name/ledger.ndjson"
		--list-mode=unprocessed --list-page-size=50 --list-progress=0
		--fetch-spool="$SPOOL" --fetch-jobs=8 --fetch-progress=0
		--extract-jobs=4 --extract-progress=0
		--index-create-index --index-batch-docs="$FAULT_BATCH_DOCS" --index-flush-ms=50
		--index-progress=0 "$@")
}

run_pipeline() {
	start_pipeline "$@"
	wait_pipeline
}

start_pipeline() {
	_pipeline_cmd "$@"
	CUR_RUN=$1
	"${PIPE_CMD[@]}" 2>"$RUNS/$1/pipeline.err" &
	PIPE_PID=$!
}

# FAULT_STALL: seconds a run may go without progress (its ledger or logs
# growing, files coming and going in the spool) before it counts as hung.
# Progress, not a total time: on a loaded machine a sound run only takes
# longer.
FAULT_STALL=${FAULT_STALL:-180}

_run_activity() {
	echo "$(cat "$RUNS/$CUR_RUN"/*.log "$RUNS/$CUR_RUN/ledger.ndjson" 2>/dev/null |
		wc -c) $(find "$SPOOL" 2>/dev/null | wc -l)"
}

# wait_pipeline: the driver and all its stages must end, making progress
# until they do; RUN_RC is the driver's exit status.
wait_pipeline() {
	local seen now still=0
	seen=$(_run_activity)
	while gz_alive "$PIPE_PID"; do
		sleep 0.2
		now=$(_run_activity)
		if [ "$now" != "$seen" ]; then
			seen=$now
			still=0
		elif [ $((still += 1)) -ge $((FAULT_STALL * 5)) ]; then
			echo "pipeline $CUR_RUN hung: no progress in ${FAULT_STALL}s:" >&2
			fault_procs >&2
			kill -KILL "$PIPE_PID" 2>/dev/null
			return 1
		fi
	done
	RUN_RC=0
	wait "$PIPE_PID" || RUN_RC=$?
	PIPE_PID=
	echo "pipeline $CUR_RUN exit $RUN_RC" >&2
}

processed_count() {
	pg_sql "SELECT count(*) FROM gazettes WHERE processed"
}

# ok_count: how many gazettes are processable.
ok_count() {
	pg_sql "SELECT count(*) FROM fault_expect WHERE kind = 'ok'"
}

# wait_progress N: until at least N gazettes are marked; fails when the run
# ends first or stops making progress for FAULT_STALL seconds.
wait_progress() {
	local n=$1 seen now still=0
	seen=$(_run_activity)
	until [ "$(processed_count)" -ge "$n" ]; do
		gz_alive "$PIPE_PID" || break
		sleep 0.1
		now=$(_run_activity)
		if [ "$now" != "$seen" ]; then
			seen=$now
			still=0
		elif [ $((still += 1)) -ge $((FAULT_STALL * 10)) ]; then
			break
		fi
	done
	[ "$(processed_count)" -ge "$n" ] && return 0
	echo "wait_progress: $(processed_count) processed, wanted $n" >&2
	return 1
}

# stage_pid RUN STAGE: the pid gz-pipeline recorded for a stage.
stage_pid() {
	cat "$RUNS/$1/$2.pid" 2>/dev/null
}

# fault_procs: processes this suite started that still live: anything
# with our marker in its environment, or the spool on its command line.
fault_procs() {
	local f pid cmd
	for f in $( {
		grep -lzxF "GZ_FAULT_SUITE_MARK=$GZ_FAULT_SUITE_MARK" /proc/[0-9]*/environ
		grep -lF "$SPOOL" /proc/[0-9]*/cmdline
	} 2>/dev/null | sort -u); do
		pid=${f#/proc/}
		pid=${pid%%/*}
		[ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] && continue
		gz_alive "$pid" || continue
		cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
		# Our own bats processes carry the marker too: keep only what a
		# run starts (the driver, its stages, log copiers, converters).
		[[ "$cmd" =~ gz-(pipeline|list|fetch|extract|index)|pdftotext|antiword|catdoc|^tee\ |^cat\  ]] &&
			echo "$pid $cmd"
	done
	return 0
}

# --- the invariants ----------------------------------------------------------

# state_json: PostgreSQL's view of every gazette, with its expectation.
state_json() {
	pg_sql "SELECT json_agg(json_build_object('id', g.id, 'sum', g.file_checksum,
		'processed', g.processed, 'kind', e.kind, 'needle', e.needle))
		FROM gazettes g JOIN fault_expect e USING (id)"
}

# docs_json: every document in the index, as a JSON array.
docs_json() {
	opensearch_docs "$FAULT_INDEX" | jq -s -c 'map({_id, id: ._source.id,
		text: ._source.source_text})'
}

# Invariants 1 and 2.
check_index_vs_db() {
	local st="$BATS_TEST_TMPDIR/state.json" dj="$BATS_TEST_TMPDIR/docs.json"
	state_json >"$st"
	docs_json >"$dj"
	jq -rn --slurpfile s "$st" --slurpfile d "$dj" '
		($s[0]) as $s | ($d[0]) as $d |
		($d | group_by(.id) | map({key: (.[0].id | tostring), value: .})
			| from_entries) as $by |
		[$s[] | select(.processed) | . as $g
			| ($by[$g.id | tostring] // []) as $docs
			| if ($docs | length) != 1 then
				"id \($g.id): processed with \($docs | length) documents"
			elif $docs[0]._id != $g.sum then
				"id \($g.id): document _id \($docs[0]._id) is not its checksum"
			elif ($docs[0].text | type) != "string" then
				"id \($g.id): document without source_text"
			elif $g.needle and ($docs[0].text | split("\n")
				| index([$g.needle]) == null) then
				"id \($g.id): text lacks \"\($g.needle)\""
			else empty end]
		| if length > 0 then (.[:10][] | "invariant 1/2 broken: " + .), "(\(length) in all)", ("" | halt_error(1)) else empty end
	' >&2 || return 1
	# No document for a gazette that is not in the database at all.
	jq -rn --slurpfile s "$st" --slurpfile d "$dj" '
		($s[0] | map(.id)) as $ids | [$d[0][] | select(.id as $i | $ids | index($i) | not)]
		| if length > 0 then "stray documents: \(map(.id))", ("" | halt_error(1)) else empty end
	' >&2 || return 1
}

# Invariant 3 for a run that completed: one ledger line per listed gazette.
check_ledger_complete() {
	local name=$1 dir="$RUNS/$1"
	local got want
	got=$(jq -r '.id' "$dir/ledger.ndjson" | sort -n)
	want=$(sort -n "$dir/listable")
	if [ "$got" != "$want" ]; then
		echo "invariant 3 broken in $name: ledger vs listed:" >&2
		diff <(echo "$want") <(echo "$got") | head -n 20 >&2
		return 1
	fi
	_check_ledger_marks "$name"
}

# Invariant 3 for a killed run: the ledger may stop short, but it holds no
# gazette twice, none that was not listable, and every gazette this run
# marked processed is in it as indexed.
check_ledger_partial() {
	local name=$1 dir="$RUNS/$1"
	local dups stray
	dups=$(jq -r '.id' "$dir/ledger.ndjson" | sort -n | uniq -d)
	if [ -n "$dups" ]; then
		echo "invariant 3 broken in $name: ledger lines twice: $dups" >&2
		return 1
	fi
	stray=$(comm -23 <(jq -r '.id' "$dir/ledger.ndjson" | sort) \
		<(sort "$dir/listable"))
	if [ -n "$stray" ]; then
		echo "invariant 3 broken in $name: ledger ids never listed: $stray" >&2
		return 1
	fi
	_check_ledger_marks "$name" partial
}

# Every gazette marked during the run is a ledger line with gz.index (and
# marked true); no ledger line says indexed+marked for an unprocessed one,
# but in a partial ledger (partial): gz-index writes a batch's lines before
# its marks commit, so a kill -9 between the two, or a COMMIT that fails,
# leaves that batch's lines saying marked; they must then be the last lines
# of the ledger that say marked, at most one batch of them.
_check_ledger_marks() {
	local name=$1 partial=${2:-} dir="$RUNS/$1" now newly acked bad
	now=$(pg_sql "SELECT id FROM gazettes WHERE processed ORDER BY id")
	newly=$(comm -13 <(sort "$dir/processed-before") <(echo "$now" | sort) | sort -n)
	acked=$(jq -r 'select(.gz.index.marked == true) | .id' "$dir/ledger.ndjson" | sort -n)
	bad=$(comm -23 <(echo "$newly" | sort) <(echo "$acked" | sort))
	if [ -n "$bad" ]; then
		echo "invariant 3 broken in $name: marked by this run but not indexed in its ledger:" $bad >&2
		return 1
	fi
	bad=$(comm -13 <(echo "$now" | sort) <(echo "$acked" | sort))
	[ -z "$bad" ] && return 0
	if [ -z "$partial" ]; then
		echo "invariant 2 broken in $name: ledger says marked, database says not:" $bad >&2
		return 1
	fi
	_check_unconfirmed_tail "$name" "$bad"
}

# ledger_unconfirmed NAME: ids whose ledger line says marked while the
# database says not processed.
ledger_unconfirmed() {
	local now
	now=$(pg_sql "SELECT id FROM gazettes WHERE processed ORDER BY id")
	comm -13 <(echo "$now" | sort) \
		<(jq -r 'select(.gz.index.marked == true) | .id' "$RUNS/$1/ledger.ndjson" | sort) |
		sort -n
}

# _check_unconfirmed_tail NAME IDS: no line that says marked comes after
# the first of those lines but those lines, and they are one batch at most.
_check_unconfirmed_tail() {
	jq -rn --argjson bad "[$(echo $2 | tr ' ' ',')]" --argjson max "$FAULT_BATCH_DOCS" '
		[inputs] as $l |
		([range(0; $l | length) | select($l[.].id as $i | $bad | index($i))] | min) as $first |
		[$l[$first:][] | select(.gz.index.marked == true) | .id] as $after |
		if ($bad | length) > $max then
			"invariant 2 broken: \($bad | length) lines say marked in vain, more than one batch (\($max))"
		elif ($after - $bad | length) > 0 then
			"invariant 2 broken: lines that say marked, rightly, follow one that says it in vain: \($after - $bad)"
		else empty end
		| ., ("" | halt_error(1))
	' "$RUNS/$1/ledger.ndjson" >&2 || {
		echo "(ledger says marked, database says not: $2)" >&2
		return 1
	}
}

# Invariant 5: nothing left in the spool (dot files included) or in the
# runs' TMPDIR, and no process of ours alive.  gz-fetch gives each run a
# folder of its own under --spool, removed when the run is over (by
# gz-extract or gz-fetch at exit, or by the next run's gz-fetch when a stage
# was killed), finished downloads gz-extract never reached included.
check_clean() {
	local name=$1 left
	left=$(find "$SPOOL" "$FAULT_TMP" -mindepth 1 2>/dev/null)
	if [ -n "$left" ]; then
		echo "invariant 5 broken after $name: files left behind:" >&2
		echo "$left" | head -n 20 >&2
		return 1
	fi
	check_no_procs "$name"
}

check_no_procs() {
	local procs i
	# Stages of a killed run may take a moment to see EOF and exit.
	for i in $(seq 1 50); do
		procs=$(fault_procs)
		[ -z "$procs" ] && return 0
		sleep 0.1
	done
	echo "invariant 5 broken after $1: processes left running:" >&2
	echo "$procs" >&2
	return 1
}

# Invariant 4: after the clean rerun every processable gazette is marked,
# the others are not, and the rerun's ledger names each one's cause.
# Extra causes for extra kinds come as KIND=REGEX arguments.
check_all_done() {
	local name=$1 st="$BATS_TEST_TMPDIR/state.json"
	shift
	state_json >"$st"
	local causes='{"missing": "^(NoSuchKey|http_404|not_found)$",
		"corrupt": "^(extractor_failed|empty_file)$",
		"unsupported": "^unsupported_type$"}'
	local kv
	for kv in "$@"; do
		causes=$(jq -c --arg k "${kv%%=*}" --arg v "${kv#*=}" '.[$k] = $v' <<<"$causes")
	done
	jq -rn --slurpfile s "$st" --argjson causes "$causes" \
		--slurpfile ledger "$RUNS/$name/ledger.ndjson" '
		($s[0]) as $s |
		($ledger | map({key: (.id | tostring), value: .}) | from_entries) as $l |
		[$s[] | . as $g | ($l[$g.id | tostring]) as $r |
			if $g.kind == "ok" then
				if $g.processed then empty
				else "id \($g.id): processable but not processed (rerun ledger: \($r.gz.error // "no line"))" end
			elif $g.processed then "id \($g.id): \($g.kind) yet processed"
			elif $g.kind == "zip" then
				(if $r then "id \($g.id): a .zip path was listed" else empty end)
			elif ($r.gz.error.code // "" | test($causes[$g.kind])) | not then
				"id \($g.id): \($g.kind), but the rerun ledger says \($r.gz.error // "nothing")"
			else empty end]
		| if length > 0 then (.[:10][] | "invariant 4 broken: " + .), "(\(length) in all)", ("" | halt_error(1)) else empty end
	' >&2
}

# --- the checks each test calls ---------------------------------------------

check_after_fault() {
	check_index_vs_db && check_ledger_complete "$1" && check_clean "$1"
}

# A killed run may leave spool files for the rerun to clean: only its
# processes are checked here, its files after the rerun.
check_after_kill() {
	check_index_vs_db && check_ledger_partial "$1" && check_no_procs "$1"
}

check_after_rerun() {
	local name=$1
	shift
	check_index_vs_db && check_ledger_complete "$name" &&
		check_all_done "$name" "$@" && check_clean "$name"
}
