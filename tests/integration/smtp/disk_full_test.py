"""Disk full: the data dir on a small tmpfs (LAB.md "Faults"). With the space under the reserve
the node answers 452 4.3.1 (RFC 3463 X.3.1: mail system full) to new mail; when a write fails it
answers 451 and turns read-only. Never a 250 it cannot keep: every message that got 250 is there
after a restart. Once space is freed, it accepts again."""

import os
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402
from harness import node as node_module
from harness import small_disk
from harness import waiting
from harness import workspace

TMPFS_BYTES = 8 * 1024 * 1024
RESERVE_BYTES = 2 * 1024 * 1024
# The guard samples free space every second (kDiskReserveCheckInterval); allow a busy machine.
REFUSAL_TIMEOUT_SECONDS = 15
REFUSALS_WHILE_FULL = 5
RECIPIENT = "alice@example.test"
MAIL_BODY = ("x" * 70 + "\r\n") * 30  # about 2 KiB in lines under the 1000-octet limit


class DiskFullTest(unittest.TestCase):
    # 8 MiB is under 4x a WAL spare (eventlog/preallocated_wal_env.h): the log's WALs are
    # ordinary files here, and a write past the space fails at once.
    DISK_BYTES = TMPFS_BYTES
    BODY = MAIL_BODY
    PREALLOCATED_WAL = False

    def make_node(self, reserve_bytes):
        workdir = workspace.make(self.addCleanup)
        mountpoint = os.path.join(workdir, "disk")
        small_disk.mount_tmpfs(mountpoint, self.DISK_BYTES, self.addCleanup)
        node = node_module.LifeboatNode(
            smtp_case.lifeboat_binary(), workdir, data_dir=os.path.join(mountpoint, "data"),
            smtp={"disk_reserve_bytes": reserve_bytes, "message_burst_per_ip_max": 1000000,
                  "message_interval_per_ip_ms": 1})
        self.addCleanup(node.close)  # runs before the unmount (cleanups are LIFO)
        self.filler = os.path.join(mountpoint, "filler")
        self.acknowledged = []
        self.sent = 0
        return node

    def deliver(self, node):
        """One mail; its subject is remembered when it got 250. Returns the deciding reply."""
        subject = f"d-{self.sent}"
        self.sent += 1
        if not node.running():
            raise AssertionError("the node died:\n" + node.log_tail())
        reply = smtp_case.try_deliver(node.smtp_port, subject, RECIPIENT, body=self.BODY)
        if reply.code == 250:
            self.acknowledged.append(subject)
        return reply

    def start(self, node):
        node.start()
        wal_files = node.status()["log_wal_files"]
        if self.PREALLOCATED_WAL:
            self.assertGreaterEqual(wal_files["preallocated"], 1, wal_files)
        else:
            self.assertEqual(wal_files["preallocated"], 0, wal_files)

    def deliver_until_refused(self, node):
        """Delivers until the node refuses (bounded): mails before that may get 250."""
        def refused():
            reply = self.deliver(node)
            return reply if reply.code != 250 else None
        return waiting.wait_until(refused, REFUSAL_TIMEOUT_SECONDS, "a storage refusal")

    def assert_no_acknowledged_mail_lost(self, node, where):
        subjects = node.subjects(RECIPIENT)
        lost = [s for s in self.acknowledged if s not in subjects]
        duplicated = sorted({s for s in subjects if subjects.count(s) > 1})
        print(f"{where}: sent {self.sent}, acknowledged {len(self.acknowledged)}, stored "
              f"{len(subjects)}, lost {len(lost)}, duplicated {len(duplicated)}", flush=True)
        self.assertEqual(lost, [], f"{where}: acknowledged mail lost")
        self.assertEqual(duplicated, [], f"{where}: mail stored twice")

    def test_reserve_refuses_452_and_accepts_after_space_is_freed(self):
        node = self.make_node(RESERVE_BYTES)
        self.start(node)
        for _ in range(3):
            self.assertEqual(self.deliver(node).code, 250)
        small_disk.fill(self.filler, leave_bytes=RESERVE_BYTES // 2)
        refusal = self.deliver_until_refused(node)
        self.assertEqual((refusal.code, refusal.enhanced), (452, "4.3.1"), refusal)
        self.assertFalse(node.status()["smtp"]["disk_reserve_ok"])
        for _ in range(REFUSALS_WHILE_FULL):
            reply = self.deliver(node)
            self.assertEqual((reply.code, reply.enhanced), (452, "4.3.1"), reply)
        # The reserve keeps the node writable: it is not read-only, only refusing new mail.
        self.assertFalse(node.status()["read_only"])

        os.unlink(self.filler)
        accepted = waiting.wait_until(lambda: self.deliver(node).code == 250,
                                      REFUSAL_TIMEOUT_SECONDS, "a 250 once space is freed")
        self.assertTrue(accepted)
        self.assertEqual(node.stop(), 0, node.log_tail())
        node.start()
        self.assert_no_acknowledged_mail_lost(node, "reserve, after restart")
        self.assertEqual(self.deliver(node).code, 250)
        self.assertEqual(node.stop(), 0, node.log_tail())

    def test_failed_write_refuses_4xx_and_loses_nothing(self):
        node = self.make_node(0)  # no reserve: the writes themselves hit ENOSPC
        self.start(node)
        for _ in range(3):
            self.assertEqual(self.deliver(node).code, 250)
        small_disk.fill(self.filler)
        refusal = self.deliver_until_refused(node)
        self.assertIn(refusal.code, (451, 452), refusal)
        self.assertTrue(refusal.enhanced.startswith("4.3."), refusal)
        for _ in range(REFUSALS_WHILE_FULL):
            reply = self.deliver(node)
            self.assertGreaterEqual(reply.code, 400, f"250 while the disk is full: {reply!r}")
        status = node.status()
        print(f"write failure: refusal {refusal.code} {refusal.enhanced}, read_only "
              f"{status['read_only']}", flush=True)

        os.unlink(self.filler)
        without_restart = self.deliver(node)
        print(f"write failure: after freeing space, before a restart: {without_restart.code} "
              f"{without_restart.enhanced}", flush=True)
        if status["read_only"]:
            # A storage error latches read-only (eventlog/group_commit.cc): no 250 until restart.
            self.assertGreaterEqual(without_restart.code, 400, without_restart)
        stop_code = node.stop()
        self.assertEqual(stop_code, 0, node.log_tail())
        node.start()
        self.assert_no_acknowledged_mail_lost(node, "write failure, after restart")
        self.assertFalse(node.status()["read_only"])
        self.assertEqual(self.deliver(node).code, 250)
        self.assert_no_acknowledged_mail_lost(node, "write failure, after a new mail")
        self.assertEqual(node.stop(), 0, node.log_tail())


class DiskFullPreallocatedWalTest(DiskFullTest):
    """The same on a 64 MiB disk, where the log writes into a preallocated WAL: once the disk is
    full, mail still goes into the WAL's preallocated space (durable, acknowledged), then the
    node refuses with 4xx; nothing acknowledged is lost. Bigger mails fill that space in
    about 150 messages."""
    DISK_BYTES = 64 * 1024 * 1024
    BODY = ("x" * 70 + "\r\n") * 900  # about 64 KiB
    PREALLOCATED_WAL = True


if __name__ == "__main__":
    smtp_case.main()
