#!/bin/sh
# tests/deps.sh — installs the Debian packages the super-server, telnet,
# TLS, Redis, man-page, Debian-package and SSH tests and the benchmark (its peers tcpserver, xinetd,
# ngircd and socat; bench/deps.sh runs this) need, when they are missing.
# Run as root on
# Debian 12 by .ci/run (CI=true, no stdin); safe to run again: when all is
# there it only looks and exits.
#
# No package's own service may start or stay running: the tests run their
# own instances with their own config files on free loopback ports.  So a
# policy-rc.d that answers 101 ("action forbidden") is in place during the
# installs, and afterwards any daemon the packages left running is stopped.
#
# Debian's openbsd-inetd and xinetd conflict, so xinetd is installed and
# openbsd-inetd's .deb is only unpacked into $NATTER_TEST_PKGS (default
# /var/cache/natter-tests), where tests/test_superservers.py finds
# openbsd-inetd/usr/sbin/inetd.
set -eu

PKGDIR=${NATTER_TEST_PKGS:-/var/cache/natter-tests}
INETD=$PKGDIR/openbsd-inetd/usr/sbin/inetd
export DEBIAN_FRONTEND=noninteractive
PATH=$PATH:/usr/sbin:/sbin	# xinetd is in sbin; CI's PATH may lack it

# command package: each line names a program and the package that has it.
wanted='
xinetd xinetd
tcpserver ucspi-tcp
systemd-socket-activate systemd
telnet telnet
stunnel4 stunnel4
openssl openssl
mandoc mandoc
ngircd ngircd
redis-server redis-server
dpkg-buildpackage dpkg-dev
dh debhelper
lintian lintian
fakeroot fakeroot
sshd openssh-server
socat socat
'

missing=$(printf '%s\n' "$wanted" | while read -r cmd pkg; do
	[ -n "$cmd" ] || continue
	command -v "$cmd" >/dev/null 2>&1 || printf '%s\n' "$pkg"
done)
[ -x "$INETD" ] || need_inetd=1

if [ -z "$missing" ] && [ -z "${need_inetd:-}" ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "tests/deps.sh: not root; cannot install:" $missing \
		${need_inetd:+openbsd-inetd} >&2
	exit 0	# the tests that need them say so and skip
fi

# Forbid service starts for the length of this script; a policy the
# machine already has is put back afterwards.
POLICY=/usr/sbin/policy-rc.d
SAVED=$POLICY.natter-tests-saved
cleanup() {
	rm -f "$POLICY"
	[ -e "$SAVED" ] && mv "$SAVED" "$POLICY"
	[ -n "${dl:-}" ] && rm -rf "$dl"
	return 0
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
[ -e "$POLICY" ] && [ ! -e "$SAVED" ] && mv "$POLICY" "$SAVED"
printf '#!/bin/sh\n# tests/deps.sh: no service starts while it installs\nexit 101\n' \
	>"$POLICY"
chmod 755 "$POLICY"

apt-get update -qq
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing </dev/null
fi

if [ -n "${need_inetd:-}" ]; then
	dl=$(mktemp -d)
	chown _apt "$dl" 2>/dev/null || true	# apt downloads as _apt
	(cd "$dl" && apt-get download -qq openbsd-inetd </dev/null)
	rm -rf "$PKGDIR/openbsd-inetd"
	mkdir -p "$PKGDIR"
	dpkg-deb -x "$dl"/openbsd-inetd_*.deb "$PKGDIR/openbsd-inetd"
	[ -x "$INETD" ] || { echo "tests/deps.sh: no $INETD" >&2; exit 1; }
fi

# A package that started its daemon anyway (no policy honoured, or a
# systemd that ran it) is stopped: only the tests' own instances may run.
for pidfile in /run/xinetd.pid /var/run/xinetd.pid /run/stunnel4/*.pid \
		/run/inetd.pid /run/ngircd/ngircd.pid /var/run/ngircd/ngircd.pid \
		/run/redis/redis-server.pid /run/sshd.pid; do
	[ -f "$pidfile" ] || continue
	pid=$(cat "$pidfile")
	case $pid in ''|*[!0-9]*) continue ;; esac
	kill "$pid" 2>/dev/null || true
	rm -f "$pidfile"
done
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	for unit in xinetd.service stunnel4.service ngircd.service \
		redis-server.service ssh.service ssh.socket; do
		systemctl stop "$unit" 2>/dev/null || true
		systemctl disable "$unit" 2>/dev/null || true
	done
fi
exit 0
