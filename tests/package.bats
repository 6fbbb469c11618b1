# make deb, make install and make uninstall: the package lintian accepts,
# unpacked into a throwaway root where every tool answers --version and
# --help, every man page renders and the systemd units verify; an install
# that uninstall takes back entirely.
load helpers/common

setup_file() {
	command -v dpkg-deb >/dev/null || skip "dpkg-deb is not installed"
	local dir=$BATS_FILE_TMPDIR
	make -C "$GZ_ROOT" --no-print-directory -s deb DEB_DIR="$dir/deb" \
		>"$dir/make.out" 2>&1 || { cat "$dir/make.out" >&2; return 1; }
	DEB=$(ls "$dir"/deb/gz_*.deb)
	export DEB
	GZ_VERSION=$("$GZ_ROOT/bin/gz-list" --version | sed -n '1s/^gz-list //p')
	export GZ_VERSION
	ROOT="$dir/root"
	export ROOT
	dpkg-deb -x "$DEB" "$ROOT"
}

@test "make deb builds gz_VERSION_ARCH.deb in which lintian finds no error" {
	command -v lintian >/dev/null || skip "lintian is not installed"
	assert_equal "${DEB##*/}" "gz_$(echo "$GZ_VERSION" | tr - +)_$(dpkg --print-architecture).deb"
	run -0 lintian --fail-on error "$DEB"
	refute_line --regexp '^E: '
}

@test "the package declares the converters, jq and the shared libraries as dependencies" {
	run -0 dpkg-deb -f "$DEB" Depends
	local dep
	for dep in poppler-utils antiword catdoc jq libcurl4 libpq5 libjq1 libmagic1 libzip4 libpoppler-cpp0v5; do
		[[ ", $output," == *", $dep"[\ ,]* ]] || fail "Depends lacks $dep: $output"
	done
	run -0 dpkg-deb -f "$DEB" Version
	assert_output "$(echo "$GZ_VERSION" | tr - +)"
}

@test "unpacked, every tool answers --version with the one version, and --help" {
	local t
	for t in gz-list gz-fetch gz-extract gz-split gz-index gz-search gz-pipeline; do
		assert_file_executable "$ROOT/usr/bin/$t"
		# The package's tools only: nothing of the build on PATH.
		PATH="$ROOT/usr/bin:/usr/bin:/bin" run -0 --separate-stderr "$t" --version
		assert_line --index 0 "$t $GZ_VERSION"
		PATH="$ROOT/usr/bin:/usr/bin:/bin" run -0 --separate-stderr "$t" --help
		assert_line --index 0 --partial "Usage: $t"
	done
}

@test "unpacked, man -l renders every page" {
	local page n=0
	for page in "$ROOT"/usr/share/man/man1/*.1.gz "$ROOT"/usr/share/man/man7/gz.7.gz; do
		MANWIDTH=80 run -0 --separate-stderr man -l "$page"
		assert_line --regexp '^NAME'
		assert_equal "$stderr" ""
		n=$((n + 1))
	done
	assert_equal "$n" "$(ls "$GZ_ROOT"/man/*.[17] | wc -l)"
}

@test "the package ships the dashboard, the rules, completion, units and examples" {
	local f
	for f in usr/share/gz/grafana/gz.json usr/share/gz/grafana/provisioning.yml \
	    usr/share/gz/prometheus/gz-rules.yml \
	    usr/share/bash-completion/completions/gz-list \
	    usr/share/bash-completion/completions/gz-pipeline \
	    lib/systemd/system/gz-worker@.service lib/systemd/system/gz-worker@.timer \
	    lib/systemd/system/gz-backlog.service lib/systemd/system/gz-backlog.timer \
	    usr/share/doc/gz/examples/cron/gz \
	    usr/share/doc/gz/examples/kubernetes/gz-backlog-job.yaml \
	    usr/share/doc/gz/copyright usr/share/doc/gz/changelog.gz; do
		assert_exists "$ROOT/$f"
	done
	# the completion the package installs completes the package's tools
	PATH="$ROOT/usr/bin:/usr/bin:/bin" run -0 bash -c 'source "$1"
		COMP_LINE="gz-list --mode=u"; COMP_POINT=${#COMP_LINE}
		_gz gz-list && echo "${COMPREPLY[*]}"' _ \
		"$ROOT/usr/share/bash-completion/completions/gz-list"
	assert_output unprocessed
}

@test "the systemd units pass systemd-analyze verify against the package's binaries and man pages" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
	local units="$BATS_TEST_TMPDIR/units" exe
	mkdir -p "$units"
	cp "$ROOT"/lib/systemd/system/* "$units/"
	# Every program a unit starts is one the package installs in /usr/bin;
	# the copies start them from the unpacked root instead.
	for exe in $(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$units"/*.service); do
		[[ "$exe" == /usr/bin/gz-* ]] || fail "ExecStart runs $exe, not a gz tool"
		assert_file_executable "$ROOT$exe"
	done
	sed -i "s#^ExecStart=/usr/bin/#ExecStart=$ROOT/usr/bin/#" "$units"/*.service
	cd "$units"
	# --man=yes (the default) checks Documentation=man:... against MANPATH.
	MANPATH="$ROOT/usr/share/man" run -0 systemd-analyze verify \
		./gz-worker@1.service ./gz-worker@1.timer ./gz-backlog.service ./gz-backlog.timer
	assert_output ""
}

@test "make uninstall removes every file make install put under DESTDIR" {
	local dest="$BATS_TEST_TMPDIR/dest"
	make -C "$GZ_ROOT" --no-print-directory -s install DESTDIR="$dest" PREFIX=/opt/gz >/dev/null
	PATH="$dest/opt/gz/bin:/usr/bin:/bin" run -0 gz-pipeline --version
	assert_output "gz-pipeline $GZ_VERSION"
	assert_file_exists "$dest/opt/gz/share/gz/grafana/gz.json"
	assert_file_exists "$dest/opt/gz/share/man/man7/gz.7"
	assert_link_exists "$dest/opt/gz/share/bash-completion/completions/gz-index"
	make -C "$GZ_ROOT" --no-print-directory -s uninstall DESTDIR="$dest" PREFIX=/opt/gz
	run -0 find "$dest" ! -type d
	assert_output ""
	assert_not_exists "$dest/opt/gz/share/gz"
}
