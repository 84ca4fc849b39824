"""The manual: every page lint-clean under mandoc, the four main pages
present with the sections a reader looks for, each program's options (as
its -h prints them) the same as its page's, and `make install` putting
programs and pages where they belong.
"""
import glob
import os
import re
import shutil
import subprocess

import harness as H

MAN = os.path.join(H.HERE, "..", "man")
REPO = os.path.abspath(os.path.join(H.HERE, ".."))
SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENVIRONMENT",
            "FILES", "EXIT STATUS", "EXAMPLES", "SEE ALSO"]
PAGES = {  # page: the program whose options it documents
    "natterd.8": "natterd",
    "natter-session.8": "natter-session",
    "natter.1": "natter",
    "natter-users.5": None,
}
OPTIONAL_PAGES = {"natter-passwd.1": "natter-passwd",
                  "natterctl.8": "natterctl"}


def mandoc():
    path = shutil.which("mandoc")
    if not path:
        raise H.Skip("mandoc is not installed (.ci/run installs it)")
    return path


def read(page):
    with open(os.path.join(MAN, page)) as f:
        return f.read()


def sections(text):
    return [m.group(1).strip().strip('"')
            for m in re.finditer(r"^\.Sh\s+(.*)$", text, re.M)]


def section_body(text, name):
    m = re.search(r"^\.Sh\s+\"?%s\"?\s*$(.*?)(?=^\.Sh\s|\Z)" % name, text,
                  re.M | re.S)
    return m.group(1) if m else ""


def usage_options(prog):
    """The option letters in prog's usage, as `prog -h` prints it."""
    # natter-session logs (its usage too) to syslog unless told otherwise.
    env = dict(os.environ, NATTER_LOG="stderr")
    p = subprocess.run([H.bin_path(prog), "-h"], capture_output=True,
                       text=True, timeout=H.DEFAULT_TIMEOUT,
                       stdin=subprocess.DEVNULL, env=env)
    out = p.stdout + p.stderr
    i = out.lower().find("usage:")
    assert i >= 0, "%s -h printed no usage: %r" % (prog, out)
    letters = set()
    # "-l addr", "[-fA]": a single dash then letters; "--" ends options.
    for m in re.finditer(r"(?<![\w-])-([A-Za-z0-9]+)", out[i:]):
        letters.update(m.group(1))
    assert letters, "no options found in %r" % out[i:]
    return letters


def page_options(text):
    """The option letters the page's OPTIONS list documents (.It Fl X)."""
    letters = set()
    for m in re.finditer(r"^\.It\s+Fl\s+([A-Za-z0-9]+)",
                         section_body(text, "OPTIONS"), re.M):
        letters.update(m.group(1))
    return letters


def synopsis_options(text):
    letters = set()
    for m in re.finditer(r"\bFl\s+([A-Za-z0-9]+)",
                         section_body(text, "SYNOPSIS")):
        letters.update(m.group(1))
    return letters


