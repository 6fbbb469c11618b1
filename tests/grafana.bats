# contrib/grafana/gz.json: the dashboard has the shape Grafana's file
# provisioning loads, and every panel's query parses and returns series in a
# real Prometheus that scrapes a real Pushgateway, to which a gz-pipeline run
# (and gz-list --count, for the backlog) pushed their metrics.
load helpers/common
load helpers/pg
load helpers/opensearch

DASH="$GZ_ROOT/contrib/grafana/gz.json"

setup_file() {
	command -v promtool >/dev/null || skip "promtool (Debian prometheus) is not installed"
	command -v prometheus-pushgateway >/dev/null || skip "prometheus-pushgateway is not installed"
	local dir=$BATS_FILE_TMPDIR pgw_port prom_port bucket
	pg_start
	opensearch_start

	pgw_port=$(free_port)
	# Debian's Pushgateway keeps its groups in /var/lib/prometheus unless
	# told otherwise: a file of this test's own keeps runs apart.
	prometheus-pushgateway --web.listen-address="127.0.0.1:$pgw_port" \
		--persistence.file="$dir/pgw.data" </dev/null >"$dir/pgw.log" 2>&1 3>&- &
	echo $! >"$dir/pgw.pid"
	export GZ_PGW_URL="http://127.0.0.1:$pgw_port"
	wait_for curl -sf "$GZ_PGW_URL/-/ready"

	# Scraped and evaluated every second, so a test waits on two scrapes,
	# not on minutes; the rules file records gz:rss_bound_bytes.
	cat >"$dir/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  evaluation_interval: 1s
	rule_files:
	  - $GZ_ROOT/contrib/prometheus/gz-rules.yml
	scrape_configs:
	  - job_name: pushgateway
	    honor_labels: true
	    static_configs:
	      - targets: ['127.0.0.1:$pgw_port']
	EOF
	prom_port=$(free_port)
	prometheus --config.file="$dir/prometheus.yml" \
		--storage.tsdb.path="$dir/tsdb" \
		--web.listen-address="127.0.0.1:$prom_port" \
		</dev/null >"$dir/prometheus.log" 2>&1 3>&- &
	echo $! >"$dir/prometheus.pid"
	export GZ_PROM_URL="http://127.0.0.1:$prom_port"
	wait_for curl -sf "$GZ_PROM_URL/-/ready"

	# One run with a failure (a missing file) so every stage pushes, and
	# the hourly backlog count.
	bucket="$dir/bucket"
	mkdir -p "$bucket"
	pg_reset
	pg_seed_files 6 "$bucket"
	rm "$bucket/$(pg_sql "SELECT file_path FROM gazettes WHERE id = 2")"
	local s push=()
	for s in list fetch extract index; do
		push+=("--$s-metrics-push=$GZ_PGW_URL")
	done
	TMPDIR="$dir" gz-pipeline --quiet --run-id dash --log-dir "$dir/run" \
		--list-mode=unprocessed --fetch-source="dir:$bucket" \
		--index-flush-ms=200 --index-create-index "${push[@]}" 2>"$dir/pipeline.err" ||
		[ $? -eq 1 ] || { cat "$dir/pipeline.err" >&2; return 1; }
	gz-list --mode unprocessed --count --metrics-push "$GZ_PGW_URL" >/dev/null
	# Every stage's series and the backlog scraped twice: rate() has its
	# two points.
	wait_for prom_has 'count(count_over_time(gz_build_info[1m]) >= 2) == 4'
	wait_for prom_has 'count_over_time(gz_backlog_records[1m]) >= 2'
	wait_for prom_has 'count(gz:rss_bound_bytes) == 4'
}

teardown_file() {
	gz_stop_pidfile "$BATS_FILE_TMPDIR/prometheus.pid" prometheus
	gz_stop_pidfile "$BATS_FILE_TMPDIR/pgw.pid" pushgateway
	opensearch_stop
	pg_stop
}

# prom_has EXPR: the instant query EXPR returns at least one series.
prom_has() {
	[ -n "$(promtool query instant "$GZ_PROM_URL" "$1" 2>/dev/null)" ]
}

# dash_queries: "PANEL_TITLE<TAB>EXPR" for every target of every panel and
# the instance variable's query, with Grafana's variables given the values
# a dashboard on this Prometheus would send.
dash_queries() {
	jq -r '(.panels[] | .title as $t | .targets[] | [$t, .expr]),
		(.templating.list[] | select(.type == "query") |
		 ["variable " + .name, (.query.query |
		  sub("^label_values\\((?<m>[^,]+), *(?<l>[^)]+)\\)$"; "count by (\(.l)) (\(.m))"))])
		| @tsv' "$DASH" |
		sed -e 's/\$__rate_interval/1m/g' -e 's/\$instance/.*/g'
}

