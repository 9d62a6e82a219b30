"""A flapping primary (issue #11): a private Postfix on loopback hangs and resumes every 2 s for a
minute (SIGSTOP / SIGCONT to its process group: connects still complete in the kernel, the banner
never comes, as with a primary stuck in a reboot loop). Automatic mode changes must be at least a
hold-down apart; with a hold-down longer than the primary's good spells the node switches to
continuity once and stays there while it flaps; once it is steady, one hold-down of clean probes
later the mode leaves continuity.

Run as `python3 flap_test.py --lifeboat PATH`. Runs as root (Postfix's master must).
"""

import os
import signal
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(HERE))  # tests/integration: the `harness` package
sys.path.insert(0, HERE)

# The primary's Postfix configuration and the route-status helpers are the failover test's.
import failover_test  # noqa: E402  (not its TestCase by name: unittest would run it here too)
from harness import dependencies  # noqa: E402
from harness import node as node_module  # noqa: E402
from harness import ports  # noqa: E402
from harness import waiting  # noqa: E402
from harness import workspace  # noqa: E402
from harness.postfix_instance import PostfixInstance  # noqa: E402

PROBE_INTERVAL_MS = 250
PROBE_TIMEOUT_MS = 200
FAILURES_TO_SWITCH = 3
FAILURE_WINDOW_MS = 2000
SUCCESSES_TO_RECOVER = 3
# Longer than the primary's good spells (2 s), so that flapping never fails back.
HOLD_DOWN_MS = 10_000
FLAP_HALF_PERIOD_SECONDS = 2.0
FLAP_SECONDS = 60.0
FIRST_PROBE_BOUND_SECONDS = 10
# Recovery: the clean probes and the hold-down, plus 2 s for the shared cores.
RECOVERY_BOUND_SECONDS = (HOLD_DOWN_MS + SUCCESSES_TO_RECOVER * PROBE_INTERVAL_MS) / 1000 + 1 + 2
# One microsecond of slack: timestamps are whole microseconds.
TIMESTAMP_SLACK_MICROS = 1


class FlapTest(failover_test.FailoverTest):
    """FailoverTest's helpers (route status, the log's RoutingChanged), with a node and primary of
    its own and only the flapping scenario."""

    @classmethod
    def setUpClass(cls):
        dependencies.require("postfix")
        cls.workdir = workspace.make(cls.addClassCleanup)
        os.chmod(cls.workdir, 0o755)  # Postfix's processes run as `postfix`
        cls.primary = PostfixInstance(os.path.join(cls.workdir, "postfix"), ports.free_port())
        cls.addClassCleanup(cls.primary.stop)
        values = cls.primary.prepare()
        cls.primary.start(failover_test.MAIN_CF.format(**values),
                          failover_test.MASTER_CF.format(**values))
        node_dir = os.path.join(cls.workdir, "node")
        os.makedirs(node_dir)
        cls.node = node_module.LifeboatNode(
            os.environ["LIFEBOAT_BINARY"], node_dir,
            sections={"routing": {
                "primaries": [f"127.0.0.1:{cls.primary.port}"],
                "probe_interval_ms": PROBE_INTERVAL_MS,
                "probe_timeout_ms": PROBE_TIMEOUT_MS,
                "failures_to_switch": FAILURES_TO_SWITCH,
                "failure_window_ms": FAILURE_WINDOW_MS,
                "successes_to_recover": SUCCESSES_TO_RECOVER,
                "hold_down_ms": HOLD_DOWN_MS,
            }})
        cls.addClassCleanup(cls.node.close)
        cls.node.start()

    def test_failover_failback_and_operator_overrides(self):
        self.skipTest("the failover scenario runs in failover_test.py")

    def process_group(self):
        pgid = os.getpgid(self.primary.master_pid)
        # Postfix's master runs in its own session; never signal the test's own group.
        self.assertNotEqual(pgid, os.getpgrp())
        return pgid

    def test_a_flapping_primary_switches_once_per_hold_down_at_most(self):
        waiting.wait_until(
            lambda: any(p["success"] for p in self.route_status()["primaries"][0]["probes"]),
            FIRST_PROBE_BOUND_SECONDS, "a successful probe of the primary")
        self.assertEqual(self.routing_events(), [])
        pgid = self.process_group()
        hung = False
        flips = 0
        started = time.monotonic()
        try:
            # The stimulus: the primary's own schedule (hang 2 s, answer 2 s), not a wait.
            while time.monotonic() - started < FLAP_SECONDS:
                os.killpg(pgid, signal.SIGCONT if hung else signal.SIGSTOP)
                hung = not hung
                flips += 1
                time.sleep(max(0.0, started + flips * FLAP_HALF_PERIOD_SECONDS - time.monotonic()))
        finally:
            os.killpg(pgid, signal.SIGCONT)
        flap_ended = time.monotonic()
        during = self.routing_events()
        print(f"\n{flips} hangs and resumes in {flap_ended - started:.1f} s; mode changes while "
              f"flapping: {[(e['mode'], e['reason']) for e in during]}", flush=True)
        self.assertGreaterEqual(len(during), 1, "the flapping primary was never noticed")
        self.assertEqual(during[0]["mode"], "ROUTING_MODE_CONTINUITY", during)
        for before, after in zip(during, during[1:]):
            self.assertGreaterEqual(
                after["_timestamp_unix_micros"] - before["_timestamp_unix_micros"],
                HOLD_DOWN_MS * 1000 - TIMESTAMP_SLACK_MICROS, "two switches within a hold-down")
        # Never a whole hold-down of good answers while flapping: never failed back.
        self.assertEqual(len(during), 1, f"switched back while the primary flapped: {during}")

        # Steady again: it leaves continuity after the clean probes and a hold-down.
        waiting.wait_until(lambda: self.mode_of() != "continuity", RECOVERY_BOUND_SECONDS,
                           "the mode to leave continuity after the flapping")
        print(f"left continuity {time.monotonic() - flap_ended:.3f} s after the flapping ended "
              f"(hold-down {HOLD_DOWN_MS} ms)", flush=True)
        # Continuity, failback a hold-down later, then normal once the delivery driver has
        # relayed what was kept (nothing here, so at once): the drain is not a health decision.
        after = self.routing_events()
        self.assertEqual([e["mode"] for e in after][:2],
                         ["ROUTING_MODE_CONTINUITY", "ROUTING_MODE_FAILBACK"], after)
        self.assertGreaterEqual(after[1]["_timestamp_unix_micros"] - after[0]["_timestamp_unix_micros"],
                                HOLD_DOWN_MS * 1000 - TIMESTAMP_SLACK_MICROS)
        self.assertLessEqual(len(after), 3, after)
        if len(after) == 3:
            self.assertEqual(after[2]["mode"], "ROUTING_MODE_NORMAL", after)
            self.assertIn("failback", after[2]["reason"], after)


if __name__ == "__main__":
    failover_test.main()