def test_mandoc_lint_clean():
    pages = sorted(glob.glob(os.path.join(MAN, "*.[1-8]")))
    assert pages, "no man pages in man/"
    p = subprocess.run([mandoc(), "-Tlint", "-Wwarning"] + pages,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and not (p.stdout + p.stderr).strip(), \
        p.stdout + p.stderr


def test_pages_have_sections():
    problems = []
    for page in PAGES:
        if not os.path.exists(os.path.join(MAN, page)):
            problems.append("man/%s is missing" % page)
            continue
        have = sections(read(page))
        missing = [s for s in SECTIONS if s not in have]
        if missing:
            problems.append("man/%s lacks %s" % (page, ", ".join(missing)))
        order = [s for s in have if s in SECTIONS]
        if order != sorted(order, key=SECTIONS.index):
            problems.append("man/%s: sections out of order: %s"
                            % (page, order))
    assert not problems, "\n".join(problems)


def test_options_match_usage():
    """Each option the program's usage shows is in its page's SYNOPSIS and
    OPTIONS, and the page documents no option the program lacks."""
    problems = []
    pages = dict(PAGES)
    pages.update({p: prog for p, prog in OPTIONAL_PAGES.items()
                  if os.path.exists(os.path.join(MAN, p))})
    for page, prog in sorted(pages.items()):
        if prog is None:
            continue
        if not os.path.exists(os.path.join(MAN, page)):
            problems.append("man/%s is missing" % page)
            continue
        text = read(page)
        used = usage_options(prog)
        listed = page_options(text)
        synopsis = synopsis_options(text)
        for what, letters in (("OPTIONS", listed), ("SYNOPSIS", synopsis)):
            if used - letters:
                problems.append("man/%s %s lacks -%s (in %s -h)" % (
                    page, what, " -".join(sorted(used - letters)), prog))
            if letters - used:
                problems.append("man/%s %s has -%s, not in %s -h" % (
                    page, what, " -".join(sorted(letters - used)), prog))
    assert not problems, "\n".join(problems)


def make_install(prefix):
    """Runs make install DESTDIR=tmp PREFIX=prefix from a copy of this
    build (install depends on `all`, up to date in the copy; anything it
    would rebuild is rebuilt there, never under the other tests' feet).
    Returns DESTDIR."""
    make = shutil.which("make")
    if not make:
        raise H.Skip("make is not installed")
    work = H.tmpdir()
    build = os.path.join(work, "build")
    shutil.copytree(os.path.abspath(H.BUILD), build, symlinks=True)
    dest = os.path.join(work, "dest")
    env = dict(os.environ)
    env.pop("MAKEFLAGS", None)
    env.pop("MAKELEVEL", None)
    p = subprocess.run([make, "-C", REPO, "install", "DESTDIR=" + dest,
                        "PREFIX=" + prefix, "BUILD=" + build],
                       capture_output=True, text=True, timeout=100, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    return dest


def test_make_install():
    """make install DESTDIR=... PREFIX=/usr places the programs and pages,
    and the natterd it installs runs the natter-session it installs."""
    dest = make_install("/usr")
    root = os.path.join(dest, "usr")
    progs = {"sbin/natterd": "natterd", "bin/natter": "natter",
             "bin/natter-passwd": "natter-passwd",
             "libexec/natter/natter-session": "natter-session"}
    for rel in progs:
        path = os.path.join(root, rel)
        assert os.access(path, os.X_OK), "%s not installed" % rel
        p = subprocess.run([path, "-h"], capture_output=True, text=True,
                           timeout=H.DEFAULT_TIMEOUT,
                           stdin=subprocess.DEVNULL,
                           env=dict(os.environ, NATTER_LOG="stderr"))
        assert "usage:" in (p.stdout + p.stderr), "%s -h: %r" % (
            rel, p.stdout + p.stderr)
    for page in PAGES:
        sec = page.rsplit(".", 1)[1]
        path = os.path.join(root, "share", "man", "man" + sec, page)
        assert os.path.exists(path), "%s not installed" % path
        with open(path) as f:
            assert f.read() == read(page), path
    # Nothing outside PREFIX.
    assert os.listdir(dest) == ["usr"], os.listdir(dest)
    installed_natterd_runs_installed_session(root)


def installed_natterd_runs_installed_session(root):
    """The installed natterd, started from where install put it, serves a
    person with the natter-session install put beside it."""
    session = os.path.realpath(
        os.path.join(root, "libexec", "natter", "natter-session"))
    sock = os.path.join(H.tmpdir(), "run", "broker.sock")
    d = H.spawn([os.path.join(root, "sbin", "natterd"), "-f",
                 "-l", "127.0.0.1:0", "-s", sock, "-D",
                 os.path.join(os.path.dirname(os.path.dirname(sock)),
                              "state")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
    log = H.LogReader(d.stderr)
    port = int(log.wait(r"listening on \S+:(\d+)").group(1))
    c = H.Conn("127.0.0.1", port)
    c.expect("ID: ")

    def session_exes():
        exes = set()
        for pid, _ in H.children_of(d.pid):
            try:
                exes.add(os.path.realpath("/proc/%d/exe" % pid))
            except OSError:
                pass
        return exes
    H.wait_until(lambda: session in session_exes(),
                 what="a child of the installed natterd running " + session)
    broker = os.path.realpath(
        os.path.join(root, "libexec", "natter", "natter-broker"))
    assert broker in session_exes(), session_exes()
    c.close()
