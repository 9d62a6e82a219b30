"""fsync failure (LAB.md "Faults": libfiu's POSIX preload). LevelDB syncs its write-ahead log
with fdatasync (util/env_posix.cc; Debian's libleveldb.so.1d imports fdatasync, not fsync, as
`nm -D` shows), and eventlog/wal_dir_sync_env.h syncs directories with fsync: both failure points
are enabled. While they fail the node never says 250 (DESIGN.md "Data path", step 3): it answers 451
4.3.0 and turns read-only, and says so in `status --json`. What got 250 before is kept."""

import os
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402
from harness import dependencies
from harness import node as node_module
from harness import workspace

SYNC_FAILURE_POINTS = ("posix/io/sync/fdatasync", "posix/io/sync/fsync")
DELIVERIES_WHILE_FAILING = 5
FIU_CTRL_TIMEOUT_SECONDS = 30
RECIPIENT = "alice@example.test"


class FsyncFailureTest(unittest.TestCase):

    def setUp(self):
        self.fiu_run = dependencies.require("fiu-run")
        self.fiu_ctrl = dependencies.require("fiu-ctrl")
        self.workdir = workspace.make(self.addCleanup)
        self.control_fifo = os.path.join(self.workdir, "fiu-ctrl")
        self.node = node_module.LifeboatNode(smtp_case.lifeboat_binary(), self.workdir)
        self.addCleanup(self.node.close)

    def fiu_control(self, command):
        """Runs a libfiu remote-control command ("enable name=...") in the running node."""
        arguments = [self.fiu_ctrl, "-f", self.control_fifo]
        for point in SYNC_FAILURE_POINTS:
            arguments += ["-c", f"{command} name={point}"]
        run = subprocess.run(arguments + [str(self.node.pid)], capture_output=True, text=True,
                             timeout=FIU_CTRL_TIMEOUT_SECONDS)
        self.assertEqual(run.returncode, 0, run.stderr)

    def deliver(self, subject):
        return smtp_case.try_deliver(self.node.smtp_port, subject, RECIPIENT)

    def test_sync_failure_at_run_time_gives_451_and_read_only(self):
        self.node.wrapper = [self.fiu_run, "-x", "-f", self.control_fifo]
        self.node.start()
        acknowledged = []
        for number in range(3):
            subject = f"before-{number}"
            reply = self.deliver(subject)
            self.assertEqual(reply.code, 250, reply)
            acknowledged.append(subject)
        status = self.node.status()
        self.assertFalse(status["read_only"])
        # The WAL whose syncs fail below is a preallocated one (eventlog/preallocated_wal_env.h).
        self.assertGreaterEqual(status["log_wal_files"]["preallocated"], 1, status)

        self.fiu_control("enable")
        refused = []
        for number in range(DELIVERIES_WHILE_FAILING):
            subject = f"failing-{number}"
            reply = self.deliver(subject)
            self.assertEqual((reply.code, reply.enhanced), (451, "4.3.0"), reply)
            refused.append(subject)
        status = self.node.status()
        self.assertTrue(status["read_only"], status)
        self.assertGreaterEqual(status["smtp"]["messages_failed"], DELIVERIES_WHILE_FAILING)

        # A failed sync leaves the log's state unknown: the node stays read-only (no 250) even
        # once syncs work again, until an operator restarts it (LevelDB keeps its bg_error too).
        self.fiu_control("disable")
        reply = self.deliver("after-disable")
        self.assertGreaterEqual(reply.code, 400, reply)
        self.assertTrue(self.node.status()["read_only"])
        self.assertEqual(self.node.stop(), 0, self.node.log_tail())

        self.node.wrapper = []
        self.node.start()
        self.assertFalse(self.node.status()["read_only"])
        subjects = self.node.subjects(RECIPIENT)
        for subject in acknowledged:
            self.assertEqual(subjects.count(subject), 1, f"{subject}: {subjects}")
        # A 451 promises nothing: the write may have reached the disk before its sync failed.
        # It must not be there twice.
        kept_anyway = [s for s in refused if s in subjects]
        for subject in set(subjects):
            self.assertEqual(subjects.count(subject), 1, f"{subject} stored twice")
        reply = self.deliver("after-restart")
        self.assertEqual(reply.code, 250, reply)
        print(f"fsync failure: acknowledged before {len(acknowledged)} (all kept), refused 451 "
              f"{len(refused)} (stored anyway {len(kept_anyway)}), read_only reported", flush=True)
        self.assertEqual(self.node.stop(), 0, self.node.log_tail())

    def test_sync_failing_from_start_never_acknowledges(self):
        # The brief's literal command, on a data dir that already exists.
        self.node.start()
        self.assertEqual(self.deliver("before").code, 250)
        self.assertEqual(self.node.stop(), 0)
        enable = []
        for point in SYNC_FAILURE_POINTS:
            enable += ["-c", f"enable name={point}"]
        self.node.wrapper = [self.fiu_run, "-x", "-f", self.control_fifo] + enable
        self.node.spawn()
        started = self.node.wait_ready_or_exit()
        if started:
            for number in range(DELIVERIES_WHILE_FAILING):
                reply = self.deliver(f"failing-{number}")
                self.assertGreaterEqual(reply.code, 400, reply)
            self.assertTrue(self.node.status()["read_only"])
            self.assertEqual(self.node.stop(), 0)
            outcome = "started read-only, answered 4xx"
        else:
            # Fail-stop: LevelDB cannot open (recovery writes and syncs a table and a MANIFEST).
            self.assertNotEqual(self.node.process.returncode, 0)
            self.assertIn("cannot start", self.node.log_tail())
            outcome = f"refused to start (exit {self.node.process.returncode})"
        self.node.wrapper = []
        self.node.start()
        self.assertEqual(self.node.subjects(RECIPIENT).count("before"), 1)
        self.assertEqual(self.node.stop(), 0)
        print(f"fsync failing from the start: {outcome}; no 250 while it failed", flush=True)


if __name__ == "__main__":
    smtp_case.main()
