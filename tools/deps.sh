#!/usr/bin/env bash
# deps.sh - install the Debian packages that building, testing and
# benchmarking pg_jobmon need, and only those that are missing.
#
# As root apt-get runs directly; otherwise through sudo.  The package list
# is the single place that says what a fresh Debian 12 machine lacks.
set -euo pipefail

PG_MAJOR=${PG_MAJOR:-15}
packages=(
	"postgresql-$PG_MAJOR"
	"postgresql-server-dev-$PG_MAJOR"
	"postgresql-contrib"			# dblink
	"postgresql-$PG_MAJOR-cron"
	"postgresql-$PG_MAJOR-pgtap"
	libtap-parser-sourcehandler-pgtap-perl	# pg_prove
	check					# C unit tests
	clang					# libFuzzer
	gcc make
)
# The cron differential test and bench run croner under Node.js; a machine
# that already has node and npm (from any source) keeps them.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
