#!/usr/bin/env bash
# pg18.sh - a PostgreSQL 18 to test against, in tmp/pg18 (ignored by git):
# built from the upstream tarball of Debian's source package postgresql-18
# (suite unstable, Debian's patches not applied), with contrib/dblink, which
# pg_jobmon requires, and pgTAP, whose files are plain SQL and are copied from
# Debian's postgresql-15-pgtap.  Then:
#
#   make test PG_CONFIG=tmp/pg18/bin/pg_config
#
# An existing build whose pg_config says 18.x is reused.  The source package
# is fetched with apt-get through a private sources list, package lists and
# cache under tmp/pg18-apt: the machine's apt configuration is not changed.
# The deb-src line uses the Debian mirror that the machine's sources name.
# Build dependencies are installed with apt-get (through sudo unless root);
# the rest needs no root.
# PG18_PREFIX changes where it goes.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
prefix=${PG18_PREFIX:-$top/tmp/pg18}
apt_dir=$top/tmp/pg18-apt
build_dir=$top/tmp/pg18-build

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# apt_install PACKAGE...: install those that are missing.
apt_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "pg18: installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# The Debian mirror of the machine's own apt sources.
debian_mirror() {
	local f
	{
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			sed -n 's/^[[:space:]]*deb\(-src\)\?[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\3/p' "$f"
		done
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n'
		done
	} | grep -E '^https?://[^/]+/(.*/)?debian/?$' | head -n 1 | sed 's|/$||' ||
		true
}

is_18() {
	[ -x "$prefix/bin/pg_config" ] &&
		"$prefix/bin/pg_config" --version | grep -q '^PostgreSQL 18[.a-z]' &&
		[ -f "$("$prefix/bin/pg_config" --sharedir)/extension/dblink.control" ]
}

if is_18; then
	echo "pg18: reusing $("$prefix/bin/pg_config" --version) in $prefix"
else
	# gcc, make, perl, bison and flex build the server; bzip2 unpacks the
	# tarball.  No readline, zlib, ICU or OpenSSL: none is needed here.
	apt_install gcc make perl bison flex bzip2 ca-certificates

	mirror=$(debian_mirror)
	if [ -z "$mirror" ]; then
		echo "pg18: found no Debian mirror in the machine's apt sources" >&2
		exit 1
	fi
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	rm -rf "$apt_dir"
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/src"
	# apt downloads as its own user where it can write.
	if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
		chown _apt "$apt_dir/src"
	fi
	if [ -f "$keyring" ]; then
		echo "deb-src [signed-by=$keyring] $mirror unstable main" > "$apt_dir/sources.list"
	else
		echo "deb-src $mirror unstable main" > "$apt_dir/sources.list"
	fi
	apt_opts=(
		-o "Dir::Etc::SourceList=$apt_dir/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::State::Lists=$apt_dir/lists"
		-o "Dir::Cache=$apt_dir/cache"
	)
	echo "pg18: fetching the source package postgresql-18 (unstable) from $mirror"
	# All in private directories: no root needed.
	apt-get -q "${apt_opts[@]}" update >/dev/null
	(cd "$apt_dir/src" && apt-get -q "${apt_opts[@]}" source -d postgresql-18 >/dev/null)
	tarball=$(ls "$apt_dir"/src/postgresql-18_*.orig.tar.* | head -n 1)
	[ -f "$tarball" ] || { echo "pg18: no upstream tarball fetched" >&2; exit 1; }

	rm -rf "$build_dir" "$prefix"
	mkdir -p "$build_dir"
	echo "pg18: building ${tarball##*/} into $prefix"
	tar -xf "$tarball" -C "$build_dir"
	src=$(ls -d "$build_dir"/postgresql-18*/ | head -n 1)
	cd "$src"
	./configure --prefix="$prefix" --without-icu --without-readline --without-zlib \
		--without-llvm --enable-debug >"$build_dir/configure.log" 2>&1 ||
		{ tail -n 30 "$build_dir/configure.log" >&2; exit 1; }
	make -s -j2 >"$build_dir/make.log" 2>&1 || { tail -n 40 "$build_dir/make.log" >&2; exit 1; }
	make -s install >>"$build_dir/make.log" 2>&1 || { tail -n 40 "$build_dir/make.log" >&2; exit 1; }
	make -s -C contrib/dblink install >>"$build_dir/make.log" 2>&1 ||
		{ tail -n 40 "$build_dir/make.log" >&2; exit 1; }
	cd "$top"
	rm -rf "$build_dir" "$apt_dir"
	is_18 || { echo "pg18: the build in $prefix is not a PostgreSQL 18 with dblink" >&2; exit 1; }
	echo "pg18: installed $("$prefix/bin/pg_config" --version) in $prefix"
fi

# pgTAP: plain SQL, so Debian's files for 15 serve 18 too.
apt_install postgresql-15-pgtap
extdir=$("$prefix/bin/pg_config" --sharedir)/extension
for f in /usr/share/postgresql/15/extension/pgtap*; do
	cmp -s "$f" "$extdir/${f##*/}" || cp "$f" "$extdir/"
done
echo "pg18: PG_CONFIG=$prefix/bin/pg_config"
