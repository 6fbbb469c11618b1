#!/bin/sh
# Installs s3rver 3.7.1 (npm) into the project-local .deps/node, the S3 that
# the tests run behind tests/doubles/s3proxy.py.  Does nothing when it is
# there already.  Works as root with no stdin and no TTY (CI): npm is told
# not to prompt, audit, fund or run install scripts as another user.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
prefix="$root/.deps/node"
bin="$prefix/node_modules/.bin/s3rver"
version=3.7.1

if [ -x "$bin" ] && [ -f "$prefix/node_modules/s3rver/package.json" ] &&
	grep -q "\"version\": \"$version\"" "$prefix/node_modules/s3rver/package.json"; then
	exit 0
fi

for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "install-s3rver: $tool is missing (tests/helpers/install-deps.sh installs it)" >&2
		exit 2
	fi
done

echo "install-s3rver: installing s3rver@$version into $prefix"
mkdir -p "$prefix"
# s3rver and its dependencies are plain JavaScript: --ignore-scripts runs no
# lifecycle script, so nothing runs as another user (npm does that as root)
# and nothing can wait for input.
npm install --prefix "$prefix" --no-audit --no-fund --no-update-notifier \
	--loglevel=error --ignore-scripts "s3rver@$version" </dev/null

if [ ! -x "$bin" ]; then
	echo "install-s3rver: npm finished but $bin is missing" >&2
	exit 3
fi
