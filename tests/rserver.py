"""A real redis-server for end-to-end tests: a free loopback port, a
temporary directory, no persistence (as tests/unit/test_redis_server.h);
killed and started again on the same port.  Skip when redis-server is
not installed (tests/deps.sh installs it, so under CI it is)."""
import os
import shutil
import signal
import socket
import subprocess

import harness as H


class RedisServer:
    def __init__(self, password=None, aof=False, start=True):
        """aof: appendonly yes (fsync always), so a restart keeps the
        data; start=False: only the port and paths, for a test that
        starts natterd before Redis (call start())."""
        if not shutil.which("redis-server"):
            raise H.Skip("redis-server is not installed")
        self.dir = H.tmpdir()
        self.aof = aof
        self.port = H.free_port()
        self.addr = "127.0.0.1:%d" % self.port
        self.sock = os.path.join(self.dir, "redis.sock")
        self.password = password
        self.proc = None
        if start:
            self.start()

    def start(self):
        argv = ["redis-server", "--port", str(self.port),
                "--bind", "127.0.0.1", "--dir", self.dir, "--save", "",
                "--appendonly", "yes" if self.aof else "no",
                "--appendfsync", "always",
                "--logfile", os.path.join(self.dir, "redis.log"),
                "--unixsocket", self.sock, "--unixsocketperm", "700"]
        if self.password:
            argv += ["--requirepass", self.password]
        self.proc = H.spawn(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
        H.wait_until(self._accepts, what="redis-server on port %d" %
                     self.port)

    def _accepts(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)