@test "the dashboard has the structure Grafana's file provisioning loads" {
	# One JSON object with a title, panels and a templating list: what
	# provisioning reads from a file (no "dashboard" wrapper, no id).
	jq -e 'type == "object" and (.title | type == "string" and length > 0)
		and (.panels | type == "array" and length > 0)
		and (.templating.list | type == "array")
		and (.schemaVersion | type == "number")
		and ((.id // null) == null) and (has("dashboard") | not)' "$DASH"
	# A datasource variable, and no hard-coded uid anywhere: every
	# datasource reference is that variable.
	jq -e '[.templating.list[] | select(.type == "datasource")] |
		length == 1 and .[0].name == "datasource" and .[0].query == "prometheus"' "$DASH"
	run -0 jq -r '[.. | objects | select(has("uid")) | .uid] | unique | .[]' "$DASH"
	assert_output '${datasource}'
	jq -e '[.panels[].datasource, .panels[].targets[].datasource] |
		all(.type == "prometheus" and .uid == "${datasource}")' "$DASH"
	# Unique panel ids, refIds unique within a panel, a query in each.
	jq -e '[.panels[].id] | (length == (unique | length)) and all(type == "number")' "$DASH"
	jq -e 'all(.panels[]; (.targets | length > 0)
		and ([.targets[].refId] | length == (unique | length))
		and all(.targets[]; (.expr | length > 0)))' "$DASH"
	# Panel types Grafana ships, laid out inside its 24 columns, no overlap.
	jq -e 'all(.panels[]; .type | IN("timeseries", "stat", "bargauge", "table", "gauge", "text"))' "$DASH"
	jq -e 'all(.panels[].gridPos; .x >= 0 and .w > 0 and .h > 0 and .x + .w <= 24)' "$DASH"
	jq -e '[.panels[].gridPos | . as $g | range($g.y; $g.y + $g.h) as $r |
		range($g.x; $g.x + $g.w) | [$r, .]] | length == (unique | length)' "$DASH"
	# The provider file points Grafana at the folder the .deb installs.
	run -0 "$GZ_PYTHON" -c 'import sys, yaml
p = yaml.safe_load(open(sys.argv[1]))
assert p["apiVersion"] == 1, p
(prov,) = p["providers"]
assert prov["type"] == "file", prov
print(prov["options"]["path"])' "$GZ_ROOT/contrib/grafana/provisioning.yml"
	assert_output /usr/share/gz/grafana
}

@test "the dashboard shows what the issue asks for" {
	# documents/s per stage, failures by stage and code, backlog, peak RSS against
	# each stage's bound, run duration and last success.
	local want
	for want in 'rate(gz_records_out_total' 'gz_records_failed_total' \
	    'sum by (tool, code) (gz_record_errors_total' \
	    'gz_backlog_records' 'gz_peak_rss_bytes' 'gz:rss_bound_bytes' \
	    'gz_elapsed_seconds' 'push_time_seconds'; do
		jq -e --arg w "$want" '[.panels[].targets[].expr | contains($w)] | any' "$DASH" >/dev/null ||
			fail "no panel queries $want"
	done
}

@test "every panel's query parses and returns series (promtool query instant)" {
	local title expr n=0
	while IFS=$'\t' read -r title expr; do
		run -0 promtool query instant "$GZ_PROM_URL" "$expr"
		[ -n "$output" ] || fail "panel '$title': no series for: $expr"
		printf '# %s\n%s\n' "$title" "$output" >>"$BATS_FILE_TMPDIR/instant.txt"
		n=$((n + 1))
	done < <(dash_queries)
	[ "$n" -ge 12 ]
}

@test "every panel's query returns series over a range (promtool query range)" {
	local title expr now
	now=$(date +%s)
	while IFS=$'\t' read -r title expr; do
		run -0 promtool query range --start=$((now - 30)) --end="$now" \
			--step=1s "$GZ_PROM_URL" "$expr"
		[ -n "$output" ] || fail "panel '$title': no range series for: $expr"
	done < <(dash_queries)
}

@test "the dashboard's queries read only metrics gz exports, the rules record or the Pushgateway adds" {
	local name
	curl -sf "$GZ_PGW_URL/metrics" >"$BATS_TEST_TMPDIR/pushed"
	for name in $(jq -r '.panels[].targets[].expr' "$DASH" |
	    grep -oE '\bgz[_:][a-z_:]+|\bpush_time_seconds' | sort -u); do
		case $name in gz:*)
			grep -q "record: $name\$" "$GZ_ROOT/contrib/prometheus/gz-rules.yml" ||
				fail "$name is no recording rule of gz-rules.yml"
			continue ;;
		esac
		grep -q "^$name{" "$BATS_TEST_TMPDIR/pushed" ||
			fail "the dashboard uses $name, which no gz tool pushed"
	done
}
