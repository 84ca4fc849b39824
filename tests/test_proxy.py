"""The PROXY protocol (HAProxy's versions 1 and 2) on a natterd listener
marked -l proxy:ADDR:PORT: the client's address from the header reaches
the limits, the log and the handler's TCPREMOTEIP; bytes after the
header reach the handler; a malformed, oversized, late or untrusted
header is refused with one log line.  Behind a real stunnel with
`protocol = proxy`, the address natterd logs is the TLS client's.
"""
import os
import re
import shutil
import socket
import ssl
import struct
import subprocess

import harness as H
from test_tls import self_signed, listens

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def proxy_natterd(*args, handler=None):
    d = H.Natterd("-l", "proxy:127.0.0.1:0", *args, handler=handler)
    d.pport = int(d.log.wait(
        r"listening on 127\.0\.0\.1:(\d+) \(PROXY protocol").group(1))
    return d


def v2(src, dst, sport, dport, cmd=1, tlv=b""):
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    addrs = (socket.inet_pton(fam, src) + socket.inet_pton(fam, dst) +
             struct.pack(">HH", sport, dport) + tlv)
    famproto = 0x21 if fam == socket.AF_INET6 else 0x11
    return SIG + bytes([0x20 | cmd, famproto]) + struct.pack(
        ">H", len(addrs)) + addrs


def test_v1_and_v2_give_the_client_address():
    """A v1 line and a v2 header (IPv6, with a TLV, the first line in
    the same packet) each log the person in from the address they
    carry; the handler's TCPREMOTEIP/TCPLOCALIP say it too."""
    d = proxy_natterd()
    a = H.Conn("127.0.0.1", d.pport)
    a.send(b"PROXY TCP4 192.0.2.7 198.51.100.1 5555 4120\r\n")
    a.expect("ID: ")
    a.send_line("ann")
    a.expect("-----Chatting Room-----")
    d.log.wait(r"natterd-broker\[\d+\]: login ann from 192\.0\.2\.7 port "
               r"5555$")
    b = H.Conn("127.0.0.1", d.pport)
    b.send(v2("2001:db8::5", "2001:db8::1", 6000, 4120,
              tlv=b"\x04\x00\x03abc") + b"bob\r\n")
    b.expect("-----Chatting Room-----")
    d.log.wait(r"natterd\[\d+\]: connection from \[2001:db8::5\]:6000 ")
    d.log.wait(r"login bob from 2001:db8::5 port 6000$")
    # LOCAL (a proxy's health check): the connection's own address
    c = H.Conn("127.0.0.1", d.pport)
    c.send(SIG + b"\x20\x00\x00\x00")
    c.expect("ID: ")
    d.log.wait(r"natterd\[\d+\]: connection from 127\.0\.0\.1:\d+ pid")
    for x in (a, b, c):
        x.close()
    e = proxy_natterd(handler=["/bin/sh", "-c",
                               'echo "$TCPREMOTEIP $TCPREMOTEPORT '
                               '$TCPLOCALIP $TCPLOCALPORT"'])
    f = H.Conn("127.0.0.1", e.pport)
    f.send(b"PROXY TCP4 192.0.2.9 203.0.113.4 1234 4120\r\n")
    f.expect("192.0.2.9 1234 203.0.113.4 4120")


def test_header_in_pieces():
    """A header that comes a few bytes at a time is waited for (the
    loop goes on serving), then admitted."""
    d = proxy_natterd()
    a = H.Conn("127.0.0.1", d.pport)
    for piece in (b"PRO", b"XY TCP4 192.0.2.", b"8 127.0.0.1 77", b"7 4120",
                  b"\r", b"\n"):
        a.send(piece)
        other = d.login("bob") if piece == b"PRO" else None
        if other:
            other.close()
    a.expect("ID: ")
    d.log.wait(r"connection from 192\.0\.2\.8:777 ")


def test_limits_count_the_client_address():
    """-p 1: a second session from one client address (through the same
    proxy) is refused; another address is admitted."""
    d = proxy_natterd("-p", "1")
    a = H.Conn("127.0.0.1", d.pport)
    a.send(b"PROXY TCP4 192.0.2.7 127.0.0.1 5555 4120\r\n")
    a.expect("ID: ")
    b = H.Conn("127.0.0.1", d.pport)
    b.send(b"PROXY TCP4 192.0.2.7 127.0.0.1 5556 4120\r\n")
    b.expect("too many connections from your address")
    b.expect_closed()
    c = H.Conn("127.0.0.1", d.pport)
    c.send(b"PROXY TCP4 192.0.2.99 127.0.0.1 5557 4120\r\n")
    c.expect("ID: ")
    d.log.wait(r"refused 192\.0\.2\.7:5556: ")


