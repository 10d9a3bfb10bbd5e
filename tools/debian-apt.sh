# debian-apt.sh - sourced by the tools that install or fetch from Debian (deps.sh, pg18.sh,
# compile-check.sh): install missing packages, and use apt-get with private
# sources, lists and cache, leaving the machine's apt configuration alone.

# apt_install PACKAGE...: install those that are missing (through sudo
# unless root).
apt_install() {
	local missing=() p sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing ${missing[*]}"
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

# private_apt DIR TYPE SUITE...: a fresh private apt directory DIR whose
# (an absolute path: apt reads others from /) sources are the machine's Debian mirror, lines of TYPE (deb or deb-src)
# for each SUITE (component main), with its package lists updated; sets
# apt_opts, the options that make apt-get use it.  Downloads land in
# DIR/get, which apt's own user may write.
private_apt() {
	local dir=$1 type=$2 mirror suite
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg signed=""
	shift 2
	mirror=$(debian_mirror)
	if [ -z "$mirror" ]; then
		echo "found no Debian mirror in the machine's apt sources" >&2
		return 1
	fi
	[ -f "$keyring" ] && signed="[signed-by=$keyring] "
	rm -rf "$dir"
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/get"
	if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
		chown _apt "$dir/get"
	fi
	for suite in "$@"; do
		echo "$type $signed$mirror $suite main"
	done > "$dir/sources.list"
	apt_opts=(
		-o "Dir::Etc::SourceList=$dir/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::State::Lists=$dir/lists"
		-o "Dir::Cache=$dir/cache"
	)
	apt-get -q "${apt_opts[@]}" update >/dev/null
}
