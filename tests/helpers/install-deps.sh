#!/bin/sh
# Installs what gz needs to build, test and run the demo on Debian 12, and
# nothing when it is all there already (so `make test` stays fast).  As root
# it uses apt-get directly; otherwise sudo, if there is one.
set -eu

# libclang-rt-14-dev: libFuzzer for `make fuzz` (clang only recommends it).
# lintian, man-db and systemd (systemd-analyze): `make deb` and its test.
PACKAGES="
build-essential pkg-config clang libclang-rt-14-dev
libcurl4-openssl-dev libpq-dev libjq-dev libmagic-dev zlib1g-dev
libzip-dev libxml2-dev libssl-dev libpoppler-cpp-dev libpcre2-dev
libtesseract-dev libleptonica-dev tesseract-ocr-por
postgresql-15 postgresql-client-15
poppler-utils catdoc antiword odt2txt docx2txt file
bats bats-assert bats-support bats-file jq curl
python3 python3-botocore python3-yaml python3-slugify
prometheus prometheus-pushgateway
mandoc time iproute2 procps util-linux
lintian man-db systemd
"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done

# Node.js may come from elsewhere than Debian (this image's does): ask for
# Debian's packages only when there is no node or npm at all.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
	echo "install-deps: installing:$missing"
	sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q
	# shellcheck disable=SC2086
	$sudo apt-get install -y -q --no-install-recommends $missing
fi

# s3rver (npm) lives in the project, not on the system.
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ -x "$root/tests/helpers/install-s3rver.sh" ] || [ -f "$root/tests/helpers/install-s3rver.sh" ]; then
	sh "$root/tests/helpers/install-s3rver.sh"
fi
