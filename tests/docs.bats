# The manual pages and the code's hygiene: lint-clean mdoc, every option that
# --help shows is documented, no banned function in the C.
load helpers/common

@test "every man page is lint clean with mandoc -Tlint -Wwarning" {
	run -0 mandoc -Tlint -Wwarning "$GZ_ROOT"/man/*
	assert_output ""
}

@test "every long option a tool's --help shows appears in its man page" {
	for tool in gz-list gz-fetch gz-extract gz-split gz-index gz-search; do
		command -v "$tool" >/dev/null || continue
		page="$GZ_ROOT/man/$tool.1"
		assert_file_exists "$page"
		for opt in $("$tool" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
			grep -q -- "${opt#--}" "$page" || fail "$page does not mention $opt"
		done
	done
}

# diagnostics_codes PAGE: the words of the .It lines of PAGE's DIAGNOSTICS.
diagnostics_codes() {
	awk '/^\.Sh /{f = ($2 == "DIAGNOSTICS")} f && /^\.It /' "$1" |
		grep -oE '\b[a-z]+(_[a-z]+)*_?' | sort -u
}

@test "every gz.error code a tool's sources can emit is in its man page's DIAGNOSTICS" {
	checked=0
	for tool in gz-list gz-fetch gz-extract gz-index gz-search; do
		page="$GZ_ROOT/man/$tool.1"
		documented=$(diagnostics_codes "$page")
		for code in $("$GZ_PYTHON" "$GZ_ROOT/tests/helpers/error-codes" "$tool"); do
			grep -qxF -- "$code" <<<"$documented" ||
				fail "$page: DIAGNOSTICS lacks $code"
			checked=$((checked + 1))
		done
	done
	# the scan found the codes at all (gz-fetch, gz-extract, gz-index)
	[ "$checked" -ge 40 ]
}

@test "no banned function (system, popen, sprintf, strcpy, strcat, atoi, strtok) in the C" {
	run grep -nE '\b(system|popen|sprintf|strcpy|strcat|atoi|strtok)\(' \
		"$GZ_ROOT"/lib/*.[ch] "$GZ_ROOT"/tools/*/*.[ch]
	assert_output ""
}

@test "the README shows the two set-up commands" {
	grep -q 'make demo' "$GZ_ROOT/README.md"
	grep -q 'make test' "$GZ_ROOT/README.md"
}
