#!/bin/sh
# bench/deps.sh — installs the peers the benchmark measures natter
# against, when they are missing: tcpserver (ucspi-tcp), xinetd, ngircd.
# Run as root on Debian 12 by .ci/run (CI=true, no stdin), or by hand
# before `make bench`.  Idempotent: when all is there it only looks.
#
# No package's own service may start or stay running: the benchmark runs
# its own instances with its own config files on free loopback ports.  A
# policy-rc.d answering 101 ("action forbidden") is in place during the
# install (the machine's own is kept if it has one), and afterwards any
# daemon the packages left running is stopped, by the pid in its pid file.
set -eu
export DEBIAN_FRONTEND=noninteractive

# program package: each line names a program and the package that has it.
wanted='
tcpserver ucspi-tcp
xinetd xinetd
ngircd ngircd
'
PATH=$PATH:/usr/sbin:/sbin

missing=$(printf '%s\n' "$wanted" | while read -r cmd pkg; do
	[ -n "$cmd" ] || continue
	command -v "$cmd" >/dev/null 2>&1 || printf '%s\n' "$pkg"
done)
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "bench/deps.sh: not root; cannot install:" $missing >&2
	exit 0	# the benchmark and its smoke test say which peer is absent
fi

POLICY=/usr/sbin/policy-rc.d
made_policy=
if [ ! -e "$POLICY" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$POLICY"
	chmod 755 "$POLICY"
	made_policy=1
fi
cleanup() {
	[ -n "$made_policy" ] && rm -f "$POLICY"
	return 0
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing </dev/null

# A package that started its daemon anyway is stopped: only the
# benchmark's own instances may run.
for pidfile in /run/xinetd.pid /var/run/xinetd.pid /run/ngircd/ngircd.pid \
		/var/run/ngircd/ngircd.pid; do
	[ -f "$pidfile" ] || continue
	pid=$(cat "$pidfile")
	case $pid in ''|*[!0-9]*) continue ;; esac
	kill "$pid" 2>/dev/null || true
	rm -f "$pidfile"
done
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	for unit in xinetd.service ngircd.service; do
		systemctl stop "$unit" 2>/dev/null || true
		systemctl disable "$unit" 2>/dev/null || true
	done
fi
exit 0
