# contrib/: the cron file, the systemd units and the Kubernetes Jobs are
# well formed, pass only options the tools have, keep the text in the
# index (--index-store-text) as the system gz replaces does, and the README
# points to them.  (systemd-analyze verify runs in package.bats, against
# the binaries the .deb installs.)
load helpers/common

C="$GZ_ROOT/contrib"

# stage_options_ok COMMAND...: every --list-/--fetch-/--extract-/--index-
# option in the gz-pipeline command is one its stage's --help lists, every
# other option one gz-pipeline's --help lists; for a gz-list command, one
# of gz-list's.
stage_options_ok() {
	local words=$* w opt stage tool
	for w in $words; do
		case $w in --*) ;; *) continue ;; esac
		opt=${w%%=*}
		case $words in
		*gz-pipeline*)
			case $opt in
			--list-?*|--fetch-?*|--extract-?*|--index-?*)
				stage=${opt#--}; stage=${stage%%-*}
				tool=gz-$stage; opt=--${opt#--"$stage"-} ;;
			*) tool=gz-pipeline ;;
			esac ;;
		*) tool=gz-list ;;
		esac
		"$tool" --help | grep -qE -- "^ {1,8}(-[A-Za-z], )?$opt([= [,]|\$)" ||
			fail "$tool has no option $opt (in: $words)"
	done
}

@test "the cron file: well-formed lines whose commands parse and use real options" {
	local line fields cmd n=0
	while IFS= read -r line; do
		# job lines start with their schedule; the rest are comments
		# and variables
		[[ $line == [0-9*]* ]] || continue
		read -r -a fields <<<"$line"
		[ "${#fields[@]}" -gt 6 ] || fail "too few fields: $line"
		assert_equal "${fields[5]}" gz
		cmd=${line#*" gz "}
		# cron turns an unescaped % into a newline
		[[ "$(echo "$cmd" | sed 's/\\%//g')" != *%* ]] || fail "unescaped %: $line"
		sh -n -c "$(echo "$cmd" | sed 's/\\%/%/g')" || fail "not sh: $cmd"
		stage_options_ok "$cmd"
		n=$((n + 1))
	done <"$C/cron/gz"
	assert_equal "$n" 2
	grep -q '^\*/15 .*gz-pipeline .*--index-store-text' "$C/cron/gz"
	grep -q 'gz-list .*--count .*--metrics-file' "$C/cron/gz"
}

@test "the systemd units start gz with options the tools have" {
	local cmd
	for unit in "$C"/systemd/*.service; do
		cmd=$(sed -n 's/^ExecStart=//p' "$unit")
		[ -n "$cmd" ] || fail "$unit has no ExecStart"
		stage_options_ok "$cmd"
	done
	grep -q '^ExecStart=/usr/bin/gz-pipeline .*--index-store-text' "$C/systemd/gz-worker@.service"
}

@test "the Kubernetes Jobs are batch/v1 Jobs whose command uses real options" {
	local f cmd
	for f in "$C"/kubernetes/*.yaml; do
		cmd=$("$GZ_PYTHON" -c 'import sys, yaml
(doc,) = list(yaml.safe_load_all(open(sys.argv[1])))
assert doc["apiVersion"] == "batch/v1" and doc["kind"] == "Job", doc
spec = doc["spec"]["template"]["spec"]
assert spec["restartPolicy"] == "Never", spec
(c,) = spec["containers"]
assert c["command"] == ["sh", "-c"], c
assert c["envFrom"] == [{"secretRef": {"name": "gz-env"}}], c
(arg,) = c["args"]
print(arg)' "$f") || fail "$f"
		sh -n -c "$cmd" || fail "$f: not sh: $cmd"
		stage_options_ok "${cmd%%||*}"
		[[ "$cmd" == *"--index-store-text"* ]] || fail "$f does not store the text"
	done
	grep -q 'completionMode: Indexed' "$C/kubernetes/gz-shards-job.yaml"
}

@test "the README points to the contrib files instead of carrying copies" {
	local f
	for f in contrib/cron/gz contrib/systemd/gz-worker@.service \
	    contrib/systemd/gz-worker@.timer contrib/systemd/gz-backlog.timer \
	    contrib/kubernetes/gz-backlog-job.yaml contrib/kubernetes/gz-shards-job.yaml \
	    contrib/grafana/gz.json contrib/bash-completion/gz; do
		assert_file_exists "$GZ_ROOT/$f"
		grep -qF "$f" "$GZ_ROOT/README.md" || fail "README does not mention $f"
	done
	# the unit and the Jobs are no longer pasted whole into the README
	run grep -c '^kind: Job' "$GZ_ROOT/README.md"
	assert_output 0
	run grep -c '^ExecStart=' "$GZ_ROOT/README.md"
	assert_output 0
}
