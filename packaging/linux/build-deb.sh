#!/bin/sh
# build-deb.sh VERSION BINARY OUTDIR — the .deb of lockwatch, from a staging
# tree with Debian's own dpkg-deb (no packager to download; lintian, the
# tool that judges the result, is Debian's too). BINARY is the GUI build.
# Depends comes from what BINARY really links (dpkg-shlibdeps reads its
# NEEDED entries and maps each library to its Debian package).
set -eu
version=$1 bin=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
stage=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$stage" "$work"' EXIT
umask 022
chmod 0755 "$stage" # mktemp's 0700 would become the mode of / in the package

install -D -m 0755 "$bin" "$stage/usr/bin/lockwatch"
install -D -m 0644 "$here/io.github.lockwatch.desktop" "$stage/usr/share/applications/io.github.lockwatch.desktop"
for size in 32 48 64 128 256 512; do
	dir=$stage/usr/share/icons/hicolor/${size}x${size}/apps
	mkdir -p "$dir"
	convert "$top/icons/app.png" -resize "${size}x${size}" -strip "$dir/io.github.lockwatch.png"
done
date=$(git -C "$top" log -1 --format=%cs 2>/dev/null || date -u +%F)
mkdir -p "$stage/usr/share/metainfo"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$date/" "$here/io.github.lockwatch.metainfo.xml" \
	>"$stage/usr/share/metainfo/io.github.lockwatch.metainfo.xml"
# Shipped disabled: `lockwatch service install` enables it per user.
install -D -m 0644 "$here/lockwatch.service" "$stage/usr/lib/systemd/user/lockwatch.service"
install -D -m 0644 "$here/lockwatch.1" "$stage/usr/share/man/man1/lockwatch.1"
gzip -9n "$stage/usr/share/man/man1/lockwatch.1"
doc=$stage/usr/share/doc/lockwatch
install -D -m 0644 "$top/README.md" "$doc/README.md"
install -m 0644 "$here/copyright" "$doc/copyright"
# A native package's changelog: this version, in Debian's format.
cat >"$work/changelog" <<EOF
lockwatch ($version) unstable; urgency=medium

  * Built from $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo "a source tree").

 -- The lockwatch authors <lockwatch@users.noreply.github.com>  $(date -u -R -d "$date")
EOF
gzip -9n -c "$work/changelog" >"$doc/changelog.gz"

# dpkg-shlibdeps wants a debian/control to read; it only needs the package's name.
mkdir -p "$work/debian"
printf 'Source: lockwatch\n\nPackage: lockwatch\nArchitecture: any\n' >"$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O -e "$stage/usr/bin/lockwatch" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "build-deb.sh: dpkg-shlibdeps found no dependencies of $bin" >&2; exit 1; }

mkdir -p "$stage/DEBIAN"
(cd "$stage" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$stage/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<EOF
Package: lockwatch
Version: $version
Architecture: $(dpkg --print-architecture)
Maintainer: The lockwatch authors <lockwatch@users.noreply.github.com>
Installed-Size: $size
Depends: $depends
Recommends: restic, fonts-noto-cjk
Suggests: prometheus
Section: utils
Priority: optional
Homepage: https://github.com/lockwatch/lockwatch
Description: keeps restic backups from silently stalling on stale locks
 When a backup is killed, a laptop sleeps mid-run or a network drops,
 restic's lock stays behind and every later backup, forget and prune
 fails with "repository is already locked". lockwatch notices first: it
 judges every lock of every configured repository (live, fresh, orphaned,
 expired, unrefreshed, invalid) with a reason a person understands, shows
 the worst state in the tray, and removes stale locks in one click or by
 itself where auto-unlock is on.
 .
 It also finds the repositories Backrest, resticprofile, autorestic,
 systemd and cron use, and offers Prometheus metrics and alert rules.
EOF
mkdir -p "$out"
deb=$out/lockwatch_${version}_$(dpkg --print-architecture).deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
