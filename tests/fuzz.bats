#!/usr/bin/env bats
# The libFuzzer targets in fuzz/ (NDJSON reader, text sanitiser, bulk
# response parser, spilled-record scanner, every stage's record intake with
# any gz member): each builds with clang and runs briefly from its seed
# corpus with ASan, UBSan and LeakSanitizer.  Any crash, leak or broken
# check fails the test; the input is left in build/fuzz/crashes/TARGET.
# FUZZ_TEST_SECONDS (10) sets how long each target runs.

load helpers/common

setup_file() {
	command -v clang >/dev/null || skip "clang is not installed"
}

fuzz_target() {
	local t=$1
	cd "$GZ_ROOT"
	run make --no-print-directory fuzz FUZZ_TARGETS="$t" \
	    FUZZ_SECONDS="${FUZZ_TEST_SECONDS:-10}"
	# A finding: show what libFuzzer said before failing.
	[ "$status" -eq 0 ] || echo "$output" | tail -n 60 >&3
	assert_success
	assert_output --partial "Done "
	refute_output --partial "ERROR: "
	refute_output --partial "runtime error"
}

@test "the NDJSON reader survives fuzzing and keeps its one-result-per-line contract" {
	fuzz_target ndjson
}

@test "the text sanitiser survives fuzzing: valid UTF-8, no controls, same text however chunked" {
	fuzz_target textclean
}

@test "the bulk-response parser survives fuzzing with any body and item count" {
	fuzz_target response
}

@test "the spilled-record scanner survives fuzzing and agrees with libjq on every line" {
	fuzz_target spill
}

@test "every stage's record intake survives a gz member of any shape, and a bad one becomes a well-formed bad_record" {
	fuzz_target records
}

@test "every target has a seed corpus" {
	local t
	for t in ndjson textclean response spill records; do
		assert [ -f "$GZ_ROOT/fuzz/$t.c" ]
		run sh -c "ls '$GZ_ROOT/fuzz/corpus/$t' | wc -l"
		assert [ "$output" -ge 3 ]
	done
}