BAD = [
    (b"GET / HTTP/1.0\r\n\r\n", "malformed"),
    (b"PROXY TCP4 192.0.2.7 127.0.0.1 5555\r\n", "malformed"),
    (b"PROXY TCP4 ::1 ::1 5555 4120\r\n", "malformed"),
    (b"PROXY TCP4 192.0.2.7 127.0.0.1 65536 4120\r\n", "malformed"),
    (b"PROXY TCP6 " + b"1" * 120 + b"\r\n", "oversized"),
    (SIG + b"\x21\x11" + struct.pack(">H", 4000) + b"x" * 600, "oversized"),
    (SIG + b"\x31\x11\x00\x0c" + b"x" * 12, "malformed"),
    (SIG + b"\x21\x11\x00\x04" + b"xxxx", "malformed"),
]


def test_bad_headers_refused_with_one_line():
    """Malformed and oversized headers: the connection closed, nothing
    shown to it, one log line each; the service goes on."""
    d = proxy_natterd()
    for data, _ in BAD:
        c = H.Conn("127.0.0.1", d.pport)
        c.send(data)
        c.expect_closed()
        assert c.text == "", (data, c.text)
    H.wait_until(lambda: len([l for l in d.log.lines
                              if "PROXY connection" in l]) == len(BAD))
    lines = [l for l in d.log.lines if "PROXY connection" in l]
    assert all(re.search(r"from 127\.0\.0\.1:\d+ refused: malformed or "
                         r"oversized header$", l) for l in lines), lines
    d.login("ann").close()  # a plain listener still serves


def test_late_header_refused():
    """A connection that sends no header is closed after the wait
    (5 s), with one line; others are served meanwhile."""
    d = proxy_natterd()
    c = H.Conn("127.0.0.1", d.pport)
    c.send(b"PROXY TCP4 ")
    d.login("ann").close()
    c.expect_closed(timeout=8)
    d.log.wait(r"refused: no complete header in time")


def other_local_address():
    """A non-loopback address of this host, or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # no packet is sent
        ip = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if ip.startswith("127.") else ip


def test_untrusted_proxy_refused():
    """A PROXY listener takes headers from loopback only: a connection
    from another address is closed with one line, header or not."""
    ip = other_local_address()
    if not ip:
        raise H.Skip("this host has no non-loopback IPv4 address")
    d = H.Natterd("-l", "proxy:%s:0" % ip, listen=None, wait=False)
    port = int(d.log.wait(r"listening on %s:(\d+) \(PROXY" % re.escape(ip))
               .group(1))
    c = H.Conn(ip, port)
    c.send(b"PROXY TCP4 192.0.2.7 127.0.0.1 5555 4120\r\n")
    c.expect_closed()
    d.log.wait(r"PROXY connection from %s:\d+ refused: not from a trusted "
               r"address \(loopback\)" % re.escape(ip))


def test_behind_stunnel_protocol_proxy():
    """stunnel (TLS, `protocol = proxy`) in front of a PROXY listener:
    natterd logs the TLS client's own address and port."""
    stunnel = shutil.which("stunnel4") or shutil.which("stunnel")
    if not stunnel:
        raise H.Skip("stunnel4 is not installed (tests/deps.sh)")
    d = proxy_natterd()
    tmp = H.tmpdir()
    key, cert = self_signed(tmp)
    tls_port = H.free_port()
    conf = os.path.join(tmp, "stunnel.conf")
    with open(conf, "w") as f:
        f.write("foreground = yes\npid =\n[natter-tls]\n"
                "accept = 127.0.0.1:%d\nconnect = 127.0.0.1:%d\n"
                "cert = %s\nkey = %s\nprotocol = proxy\n"
                % (tls_port, d.pport, cert, key))
    p = H.spawn([stunnel, conf], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    log = H.LogReader(p.stderr)
    H.wait_until(lambda: listens(tls_port) or p.poll() is not None,
                 what="stunnel to listen")
    assert p.poll() is None, log.text()
    ctx = ssl.create_default_context(cafile=cert)
    raw = socket.create_connection(("127.0.0.1", tls_port))
    me = raw.getsockname()[1]
    raw.settimeout(H.DEFAULT_TIMEOUT)
    tls = ctx.wrap_socket(raw, server_hostname="localhost")

    def read_until(want):
        got = b""
        while want not in got:
            data = tls.recv(4096)
            assert data, got
            got += data
    read_until(b"ID: ")
    tls.sendall(b"ann\r\n")
    read_until(b"-----Chatting Room-----")
    d.log.wait(r"login ann from 127\.0\.0\.1 port %d$" % me)
    tls.close()
