# Scale-out: several whole pipelines share one backlog through PostgreSQL
# with gz-list --claim (gz-list(1) CLAIMS), as workers on separate machines
# would: every gazette indexed once, no claim held twice, a dead worker's
# claims taken over once its lease ends.
load helpers/common
load helpers/pg
load helpers/opensearch

setup_file() {
	pg_start
	opensearch_start --bind 0.0.0.0
}

teardown_file() {
	opensearch_stop
	pg_stop
}

teardown() {
	[ "$(id -u)" != 0 ] || netns_down
}

setup() {
	pg_reset
	pg_sql "SET client_min_messages = warning;
		DROP TABLE IF EXISTS gz_claims, gz_claim_history" >/dev/null
	opensearch_reset
	BUCKET="$BATS_TEST_TMPDIR/bucket"
	export TMPDIR="$BATS_TEST_TMPDIR"
}

# worker NAME [ARG...]: one whole claiming pipeline, its logs in
# $BATS_TEST_TMPDIR/NAME.
worker() {
	local name=$1
	shift
	gz-pipeline --quiet --run-id "$name" --log-dir "$BATS_TEST_TMPDIR/$name" \
		--list-mode=unprocessed --list-claim --list-worker="$name" \
		--list-page-size=25 --fetch-source="dir:$BUCKET" \
		--extract-jobs=1 --index-create-index --index-flush-ms=200 "$@"
}

# The invariants of the fault suite, for N gazettes that must all be done:
# every gazette processed, indexed with its text, by exactly one ledger line
# that says so; no claim left behind.  With --killed K, up to K ledger lines
# may be missing: a stage killed with SIGKILL between marking a batch and
# writing its lines never writes them (the gazettes are done all the same).
assert_all_done_once() {
	local n=$1 lost=0
	shift
	if [ "$1" = --killed ]; then
		lost=$2
		shift 2
	fi
	run -0 pg_sql "SELECT count(*) FROM gazettes WHERE processed"
	assert_output "$n"
	run -0 opensearch_docs querido-diario
	assert_equal "$(echo "$output" | jq -s 'map(select(._source.source_text |
		test("Portaria nº"))) | length')" "$n"
	# each gazette indexed by exactly one worker's ledger
	run -0 jq -rs 'map(select(.gz.index.marked) | .id) | group_by(.) |
		map(select(length > 1)) | length' "$@"
	assert_output 0
	run -0 jq -rs 'map(select(.gz.index.marked)) | length' "$@"
	[ "$output" -le "$n" ] && [ "$output" -ge $((n - lost)) ] ||
		fail "$output gazettes marked in the ledgers, for $n processed"
	run -0 pg_sql "SELECT count(*) FROM gz_claims"
	assert_output 0
}

@test "4 concurrent pipelines over 2,000 gazettes: each indexed exactly once, none claimed twice, all four busy" {
	pg_seed_files 2000 "$BUCKET"
	gz-list --init --quiet
	local w pids=()
	for w in w1 w2 w3 w4; do
		worker "$w" 2>"$BATS_TEST_TMPDIR/$w.err" &
		pids+=($!)
	done
	for w in "${pids[@]}"; do
		wait "$w" || fail "a worker exited $?: $(cat "$BATS_TEST_TMPDIR"/w*.err)"
	done
	assert_all_done_once 2000 "$BATS_TEST_TMPDIR"/w?/ledger.ndjson
	# the claims history: one claim per gazette, ever
	run -0 pg_sql "SELECT count(*), count(DISTINCT gazette_id) FROM gz_claim_history"
	assert_output "2000|2000"
	# every worker did a share, and its ledger holds only what it claimed
	for w in w1 w2 w3 w4; do
		local mine
		mine=$(jq -s 'map(select(.gz.index.marked)) | length' "$BATS_TEST_TMPDIR/$w/ledger.ndjson")
		[ "$mine" -ge 50 ] || fail "$w indexed only $mine gazettes"
		jq -se --arg w "$w" 'all(.gz.claim.worker == $w)' "$BATS_TEST_TMPDIR/$w/ledger.ndjson"
		assert_equal "$mine" "$(pg_sql "SELECT count(*) FROM gz_claim_history WHERE worker = '$w'")"
	done
}

