"""TLS without a TLS library in natter: the recipe in doc/TLS.md, run
with the stunnel configurations in examples/ (ports and paths rewritten).
stunnel (server mode) listens on a loopback port with a self-signed
certificate made here by openssl and forwards to natterd; one person comes
in through `openssl s_client` verifying that certificate, the other
through stunnel in client mode; they log in and chat through TLS.
"""
import os
import re
import shutil
import socket
import subprocess

import harness as H


def need(prog):
    path = shutil.which(prog)
    if not path:
        raise H.Skip("%s is not installed (tests/deps.sh installs it)" % prog)
    return path


def self_signed(d):
    """A key and certificate for localhost and 127.0.0.1."""
    key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    p = subprocess.run(
        [need("openssl"), "req", "-x509", "-newkey", "ec",
         "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return key, cert


EXAMPLES = os.path.join(H.HERE, "..", "examples")


def stunnel_conf(path, example, subs):
    """examples/EXAMPLE with each (regex, replacement) applied (each must
    match: the example must keep saying what the test relies on), run in
    the foreground without a pid file."""
    with open(os.path.join(EXAMPLES, example)) as f:
        text = f.read()
    for pattern, repl in subs:
        text, n = re.subn(pattern, repl, text, flags=re.M)
        assert n == 1, "examples/%s no longer matches %r" % (example,
                                                             pattern)
    if not re.search(r"^foreground\s*=\s*yes", text, re.M):
        text = "foreground = yes\npid =\n" + text
    with open(path, "w") as f:
        f.write(text)


def server_conf(path, tls_port, natterd_port, cert, key):
    stunnel_conf(path, "stunnel-natter.conf", [
        (r"^(accept\s*=\s*)4121$", r"\g<1>127.0.0.1:%d" % tls_port),
        (r"^(connect\s*=\s*)127\.0\.0\.1:4120$",
         r"\g<1>127.0.0.1:%d" % natterd_port),
        (r"^(cert\s*=\s*)/etc/stunnel/natter\.pem$", r"\g<1>" + cert),
        (r"^(key\s*=\s*)/etc/stunnel/natter\.key$", r"\g<1>" + key),
    ])


def start_stunnel(conf, port):
    p = H.spawn([need("stunnel4"), conf], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    log = H.LogReader(p.stderr)
    log.wait(r"Configuration successful")
    H.wait_until(lambda: listens(port) or p.poll() is not None,
                 what="stunnel to listen")
    assert p.poll() is None, log.text()
    return p, log


def listens(port):
    want = ":%04X" % port
    with open("/proc/net/tcp") as f:
        return any(r.split()[1].endswith(want) and r.split()[3] == "0A"
                   for r in f.read().splitlines()[1:])


def s_client(port, cafile):
    """openssl s_client verifying the server, its stdin and stdout a
    socket pair whose other end is returned as a Conn."""
    mine, theirs = socket.socketpair()
    H.spawn([need("openssl"), "s_client", "-quiet", "-no_ign_eof",
             "-connect", "127.0.0.1:%d" % port, "-servername", "localhost",
             "-CAfile", cafile, "-verify_return_error",
             "-verify_hostname", "localhost"],
            stdin=theirs, stdout=theirs, stderr=subprocess.DEVNULL)
    theirs.close()
    return H.Conn(sock=mine)


def test_tls_through_stunnel():
    need("stunnel4")
    srv = H.Natterd()
    d = H.tmpdir()
    key, cert = self_signed(d)

    tls_port = H.free_port()
    conf = os.path.join(d, "server.conf")
    server_conf(conf, tls_port, srv.port, cert, key)
    start_stunnel(conf, tls_port)

    # What reaches the TLS port in the clear is not served in the clear.
    plain = H.Conn("127.0.0.1", tls_port)
    plain.send_line("ann")
    plain.expect_none("ID: ", within=0.5)
    plain.close()

    ann = s_client(tls_port, cert)
    ann.expect("ID: ", timeout=15)
    ann.send_line("ann")
    ann.expect("-----Chatting Room-----")

    # bob: a plain client to a local stunnel in client mode, which
    # verifies the server's certificate.
    local_port = H.free_port()
    client_conf = os.path.join(d, "client.conf")
    stunnel_conf(client_conf, "stunnel-client.conf", [
        (r"^(accept\s*=\s*)127\.0\.0\.1:4120$",
         r"\g<1>127.0.0.1:%d" % local_port),
        (r"^(connect\s*=\s*)chat\.example\.org:4121$",
         r"\g<1>127.0.0.1:%d" % tls_port),
        (r"^(CAfile\s*=\s*)natter\.pem$", r"\g<1>" + cert),
        (r"^(checkHost\s*=\s*)chat\.example\.org$", r"\g<1>localhost"),
    ])
    start_stunnel(client_conf, local_port)
    bob = H.Conn("127.0.0.1", local_port)
    bob.expect("ID: ", timeout=15)
    bob.send_line("bob")
    bob.expect("-----Chatting Room-----")

    ann.expect("[bob] has joined the chat")
    bob.send_line("hello over TLS")
    ann.expect("[bob] : hello over TLS")
    ann.send_line("hi bob, also TLS")
    bob.expect("[ann] : hi bob, also TLS")
    ann.send_line("/exit")
    ann.expect_closed()
    bob.expect("[ann] has left the chat")
    bob.send_line("/exit")
    bob.expect_closed()


def test_tls_refuses_unverified_server():
    """A client that checks the certificate refuses a server whose
    certificate it does not trust: what makes the recipe worth having.
    The positive control: the same client, trusting the server's own
    certificate, gets through to the same server, so the refusal is
    the certificate's doing, not a server that serves nobody."""
    need("stunnel4")
    srv = H.Natterd()
    d = H.tmpdir()
    key, cert = self_signed(d)
    other = os.path.join(d, "other")
    os.mkdir(other)
    _, wrong_ca = self_signed(other)
    tls_port = H.free_port()
    conf = os.path.join(d, "server.conf")
    server_conf(conf, tls_port, srv.port, cert, key)
    start_stunnel(conf, tls_port)
    c = s_client(tls_port, wrong_ca)
    c.expect_closed(timeout=15)
    assert "ID: " not in c.text, c.text
    ok = s_client(tls_port, cert)
    ok.expect("ID: ", timeout=15)
    ok.close()
