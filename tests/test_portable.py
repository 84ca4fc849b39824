"""natterd built with the POSIX fallbacks it uses off Linux (posix_spawn
for the handlers, poll for the broker; supervisor/launch.h), which make
check builds as build/portable/natterd: natterd's tests of what a
handler gets and of how handlers start and end, run against that build.
Each test runs in a process of its own (tests/run.py), so setting
NATTER_NATTERD here redirects that test's natterd only."""
import os

import harness
import test_natterd

PORTABLE = os.path.join(harness.BUILD, "portable", "natterd")

# The tests whose outcome depends on how a handler's process is made.
SPAWN_TESTS = [
    "test_echo_50_concurrent",
    "test_handler_environment",
    "test_handler_gets_only_fds_0_1_2",
    "test_handler_gets_default_signals_even_if_natterd_ignored_some",
    "test_handler_gone_refuses_busy_pauses_and_recovers",
    "test_fork_failure_pauses_and_recovers",
    "test_killed_handler_is_reaped_and_logged",
    "test_500_short_connections_leave_no_zombie",
    "test_restarted_broker_holds_no_connection",
    "test_sigterm_ends_sessions_and_cleans_up",
]


def _portable(name):
    def run():
        if not os.access(PORTABLE, os.X_OK):
            raise AssertionError("%s not built (make check builds it)"
                                 % PORTABLE)
        os.environ["NATTER_NATTERD"] = PORTABLE
        getattr(test_natterd, name)()
    run.__name__ = name
    return run


for _name in SPAWN_TESTS:
    globals()[_name] = _portable(_name)