@test "kill -9 of one worker's pipeline mid-run: with a short lease the others take over its claims" {
	pg_seed_files 300 "$BUCKET"
	gz-list --init --quiet
	# a slow index keeps every worker busy long enough to lose one
	opensearch_fault '{"slow_ms": {"ms": 150, "times": -1}}'
	local slow=(--list-lease=2s --index-batch-docs=5 --index-concurrency=1)
	worker victim "${slow[@]}" 2>/dev/null &
	local victim=$!
	wait_for test -s "$BATS_TEST_TMPDIR/victim/ledger.ndjson"
	worker w1 "${slow[@]}" 2>/dev/null &
	local w1=$!
	worker w2 "${slow[@]}" 2>/dev/null &
	local w2=$!
	sleep 1
	# the machine dies: the driver and every stage at once, no goodbye
	local held
	held=$(pg_sql "SELECT count(*) FROM gz_claims WHERE worker = 'victim'")
	[ "$held" -gt 0 ] || fail "the victim held no claim when it died"
	kill -KILL "$victim" $(cat "$BATS_TEST_TMPDIR"/victim/*.pid)
	wait "$victim" 2>/dev/null || true
	opensearch_fault '{"slow_ms": {"ms": 0, "times": -1}}'
	wait "$w1" || fail "w1 exited $?"
	wait "$w2" || fail "w2 exited $?"
	# what the survivors could not yet take (leases still running when they
	# finished) a rerun finishes, as the next cron run would
	sleep 2
	worker rerun 2>/dev/null
	local ledgers=("$BATS_TEST_TMPDIR"/{victim,w1,w2,rerun}/ledger.ndjson)
	assert_all_done_once 300 --killed 5 "${ledgers[@]}"
	# the dead worker's claims went to the others
	run -0 pg_sql "SELECT count(*) FROM gz_claim_history h WHERE worker <> 'victim'
		AND EXISTS (SELECT 1 FROM gz_claim_history v WHERE v.worker = 'victim'
		AND v.gazette_id = h.gazette_id)"
	[ "$output" -gt 0 ] || fail "no claim of the victim was taken over"
	run pgrep -af "gz-(list|fetch|extract|index) .*$BATS_TEST_TMPDIR"
	assert_output ""
}

# netns_up N: network namespace gztN joined to this one by a veth pair,
# 10.77.N.2 inside and 10.77.N.1 outside.
netns_up() {
	local n=$1
	ip netns add "gzt$n"
	ip link add "gzt${n}h" type veth peer name "gzt${n}w"
	ip link set "gzt${n}w" netns "gzt$n"
	ip addr add "10.77.$n.1/24" dev "gzt${n}h"
	ip link set "gzt${n}h" up
	ip netns exec "gzt$n" ip addr add "10.77.$n.2/24" dev "gzt${n}w"
	ip netns exec "gzt$n" ip link set "gzt${n}w" up
	ip netns exec "gzt$n" ip link set lo up
}

netns_down() {
	local n
	for n in 1 2 3; do
		ip link del "gzt${n}h" 2>/dev/null || true
		ip netns del "gzt$n" 2>/dev/null || true
	done
}

@test "workers in separate network namespaces reach PostgreSQL and OpenSearch over their own addresses" {
	[ "$(id -u)" = 0 ] || skip "needs root for ip netns"
	ip netns add gzt-probe 2>/dev/null || skip "this kernel or container forbids network namespaces"
	ip netns del gzt-probe
	netns_down
	pg_seed_files 900 "$BUCKET"
	gz-list --init --quiet
	# PostgreSQL on every address, password-less only from the workers' subnets
	echo "host all postgres 10.77.0.0/16 trust" >>"$GZ_PG_DIR/data/pg_hba.conf"
	pg_sql "ALTER SYSTEM SET listen_addresses = '*'" >/dev/null
	pg_restart
	# a slow index keeps all three busy, so that each has a share
	opensearch_fault '{"slow_ms": {"ms": 100, "times": -1}}'
	local port=${GZ_OS_URL##*:} n pids=()
	# all three hosts first, so that none starts late and finds the backlog
	# already claimed (a pipeline takes pages as fast as its pipes accept them)
	for n in 1 2 3; do
		netns_up "$n"
	done
	for n in 1 2 3; do
		# another host: only its own network, nothing shared but the files
		ip netns exec "gzt$n" env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE \
			DATABASE_URL="postgresql://postgres@10.77.$n.1:$GZ_PG_PORT/gz" \
			OPENSEARCH_HOST="http://10.77.$n.1:$port" \
			PATH="$PATH" bash -c "$(declare -f worker); BUCKET='$BUCKET'
				BATS_TEST_TMPDIR='$BATS_TEST_TMPDIR' worker host$n" \
			2>"$BATS_TEST_TMPDIR/host$n.err" &
		pids+=($!)
	done
	for n in "${pids[@]}"; do
		wait "$n" || fail "a worker exited $?: $(cat "$BATS_TEST_TMPDIR"/host*.err)"
	done
	assert_all_done_once 900 "$BATS_TEST_TMPDIR"/host?/ledger.ndjson
	# OpenSearch saw each worker come from its own address
	run -0 opensearch_log
	run -0 jq -r '[.[] | select(.path | test("_bulk")) | .client] | unique | join(" ")' <<<"$output"
	assert_output "10.77.1.2 10.77.2.2 10.77.3.2"
	run -0 pg_sql "SELECT count(DISTINCT worker) FROM gz_claim_history"
	assert_output 3
}
