# contrib/bash-completion/gz: every tool's options as its --help lists them,
# the values of --mode, --source and --log-format, gz-pipeline's stage
# prefixes, and file names where a path goes.
load helpers/common

COMPLETION="$GZ_ROOT/contrib/bash-completion/gz"

# complete LINE: the candidates bash would be offered for LINE (cursor at
# its end), one per line, as the function registered for its command
# computes them.
complete() {
	bash -c 'source "$1"; COMP_LINE=$2; COMP_POINT=${#2}
		set -- $2; f=$(complete -p "$1" | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
		[ -n "$f" ] || exit 1
		"$f" "$1" && printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$1"
}

# help_options TOOL: the long options in the option column of TOOL --help
# (a line indented at most 8 spaces; deeper ones continue a description),
# without their "=VALUE", sorted.
help_options() {
	"$1" --help | awk 'match($0, /^ +/) && RLENGTH <= 8 && $1 ~ /^-/ {
		o = ($1 ~ /^-[A-Za-z],$/) ? $2 : $1
		sub(/[=[].*/, "", o); if (o ~ /^--[a-z][a-z0-9-]*$/) print o }' | sort -u
}

@test "completing -- offers exactly the long options each tool's --help lists" {
	local tool
	for tool in gz-list gz-fetch gz-extract gz-split gz-index gz-search; do
		run -0 complete "$tool --"
		assert_equal "$(echo "$output" | sed 's/=$//' | sort -u)" "$(help_options "$tool")"
		# an option that takes a value completes with its "=", ready for it
		[[ "$output" == *"--log-format="* ]] || fail "$tool: no --log-format="
		[[ "$output" == *"--quiet"$'\n'* ]] || fail "$tool: no --quiet"
	done
	run -0 complete "gz-list --cl"
	assert_output $'--claim\n--claims'
}

@test "--mode, --source, --pdf-engine, --ocr and --log-format complete to the values --help names" {
	run -0 complete "gz-list --mode="
	assert_output $'daily\nall\nunprocessed'
	for v in daily all unprocessed; do
		gz-list --help | grep -A1 -- '--mode=' | grep -qw "$v" ||
			fail "gz-list --help does not name the mode $v"
	done
	run -0 complete "gz-list --mode=un"
	assert_output unprocessed
	run -0 complete "gz-extract --pdf-engine="
	assert_output $'poppler\npdftotext'
	for v in poppler pdftotext; do
		gz-extract --help | grep -A2 -- '--pdf-engine=' | grep -qw "$v" ||
			fail "gz-extract --help does not name the engine $v"
	done
	run -0 complete "gz-extract --ocr="
	assert_output $'auto\nnever\nalways'
	for v in auto never always; do
		gz-extract --help | grep -A3 -- '--ocr=' | grep -qw "$v" ||
			fail "gz-extract --help does not name the OCR mode $v"
	done
	run -0 complete "gz-fetch --source="
	assert_output $'s3\nurl\ndir:'
	for v in s3 url dir:PATH; do
		gz-fetch --help | grep -A2 -- '--source=' | grep -qF "$v" ||
			fail "gz-fetch --help does not name the source $v"
	done
	# after dir:, directories (bash replaces the text after the ":")
	mkdir -p "$BATS_TEST_TMPDIR/mirror-a" "$BATS_TEST_TMPDIR/mirror-b"
	touch "$BATS_TEST_TMPDIR/mirror-file"
	run -0 complete "gz-fetch --source=dir:$BATS_TEST_TMPDIR/mirror"
	assert_output "$BATS_TEST_TMPDIR/mirror-a"$'\n'"$BATS_TEST_TMPDIR/mirror-b"
	run -0 complete "gz-index --log-format="
	assert_output $'text\njson'
}

@test "gz-pipeline completes its own options and every stage's behind its prefix" {
	run -0 complete "gz-pipeline --"
	local own stage opt
	for own in $(help_options gz-pipeline); do
		echo "$output" | grep -qx -- "$own=\?" || fail "no $own"
	done
	for stage in list fetch extract index; do
		for opt in $(help_options "gz-$stage" | grep -vx -- '--help\|--version'); do
			echo "$output" | grep -qx -- "--$stage-${opt#--}=\?" ||
				fail "no --$stage-${opt#--}"
		done
	done
	run -0 complete "gz-pipeline --index-store"
	assert_output --index-store-text
	run -0 complete "gz-pipeline --list-mode=un"
	assert_output unprocessed
	run -0 complete "gz-pipeline --fetch-source=u"
	assert_output url
}

@test "gz-extract completes FILE operands; the other tools take none" {
	touch "$BATS_TEST_TMPDIR/ato.pdf"
	run -0 complete "gz-extract $BATS_TEST_TMPDIR/ato"
	assert_output "$BATS_TEST_TMPDIR/ato.pdf"
	run -0 complete "gz-list $BATS_TEST_TMPDIR/ato"
	assert_output ""
}
