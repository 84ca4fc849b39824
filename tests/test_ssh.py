"""The SSH front door: a real sshd (Debian's openssh-server), started by
the test on a free loopback port with its own config, host key and
authorized_keys, runs `natter-session -n ann` as the key's forced
command; ann chats without a password with bob, who came in through
natterd.  -n is refused where a network peer reaches natter-session
directly (natterd, a TCP socket on fd 0).
"""
import os
import pwd
import shutil
import socket
import subprocess

import harness as H

SSHD = "/usr/sbin/sshd"


def need_sshd():
    if not os.access(SSHD, os.X_OK):
        raise H.Skip("sshd is not installed (tests/deps.sh installs "
                     "openssh-server)")
    for prog in ("ssh", "ssh-keygen"):
        if not shutil.which(prog):
            raise H.Skip("%s is not installed" % prog)


def keygen(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                    "natter-test", "-f", path], check=True,
                   timeout=H.DEFAULT_TIMEOUT, stdin=subprocess.DEVNULL)
    with open(path + ".pub") as f:
        return f.read().strip()


class Sshd:
    """sshd -D -e on 127.0.0.1:port, everything in its own directory;
    keys maps each client key's name to its forced command."""

    def __init__(self, commands):
        d = self.dir = H.tmpdir()
        os.chmod(d, 0o755)  # sshd checks the key files' directories
        host_key = os.path.join(d, "host_key")
        keygen(host_key)
        self.keys = {}
        lines = []
        for name, command in commands.items():
            key = os.path.join(d, "key_" + name)
            pub = keygen(key)
            self.keys[name] = key
            lines.append('command="%s",restrict %s' % (command, pub))
        auth = os.path.join(d, "authorized_keys")
        with open(auth, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(auth, 0o600)
        self.port = H.free_port()
        conf = os.path.join(d, "sshd_config")
        with open(conf, "w") as f:
            f.write("\n".join([
                "Port %d" % self.port, "ListenAddress 127.0.0.1",
                "HostKey " + host_key, "PidFile none",
                "AuthorizedKeysFile " + auth, "StrictModes no",
                "UsePAM no", "PasswordAuthentication no",
                "KbdInteractiveAuthentication no", "PubkeyAuthentication yes",
                "PermitRootLogin prohibit-password", "LogLevel VERBOSE",
                "Subsystem sftp internal-sftp", ""]))
        if os.getuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privsep
        p = subprocess.run([SSHD, "-t", "-f", conf], capture_output=True,
                           text=True, timeout=H.DEFAULT_TIMEOUT)
        assert p.returncode == 0, p.stderr
        self.proc = H.spawn([SSHD, "-D", "-e", "-f", conf],
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
        self.log = H.LogReader(self.proc.stderr)
        self.log.wait(r"Server listening on 127\.0\.0\.1 port %d" % self.port)

    def ssh(self, name, *args):
        """The person at the ssh client, on pipes (no terminal)."""
        user = pwd.getpwuid(os.getuid()).pw_name
        argv = ["ssh", "-T", "-i", self.keys[name], "-p", str(self.port),
                "-F", "/dev/null", "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "%s@127.0.0.1" % user] + list(args)
        p = H.spawn(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE)
        return p, H.LogReader(p.stdout), H.LogReader(p.stderr)


def test_ssh_forced_command_logs_in_by_key():
    """ssh with ann's key logs in as ann (no ID:, no PW:, though natterd
    asks passwords of the others), chats with bob, and leaves with
    /exit; a second ssh as ann meanwhile is told the name is in use."""
    need_sshd()
    users = os.path.join(H.tmpdir(), "users")
    subprocess.run([H.bin_path("natter-passwd"), "-f", users, "bob"],
                   input=b"bob-pw\n", check=True, timeout=H.DEFAULT_TIMEOUT)
    d = H.Natterd("-U", users)
    session = H.bin_path("natter-session")
    sshd = Sshd({"ann": "%s -n ann -b %s" % (session, d.sock)})
    ann, out, err = sshd.ssh("ann")
    out.wait(r"^Hello! This is natter\.")
    out.wait(r"-----Chatting Room-----")
    assert not any(l.startswith(("ID:", "PW:")) for l in out.lines), \
        out.lines
    bob = d.login("bob", "bob-pw")
    out.wait(r"\[bob\] has joined the chat")
    bob.send_line("hello from bob over ssh")
    out.wait(r"^\[bob\] : hello from bob over ssh\r$")
    ann.stdin.write(b"hi bob, no password here\n")
    ann.stdin.flush()
    bob.expect("[ann] : hi bob, no password here")
    # the broker saw the ssh client's address (SSH_CLIENT)
    d.log.wait(r"natterd-broker\[\d+\]: login ann from 127\.0\.0\.1 "
               r"port \d+")
    # a second ann: refused, and the session ends (no other name asked)
    again, out2, _ = sshd.ssh("ann")
    out2.wait(r"\*\*\* ann is already logged in elsewhere; log out there "
              r"first\.")
    assert again.wait(timeout=H.DEFAULT_TIMEOUT) == 0
    assert not any("ID:" in l for l in out2.lines), out2.lines
    ann.stdin.write(b"/exit\n")
    ann.stdin.flush()
    assert ann.wait(timeout=H.DEFAULT_TIMEOUT) == 0, err.text()
    bob.expect("[ann] has left the chat")
    bob.close()


def test_n_refused_from_the_network():
    """Under natterd (PROTO=TCP) natter-session -n never logs anyone in:
    the connection ends at once, and the log says why; with a TCP
    connection on fd 0 and no variable (inetd), the same."""
    session = H.bin_path("natter-session")
    d = H.Natterd(handler=[session, "-n", "ann"])
    c = d.connect()
    c.expect_closed()
    assert "ann" not in c.text, c.text
    d.log.wait(r"natter-session\[\d+\]: -n ann refused: PROTO is set")
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen()
    peer = socket.create_connection(lst.getsockname())
    conn, _ = lst.accept()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PROTO", "TCPREMOTEIP")}
    env.update(NATTER_LOG="stderr", NATTER_BROKER=d.sock)
    p = subprocess.run([session, "-n", "ann"], stdin=conn, stdout=conn,
                       stderr=subprocess.PIPE, env=env,
                       timeout=H.DEFAULT_TIMEOUT)
    assert p.returncode == 100, p
    assert b"-n ann refused: fd 0 is a TCP connection" in p.stderr, p.stderr
    conn.close()
    peer.settimeout(H.DEFAULT_TIMEOUT)
    assert peer.recv(100) == b""  # not a byte to the peer
    # a bad name is a usage error too
    p = subprocess.run([session, "-n", "no such"], capture_output=True,
                       env=dict(env, NATTER_LOG="stderr"),
                       stdin=subprocess.DEVNULL, timeout=H.DEFAULT_TIMEOUT)
    assert p.returncode == 100 and b'bad -n name "no such"' in p.stderr, p
