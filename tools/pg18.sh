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

. "$top/tools/debian-apt.sh"

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

	echo "pg18: fetching the source package postgresql-18 (unstable)"
	private_apt "$apt_dir" deb-src unstable
	(cd "$apt_dir/get" && apt-get -q "${apt_opts[@]}" source -d postgresql-18 >/dev/null)
	tarball=$(ls "$apt_dir"/get/postgresql-18_*.orig.tar.* | head -n 1)
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
