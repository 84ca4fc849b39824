"""The Debian package: `dpkg-buildpackage -us -uc -b` in a copy of the
tree builds natter_VERSION_ARCH.deb; unpacked with `dpkg -x` into a
scratch root it has the programs where natterd looks for them, the
pages, the units, the examples and the logrotate file, and its natterd
serves a chat with its own natter-session; lintian finds no error or
warning.  Nothing is built in the checkout.
"""
import glob
import os
import re
import shutil
import subprocess

import harness as H

REPO = os.path.abspath(os.path.join(H.HERE, ".."))
LAYOUT = {  # path in the package: mode
    "usr/sbin/natterd": 0o755,
    "usr/bin/natter": 0o755,
    "usr/bin/natter-passwd": 0o755,
    "usr/libexec/natter/natter-session": 0o755,
    "usr/libexec/natter/natter-broker": 0o755,
    "usr/share/man/man8/natterd.8.gz": 0o644,
    "usr/share/man/man8/natter-broker.8.gz": 0o644,
    "usr/share/man/man8/natter-session.8.gz": 0o644,
    "usr/share/man/man1/natter.1.gz": 0o644,
    "usr/share/man/man1/natter-passwd.1.gz": 0o644,
    "usr/share/man/man5/natter-users.5.gz": 0o644,
    "usr/share/doc/natter/copyright": 0o644,
    "usr/share/doc/natter/README.Debian": 0o644,
    "usr/share/doc/natter/examples/natterd.service": 0o644,
    "usr/share/doc/natter/examples/inetd.conf": 0o644,
    "etc/logrotate.d/natter": 0o644,
    "lib/systemd/system/natterd.service": 0o644,
    "lib/systemd/system/natterd.socket": 0o644,
    "lib/systemd/system/natter-broker.service": 0o644,
    "lib/systemd/system/natter.socket": 0o644,
    "lib/systemd/system/natter@.service": 0o644,
}


def need(prog):
    path = shutil.which(prog)
    if not path:
        raise H.Skip("%s is not installed (tests/deps.sh installs it)"
                     % prog)
    return path


def source_copy(dest):
    """The tree's files (tracked and new, not ignored: no build output)
    copied to dest."""
    try:
        out = subprocess.run(["git", "-C", REPO, "ls-files", "-z", "-co",
                              "--exclude-standard"], capture_output=True,
                             check=True, timeout=30).stdout
        files = [f for f in out.decode().split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = None
    if not files:  # not a git checkout: everything but the build trees
        shutil.copytree(REPO, dest, symlinks=True, ignore=shutil.
                        ignore_patterns("build*", ".git"))
        return
    for f in files:
        src = os.path.join(REPO, f)
        if not os.path.lexists(src):
            continue  # deleted, not yet committed
        os.makedirs(os.path.dirname(os.path.join(dest, f)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, f), follow_symlinks=False)


def build_package():
    """Builds in a copy; returns the directory holding the .deb."""
    dpkg_buildpackage = need("dpkg-buildpackage")
    need("dh")
    work = H.tmpdir()
    src = os.path.join(work, "natter")
    source_copy(src)
    env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=2")
    for var in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "NATTER_BUILD"):
        env.pop(var, None)
    p = subprocess.run([dpkg_buildpackage, "-us", "-uc", "-b"], cwd=src,
                       capture_output=True, text=True, timeout=100, env=env)
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    return work


def version():
    with open(os.path.join(REPO, "debian", "changelog")) as f:
        return re.match(r"natter \(([^)]+)\)", f.readline()).group(1)


