#!/usr/bin/env bash
# Fetch Debian 13's restic (0.18, a static Go binary that runs on Debian 12)
# into a cache folder, without touching the system's apt setup: a private
# sources list, lists dir and cache, then `apt-get download` and
# `dpkg-deb -x`. Prints the binary's path. The tests that drive restic run
# a second time with it (make test), since users run 0.17–0.19.
#
#   .ci/restic-trixie.sh [CACHE_DIR]     default: ~/.cache/lockwatch/restic-trixie
set -euo pipefail
dir="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/lockwatch/restic-trixie}"
bin="$dir/root/usr/bin/restic"
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
cd "$dir"
echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main' >sources.list
apt_opts=(
	-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
	-o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq
)
apt-get "${apt_opts[@]}" update >&2
rm -f restic_*.deb
apt-get "${apt_opts[@]}" download restic >&2
rm -rf root.new
dpkg-deb -x restic_*.deb root.new
"root.new/usr/bin/restic" version >&2
rm -rf root lists cache
mv root.new root
echo "$bin"
