#!/bin/sh
# What `make bench` needs beyond tests/helpers/install-deps.sh (which it runs
# first): psycopg2 for the baselines' database client, gnuplot for the chart.
# Installs nothing when all is there.  As root apt-get, otherwise sudo.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
sh "$root/tests/helpers/install-deps.sh"
missing=""
for p in python3-psycopg2 gnuplot-nox time bc; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "bench/install-deps: installing:$missing"
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q
	# shellcheck disable=SC2086
	$sudo apt-get install -y -q --no-install-recommends $missing
fi