def installed_natterd_serves(root):
    """The package's natterd, run from the scratch root, finds the
    package's natter-session (../libexec/natter) and serves a chat."""
    sock = os.path.join(H.tmpdir(), "run", "broker.sock")
    d = H.spawn([os.path.join(root, "usr", "sbin", "natterd"), "-f",
                 "-l", "127.0.0.1:0", "-s", sock,
                 "-D", os.path.join(os.path.dirname(os.path.dirname(sock)),
                                    "state")],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    log = H.LogReader(d.stderr)
    port = int(log.wait(r"listening on \S+:(\d+)").group(1))
    log.wait(r"handler %s$" % re.escape(os.path.join(
        root, "usr", "libexec", "natter", "natter-session")))
    c = H.Conn("127.0.0.1", port)
    c.expect("ID: ")
    c.send_line("ann")
    c.expect("-----Chatting Room-----")
    c.close()
    d.terminate()
    assert d.wait(timeout=H.DEFAULT_TIMEOUT) == 0, log.text()


def check_layout(root):
    problems = []
    for rel, mode in sorted(LAYOUT.items()):
        path = os.path.join(root, rel)
        if not os.path.isfile(path):
            problems.append("missing " + rel)
        elif os.stat(path).st_mode & 0o7777 != mode:
            problems.append("%s has mode %o" % (rel, os.stat(path).st_mode
                                                & 0o7777))
    for unit in glob.glob(os.path.join(root, "lib/systemd/system/*")):
        with open(unit) as f:
            text = f.read()
        if "/usr/local" in text:
            problems.append("%s names /usr/local" % unit)
    with open(os.path.join(root, "lib/systemd/system/natterd.service")) as f:
        text = f.read()
    for want in ("ExecStart=/usr/sbin/natterd -f ", "Type=notify",
                 "KillMode=mixed", "User=natter"):
        if want not in text:
            problems.append("natterd.service lacks %r" % want)
    assert not problems, "\n".join(problems)


def check_scripts(deb):
    """postinst makes the natter user and /etc/natter with its users
    file; postrm removes /etc/natter on purge only; both are sh."""
    ctl = H.tmpdir()
    subprocess.run(["dpkg-deb", "-e", deb, ctl], check=True, timeout=30)
    with open(os.path.join(ctl, "postinst")) as f:
        post = f.read()
    assert "adduser --system" in post and "/etc/natter/users" in post, post
    # an upgrade: SIGUSR2 to natterd alone, no restart (dh's snippets)
    assert "systemctl kill --kill-who=main -s USR2 natterd.service" in post
    assert "restart" not in post.replace("no-restart", ""), post
    with open(os.path.join(ctl, "postrm")) as f:
        rm = f.read()
    purge = rm.split('if [ "$1" = purge ]; then', 1)
    assert len(purge) == 2 and "rm -rf /etc/natter" in purge[1].split(
        "fi", 1)[0], rm
    code = [l for l in rm.splitlines() if not l.lstrip().startswith("#")]
    assert sum("/etc/natter" in l for l in code) == 1, rm
    for script in ("postinst", "postrm"):
        subprocess.run(["sh", "-n", os.path.join(ctl, script)], check=True,
                       timeout=10)


def test_debian_package():
    work = build_package()
    arch = subprocess.run(["dpkg", "--print-architecture"],
                          capture_output=True, text=True,
                          check=True).stdout.strip()
    deb = os.path.join(work, "natter_%s_%s.deb" % (version(), arch))
    assert os.path.exists(deb), os.listdir(work)
    root = os.path.join(work, "root")
    subprocess.run(["dpkg", "-x", deb, root], check=True, timeout=30)
    check_layout(root)
    check_scripts(deb)
    installed_natterd_serves(root)
    # lintian: no error and no warning (overrides only with a reason)
    lintian = need("lintian")
    changes = glob.glob(os.path.join(work, "natter_*.changes"))
    p = subprocess.run([lintian, "--fail-on", "none"] + changes,
                       capture_output=True, text=True, timeout=100)
    bad = [l for l in p.stdout.splitlines() if re.match(r"[EW]: ", l)]
    assert not bad, p.stdout + p.stderr
    # and the checkout holds no build output
    assert not os.path.exists(os.path.join(REPO, "debian", "natter"))
    assert not glob.glob(os.path.join(REPO, "debian", "*.debhelper*"))
