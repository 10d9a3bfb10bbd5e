#!/usr/bin/env bash
# compile-check.sh [MAJOR...] - compile the C of pg_jobmon against the
# server headers of other PostgreSQL major versions (default: 17 and 19),
# warnings as errors: the versions whose source this machine cannot get
# (only 18's is in Debian's pool: tools/pg18.sh) are compiled against, not
# run.  The headers come from Debian's package postgresql-server-dev-MAJOR
# (17 in trixie, 19 in experimental), fetched with a private apt directory
# (tools/debian-apt.sh) and unpacked into tmp/pg<MAJOR>-dev; the objects
# are thrown away.  16 is in no suite Debian still has.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. tools/debian-apt.sh

majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(17 19)
version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" pg_jobmon.control)

apt_install gcc libpq-dev dpkg
private_apt "$top/tmp/compile-check-apt" deb trixie sid experimental

status=0
for major in "${majors[@]}"; do
	dev=tmp/pg$major-dev
	if [ ! -d "$dev/usr/include/postgresql/$major/server" ]; then
		rm -rf "$dev"
		(cd tmp/compile-check-apt/get &&
			apt-get -q "${apt_opts[@]}" download "postgresql-server-dev-$major" >/dev/null)
		dpkg-deb -x tmp/compile-check-apt/get/postgresql-server-dev-"$major"_*.deb "$dev"
	fi
	# PostgreSQL's own warning flags, as PGXS passes them.
	failed=0
	for c in src/*.c; do
		gcc -c -o /dev/null -O2 -D_GNU_SOURCE -fno-strict-aliasing -fwrapv \
			-Wall -Wmissing-prototypes -Wpointer-arith -Wdeclaration-after-statement \
			-Werror=vla -Wendif-labels -Wmissing-format-attribute -Wimplicit-fallthrough=3 \
			-Wcast-function-type -Wformat-security -Werror \
			-I src -I "$dev/usr/include/postgresql/$major/server" -I /usr/include/postgresql \
			-DPG_JOBMON_VERSION="\"$version\"" "$c" || failed=1
	done
	if [ $failed -eq 0 ]; then
		echo "compile-check: PostgreSQL $major ($(sed -n 's/^#define PG_VERSION "\(.*\)"/\1/p' \
			"$dev/usr/include/postgresql/$major/server/pg_config.h")): compiles without warnings"
	else
		echo "compile-check: PostgreSQL $major: FAILED" >&2
		status=1
	fi
done
rm -rf tmp/compile-check-apt
exit $status
