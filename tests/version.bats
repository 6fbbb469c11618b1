# One version string, defined once (VERSION, or git describe of a vX.Y.Z
# tag): every tool's --version, gz-pipeline's, the metrics' gz_build_info
# and the ledger's gz.index.version all carry it.
load helpers/common

setup() {
	VERSION=$(make -C "$GZ_ROOT" --no-print-directory -s version)
	[ -n "$VERSION" ]
}

@test "make version is the VERSION file, or what git describe says of a vX.Y.Z tag" {
	if git -C "$GZ_ROOT" describe --tags --match 'v[0-9]*' >/dev/null 2>&1; then
		assert_equal "v$VERSION" "$(git -C "$GZ_ROOT" describe --tags --match 'v[0-9]*')"
	else
		assert_equal "$VERSION" "$(cat "$GZ_ROOT/VERSION")"
	fi
}

@test "every tool and gz-pipeline answer --version with the same version" {
	local t
	for t in gz-list gz-fetch gz-extract gz-index gz-pipeline; do
		run -0 --separate-stderr "$t" --version
		assert_line --index 0 "$t $VERSION"
	done
}

@test "gz-pipeline --version refuses tools of mixed versions" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\necho "gz-fetch 0.0.0-other"\n' >"$BATS_TEST_TMPDIR/bin/gz-fetch"
	chmod +x "$BATS_TEST_TMPDIR/bin/gz-fetch"
	PATH="$BATS_TEST_TMPDIR/bin:$PATH" run -2 --separate-stderr gz-pipeline --version
	assert_equal "$stderr" "gz-pipeline: mixed versions on PATH: gz-fetch is 0.0.0-other, not $VERSION"
}

@test "the metrics carry gz_build_info with the version" {
	local prom="$BATS_TEST_TMPDIR/x.prom"
	run -1 --separate-stderr bash -c \
	    'echo "{\"id\":1}" | gz-extract --metrics-file "$1"' _ "$prom"
	promtool check metrics <"$prom"
	run -0 grep '^gz_build_info' "$prom"
	assert_output "gz_build_info{tool=\"gz-extract\",version=\"$VERSION\"} 1"
}

@test "every ledger line gz-index writes for an indexed record carries the version" {
	printf '%s\n' \
	    '{"id":1,"file_checksum":"a1","source_text":"um","territory_id":"1","date":"2024-01-01","file_path":"a.pdf"}' \
	    '{"id":2,"file_checksum":"b2","source_text":"dois","territory_id":"1","date":"2024-01-02","file_path":"b.pdf"}' |
	    gz-index --output "$BATS_TEST_TMPDIR/bulk" --no-mark --progress 0 \
	    >"$BATS_TEST_TMPDIR/ledger" 2>/dev/null
	run -0 jq -sc --arg v "$VERSION" 'map(.gz.index.version == $v)' "$BATS_TEST_TMPDIR/ledger"
	assert_output '[true,true]'
}
