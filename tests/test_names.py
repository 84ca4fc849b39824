"""natterd -N (supervisor/resolve.h): each peer's host name, reverse
then forward confirmed, for the log and the handler's TCPREMOTEHOST,
found in the launchers within RESOLVE_TIMEOUT_MS."""
import os
import re
import time

import harness as H


def env_handler():
    """A handler that prints its environment to its peer and leaves."""
    path = os.path.join(H.tmpdir(), "printenv")
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexec env\n")
    os.chmod(path, 0o755)
    return path


def handler_env(d):
    c = d.connect()
    c.expect_closed()
    return dict(line.split("=", 1) for line in c.text.splitlines()
                if "=" in line)


def test_names_loopback_is_localhost():
    d = H.Natterd("-N", handler=[env_handler()])
    env = handler_env(d)
    assert env.get("TCPREMOTEHOST") == "localhost", env
    assert env["TCPREMOTEIP"] == "127.0.0.1"
    port = env["TCPREMOTEPORT"]
    d.log.wait(r"127\.0\.0\.1:%s is localhost" % port)
    assert d.stop() == 0


def test_names_not_without_N():
    d = H.Natterd(handler=[env_handler()],
                  env={"TCPREMOTEHOST": "inherited.example"})
    env = handler_env(d)
    assert "TCPREMOTEHOST" not in env, env
    assert env["TCPREMOTEIP"] == "127.0.0.1"
    assert not re.search(r" is localhost", d.log.text())
    assert d.stop() == 0


def test_names_cost_is_bounded():
    """Many connections in a row under -N: each handler starts long
    before the bound (on loopback the look-up is /etc/hosts), and all
    of them are named."""
    d = H.Natterd("-N", handler=[env_handler()])
    n, t0 = 20, time.monotonic()
    for _ in range(n):
        assert handler_env(d).get("TCPREMOTEHOST") == "localhost"
    per = (time.monotonic() - t0) / n
    print("-N: %.1f ms a connection (connect to the end of env)" %
          (per * 1000))
    assert per < 2.0, per  # RESOLVE_TIMEOUT_MS
    assert d.stop() == 0
