#!/bin/sh
# contrib/deb/build.sh VERSION OUTDIR: the Debian package of gz, built with
# dpkg-deb from `make install PREFIX=/usr` into a staging root (no
# debhelper).  Called by `make deb` after `make all`; prints the .deb's path.
#
#   /usr/bin                        the four tools and gz-pipeline
#   /usr/share/man/man1, man7       the man pages, gzipped
#   /usr/share/bash-completion/completions   one name per command
#   /usr/share/gz/grafana, prometheus        dashboard, provisioning, rules
#   /lib/systemd/system             gz-worker@ and gz-backlog units (not enabled)
#   /usr/share/doc/gz/examples      the cron file and the Kubernetes Jobs
#
# Depends: the shared libraries' packages (dpkg-shlibdeps) and the programs
# the tools run: pdftotext (poppler-utils), antiword and catdoc (gz-extract),
# tesseract's Portuguese model (tesseract-ocr-por, gz-extract's OCR),
# jq (gz-pipeline; its flock is in util-linux, which is Essential).
set -eu

version=$1
out=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
arch=$(dpkg --print-architecture)
# A git describe suffix (1.2.0-3-gabc1234) is no Debian revision: this is a
# native package, so its hyphens become pluses.
debversion=$(printf '%s' "$version" | tr - +)

mkdir -p "$out"
out=$(cd "$out" && pwd)
stage="$out/root"
rm -rf "$stage"
make -C "$root" --no-print-directory -s install DESTDIR="$stage" PREFIX=/usr >/dev/null

# Binaries stripped of debugging symbols, as Debian ships them.
for t in gz-list gz-fetch gz-extract gz-split gz-index gz-search; do
	strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	    "$stage/usr/bin/$t"
done
gzip -9n "$stage"/usr/share/man/man1/*.1 "$stage"/usr/share/man/man7/*.7

# Units where systemd finds them; the examples with the docs.
mkdir -p "$stage/lib/systemd/system" "$stage/usr/share/doc/gz/examples"
mv "$stage"/usr/share/gz/systemd/* "$stage/lib/systemd/system/"
mv "$stage/usr/share/gz/cron" "$stage/usr/share/gz/kubernetes" \
    "$stage/usr/share/doc/gz/examples/"
rmdir "$stage/usr/share/gz/systemd"
install -m 644 "$root/contrib/deb/copyright" "$stage/usr/share/doc/gz/copyright"
gzip -9n <"$root/README.md" >"$stage/usr/share/doc/gz/README.md.gz"
# A native package's changelog: this version, dated by the last commit.
date=$(git -C "$root" log -1 --format=%cD 2>/dev/null || date -R)
commit=$(git -C "$root" log -1 --format=%h 2>/dev/null || echo unknown)
printf 'gz (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- gz maintainers <gz@querido-diario.invalid>  %s\n' \
    "$debversion" "$commit" "$date" | gzip -9n >"$stage/usr/share/doc/gz/changelog.gz"

# Depends from the binaries' shared libraries; dpkg-shlibdeps wants a
# debian/control to read, even an empty one.
work="$out/shlibs"
rm -rf "$work"
mkdir -p "$work/debian"
printf 'Source: gz\n\nPackage: gz\nArchitecture: any\n' >"$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O -e"$stage"/usr/bin/gz-list \
    -e"$stage"/usr/bin/gz-fetch -e"$stage"/usr/bin/gz-extract \
    -e"$stage"/usr/bin/gz-index 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
rm -rf "$work"
[ -n "$shlibs" ] || { echo "build.sh: dpkg-shlibdeps found no libraries" >&2; exit 1; }

find "$stage" -type d -exec chmod 755 {} +
mkdir -p "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$debversion/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
    -e "s/@SHLIBS@/$shlibs/" "$root/contrib/deb/control.in" >"$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
    LC_ALL=C sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"

deb="$out/gz_${debversion}_$arch.deb"
SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s) \
    dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
rm -rf "$stage"
echo "$deb"
