#!/bin/sh
# bench/deps.sh — installs the peers the benchmark measures natter
# against (tcpserver from ucspi-tcp, xinetd, ngircd), when missing, without
# starting their system services.  One script does it for the tests and
# the benchmark alike: tests/deps.sh.
exec sh "$(dirname "$0")/../tests/deps.sh"
