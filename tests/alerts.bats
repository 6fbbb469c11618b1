#!/usr/bin/env bats
# contrib/prometheus/gz-rules.yml: the alerting rules parse, pass lint, pass
# their unit tests (gz-rules.test.yml), and read only metrics gz exports.

load helpers/common

RULES_DIR="$GZ_ROOT/contrib/prometheus"

setup_file() {
	command -v promtool >/dev/null || skip "promtool (Debian prometheus) is not installed"
}

@test "the alerting rules pass promtool check rules" {
	run -0 promtool check rules "$RULES_DIR/gz-rules.yml"
	assert_output --partial "SUCCESS"
}

@test "the alerting rules pass their unit tests (promtool test rules)" {
	cd "$RULES_DIR"
	run -0 promtool test rules gz-rules.test.yml
	assert_output --partial "SUCCESS"
}

@test "every alert the issue asks for is there" {
	local a
	for a in GzStageFailingMostRecords GzStageNoProgress \
	    GzStageMemoryNearBound GzBacklogGrowing; do
		run -0 grep -c "alert: $a\$" "$RULES_DIR/gz-rules.yml"
	done
}

@test "the rules read only metrics a gz tool writes (or the documented backlog gauge)" {
	local prom="$BATS_TEST_TMPDIR/x.prom" name
	run -1 --separate-stderr bash -c \
	    'echo "{\"id\":1}" | gz-extract --metrics-file "$1"' _ "$prom"
	assert_file_exists "$prom"
	for name in $(grep -v '^ *#' "$RULES_DIR/gz-rules.yml" |
	    grep -oE '\bgz_[a-z_]+' | sort -u); do
		[ "$name" = gz_backlog_records ] && continue
		grep -q "^$name[{ ]" "$prom" ||
			fail "the rules use $name, which gz does not export"
	done
}
