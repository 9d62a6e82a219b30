"""Disk full under a flood (issue #10 item 6), on a small tmpfs (LAB.md "Faults"):

1. Ten SMTP sessions send 64 KiB mails as fast as they can, in rounds until the node refuses even
   with its projections caught up, while a sampler watches the file system's free space: the
   reserve is never crossed by more than one group-commit batch (the minimum free space seen is
   printed and checked), and the node answers nothing but 250 or 452 4.3.1.
2. The disk is then filled to the last byte by another file and the node killed (-9). It starts
   all the same (it releases its ballast), serves `status`, `log tail`, `mailbox list`, `directory
   status` and /metrics, says it is refusing because of the disk, and answers 452 4.3.1.
3. Once space is freed it accepts mail again by itself (no restart), and puts its ballast back.
Every message that got 250 is in the mailbox at the end, exactly once (counted).
Without a ballast, the same full disk makes the node open its stores read-only, and it reopens
them for writing by itself once space is freed."""

import collections
import os
import subprocess
import sys
import threading
import unittest
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402
from harness import node as node_module
from harness import small_disk
from harness import smtp_wire
from harness import waiting
from harness import workspace

MiB = 1024 * 1024
TMPFS_BYTES = 192 * MiB
# Above one batch, so that "crossed by at most one batch" is a real bound.
RESERVE_BYTES = 24 * MiB
BALLAST_BYTES = 32 * MiB
# Another tenant's data on the same file system, deleted at the end to make room for the ballast.
OTHER_DATA_BYTES = 40 * MiB
# config.h kGroupCommitBatchBytesDefault: the most one batch writes past a fresh check.
BATCH_BYTES_MAX = 8 * MiB
SESSIONS = 10
RECIPIENT = "alice@example.test"
BODY = ("y" * 70 + "\r\n") * 900  # about 64 KiB in lines under the 1000-octet limit
# 452s seen before the flood stops: the flood keeps pressing on the edge for a while.
REFUSALS_BEFORE_STOP = 300
FLOOD_ROUNDS_MAX = 100
# appliance/disk_reserve.h kBackgroundWriteBytesMax: what is charged with no projection backlog.
BACKGROUND_WRITE_BYTES_MAX = 50 * MiB
FLOOD_TIMEOUT_SECONDS = 300
# kDiskCheckInterval is 1 s; allow a busy machine.
RESUME_TIMEOUT_SECONDS = 30
START_TIMEOUT_SECONDS = 60
METRICS_TIMEOUT_SECONDS = 10
SAMPLER_STOP_TIMEOUT_SECONDS = 30
# Under 4x a WAL spare (eventlog/preallocated_wal_env.h), so the log keeps no spare file whose
# removal at the next open would make room: the disk stays too full to open for writing.
READ_ONLY_TMPFS_BYTES = 32 * MiB
READ_ONLY_RESERVE_BYTES = 2 * MiB
READ_ONLY_MAILS = 20  # 1.3 MiB: stays in the WALs, under one memtable


# The sampler runs in a process of its own, so the flood's threads do not hold it off the CPU
# (the GIL): statvfs every SAMPLE_INTERVAL_SECONDS until its stdin closes, then "minimum samples".
SAMPLE_INTERVAL_SECONDS = 0.0005
SAMPLER_CODE = r"""
import os, select, sys, time
path, interval = sys.argv[1], float(sys.argv[2])
minimum, samples = None, 0
while not select.select([sys.stdin], [], [], 0)[0]:
    stats = os.statvfs(path)
    free = stats.f_bavail * stats.f_frsize
    minimum = free if minimum is None else min(minimum, free)
    samples += 1
    time.sleep(interval)  # a sampling period, not a wait for a condition
print(minimum, samples, flush=True)
"""


class FreeSpaceSampler:
    """The file system's free space, sampled from another process, keeping the minimum."""

    def __init__(self, path):
        self.process = subprocess.Popen(
            [sys.executable, "-c", SAMPLER_CODE, path, str(SAMPLE_INTERVAL_SECONDS)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.minimum = None
        self.samples = 0

    def stop(self):
        output, _ = self.process.communicate(input="", timeout=SAMPLER_STOP_TIMEOUT_SECONDS)
        minimum, samples = output.split()
        self.minimum, self.samples = int(minimum), int(samples)


class Flood:
    """SESSIONS sessions, each sending mail after mail on one connection (RSET after a refusal,
    a new connection if the node closes it). Records every subject that got 250 and every
    refusal's code and enhanced code."""

    def __init__(self, port, prefix):
        self.port = port
        self.prefix = prefix  # subjects are unique across floods
        self.lock = threading.Lock()
        self.acknowledged = []
        self.refusals = []  # (code, enhanced)
        self.errors = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.session, args=(n,), daemon=True)
                        for n in range(SESSIONS)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def refused_count(self):
        with self.lock:
            return len(self.refusals)

    def session(self, number):
        sent = 0
        while not self.stopping.is_set():
            try:
                with smtp_wire.SmtpWire(self.port) as wire:
                    if wire.reply().code != 220 or wire.command("EHLO flood.example").code != 250:
                        raise AssertionError("no greeting")
                    while not self.stopping.is_set():
                        subject = f"{self.prefix}s{number}-{sent}"
                        sent += 1
                        reply = self.one_mail(wire, subject)
                        with self.lock:
                            if reply.code == 250:
                                self.acknowledged.append(subject)
                            else:
                                self.refusals.append((reply.code, reply.enhanced))
                        # After its hard error limit the node says 421 and hangs up
                        # (modules/smtp/session.cc): the client starts a new session.
                        if reply.code != 250 and wire.command("RSET").code == 421:
                            break
            except (smtp_wire.ConnectionClosed, OSError, AssertionError) as error:
                with self.lock:
                    self.errors.append(repr(error))

    @staticmethod
    def one_mail(wire, subject):
        for line in ("MAIL FROM:<flood@ext.test>", f"RCPT TO:<{RECIPIENT}>", "DATA"):
            reply = wire.command(line)
            if reply.code >= 400:
                return reply
        wire.send(smtp_wire.message(subject, BODY, recipient=RECIPIENT) + ".\r\n")
        return wire.reply()


class DiskFullFloodTest(unittest.TestCase):
    def test_reserve_holds_under_flood_and_node_starts_and_resumes_on_full_disk(self):
        workdir = workspace.make(self.addCleanup)
        mountpoint = os.path.join(workdir, "disk")
        small_disk.mount_tmpfs(mountpoint, TMPFS_BYTES, self.addCleanup)
        node = node_module.LifeboatNode(
            smtp_case.lifeboat_binary(), workdir, data_dir=os.path.join(mountpoint, "data"),
            smtp={"disk_reserve_bytes": RESERVE_BYTES, "disk_ballast_bytes": BALLAST_BYTES,
                  "message_burst_per_ip_max": 1000000, "message_interval_per_ip_ms": 0})
        self.addCleanup(node.close)  # runs before the unmount (cleanups are LIFO)
        node.start()
        disk = node.status()["disk"]
        self.assertTrue(disk["ballast_present"], disk)
        self.assertTrue(disk["accepting"], disk)
        other_data = os.path.join(mountpoint, "other-data")
        small_disk.fill(other_data, leave_bytes=small_disk.free_bytes(mountpoint)
                        - OTHER_DATA_BYTES)

        # 1. The flood, with the free space watched. A refusal may be backpressure (the
        # projections' backlog is charged until they fold it): the flood goes on in rounds until
        # the node still refuses once its projections have caught up, i.e. at the reserve's edge.
        sampler = FreeSpaceSampler(mountpoint)
        acknowledged, refusals, errors = [], [], []
        try:
            for flood_round in range(FLOOD_ROUNDS_MAX):
                flood = Flood(node.smtp_port, prefix=f"r{flood_round}")
                flood.start()
                try:
                    waiting.wait_until(lambda: flood.refused_count() >= REFUSALS_BEFORE_STOP
                                       or not node.running(), FLOOD_TIMEOUT_SECONDS,
                                       f"{REFUSALS_BEFORE_STOP} refusals from the node")
                finally:
                    flood.stop()
                acknowledged += flood.acknowledged
                refusals += flood.refusals
                errors += flood.errors
                self.assertTrue(node.running(), node.log_tail())
                node.wait_applied()
                # Once the backlog is released, the next periodic check (kDiskCheckInterval)
                # decides on free space alone; a mail after it tells backpressure from the edge.
                drained = waiting.wait_until(
                    lambda: (lambda disk: disk["pending_writes_bytes"]
                             <= BACKGROUND_WRITE_BYTES_MAX and disk)(node.status()["disk"]),
                    RESUME_TIMEOUT_SECONDS, "the projection backlog released")
                waiting.wait_until(lambda: node.status()["disk"]["checks"] > drained["checks"],
                                   RESUME_TIMEOUT_SECONDS, "a disk check after the backlog")
                print(f"flood round {flood_round}: {len(flood.acknowledged)} acknowledged, "
                      f"{small_disk.free_bytes(mountpoint)} bytes free", flush=True)
                probe = smtp_case.try_deliver(node.smtp_port, f"probe-{flood_round}", RECIPIENT,
                                              body=BODY)
                if probe.code != 250:
                    refusals.append((probe.code, probe.enhanced))
                    break
                acknowledged.append(f"probe-{flood_round}")
            else:
                self.fail(f"the node still accepted mail after {FLOOD_ROUNDS_MAX} flood rounds")
        finally:
            sampler.stop()
        status = node.status()
        print(f"flood: {flood_round + 1} rounds, {len(acknowledged)} acknowledged, "
              f"{len(refusals)} refused, free space minimum {sampler.minimum} bytes over "
              f"{sampler.samples} samples (reserve {RESERVE_BYTES}, one batch "
              f"{BATCH_BYTES_MAX}); node: {status['disk']}", flush=True)
        self.assertGreater(len(acknowledged), 0)
        refusal_kinds = sorted(set(refusals))
        self.assertEqual(refusal_kinds, [(452, "4.3.1")], f"refusals: {refusal_kinds}")
        self.assertEqual(errors, [], "sessions broke")
        self.assertGreaterEqual(sampler.minimum, RESERVE_BYTES - BATCH_BYTES_MAX,
                                "the reserve was crossed by more than one batch")
        self.assertFalse(status["read_only"])
        self.assertFalse(status["disk"]["accepting"], status["disk"])
        self.assert_all_acknowledged_stored(node, acknowledged, "after the flood")

        # 2. Someone else fills the disk to the last byte; kill -9; the node starts anyway.
        filler = os.path.join(mountpoint, "filler")
        small_disk.fill(filler)
        print(f"filled: {small_disk.free_bytes(mountpoint)} bytes free", flush=True)
        node.kill()
        node.spawn()
        waiting.wait_until(lambda: self.alive(node) and node.healthy(), START_TIMEOUT_SECONDS,
                           "the node's /healthz on a full disk")
        status = node.status()
        print(f"started on a full disk: disk {status['disk']}", flush=True)
        self.assertTrue(status["disk"]["ballast_released_at_start"], status["disk"])
        self.assertFalse(status["disk"]["accepting"], status["disk"])
        self.assertIn("refusing_because", status["disk"])
        self.assertIn("released the ballast", node.log_tail(20000))
        human = node.cli("status").stdout
        self.assertIn("FULL, refusing new mail with 452 4.3.1", human)
        tail = node.cli("log", "tail", "-n", "5").stdout
        self.assertEqual(len([line for line in tail.splitlines() if line.strip()]), 5, tail)
        node.cli("directory", "status")
        self.assertEqual(self.metric(node, "lifeboat_disk_reserve_refusing"), 1.0)
        self.assertEqual(self.metric(node, "lifeboat_disk_ballast_present"), 0.0)
        self.assert_all_acknowledged_stored(node, acknowledged, "after kill -9, full disk")
        refused = smtp_case.try_deliver(node.smtp_port, "while-full", RECIPIENT, body=BODY)
        self.assertEqual((refused.code, refused.enhanced), (452, "4.3.1"), refused)

        # 3. Space returns: mail is accepted again without a restart, the ballast comes back.
        os.unlink(filler)
        os.unlink(other_data)

        self.wait_until_accepted_again(node, acknowledged, "after", reopening=False)
        waiting.wait_until(lambda: node.status()["disk"]["ballast_present"],
                           RESUME_TIMEOUT_SECONDS, "the ballast re-created")
        self.assertIn("space returned above the reserve", node.log_tail(20000))
        self.assertEqual(self.metric(node, "lifeboat_disk_reserve_refusing"), 0.0)
        node.wait_applied()
        self.assert_all_acknowledged_stored(node, acknowledged, "after space returned")
        self.assertEqual(node.stop(), 0, node.log_tail())

    def test_without_ballast_starts_read_only_and_reopens_by_itself(self):
        """No ballast (never made, or its space taken since): the disk is too full to open the
        stores for writing, so the node opens them read-only, serves reads, answers 452 4.3.1,
        and reopens for writing by itself once space is freed."""
        workdir = workspace.make(self.addCleanup)
        mountpoint = os.path.join(workdir, "disk")
        small_disk.mount_tmpfs(mountpoint, READ_ONLY_TMPFS_BYTES, self.addCleanup)
        node = node_module.LifeboatNode(
            smtp_case.lifeboat_binary(), workdir, data_dir=os.path.join(mountpoint, "data"),
            smtp={"disk_reserve_bytes": READ_ONLY_RESERVE_BYTES, "disk_ballast_bytes": 0,
                  "message_burst_per_ip_max": 1000000, "message_interval_per_ip_ms": 0})
        self.addCleanup(node.close)
        node.start()
        self.assertEqual(node.status()["log_wal_files"]["preallocated"], 0)
        acknowledged = []
        for number in range(READ_ONLY_MAILS):
            subject = f"ro-{number}"
            reply = smtp_case.try_deliver(node.smtp_port, subject, RECIPIENT, body=BODY)
            self.assertEqual(reply.code, 250, reply)
            acknowledged.append(subject)
        node.wait_applied()
        # The mails are still in the WALs: opening replays them into new tables, which needs space.
        filler = os.path.join(mountpoint, "filler")
        small_disk.fill(filler)
        node.kill()
        node.spawn()
        waiting.wait_until(lambda: self.alive(node) and node.healthy(), START_TIMEOUT_SECONDS,
                           "the node's /healthz on a full disk, read-only")
        status = node.status()
        print(f"started read-only: read_only {status['read_only']}, disk {status['disk']}",
              flush=True)
        self.assertTrue(status["disk"]["read_only_open"], status["disk"])
        self.assertTrue(status["read_only"])
        self.assertFalse(status["disk"]["accepting"])
        self.assertIn("opening it read-only", node.log_tail(20000))
        self.assertIn("FULL, refusing new mail with 452 4.3.1", node.cli("status").stdout)
        tail = node.cli("log", "tail", "-n", "3").stdout
        self.assertEqual(len([line for line in tail.splitlines() if line.strip()]), 3, tail)
        node.cli("directory", "status")
        self.assertEqual(self.metric(node, "lifeboat_disk_reserve_refusing"), 1.0)
        self.assert_all_acknowledged_stored(node, acknowledged, "read-only on a full disk")
        refused = smtp_case.try_deliver(node.smtp_port, "while-read-only", RECIPIENT, body=BODY)
        self.assertEqual((refused.code, refused.enhanced), (452, "4.3.1"), refused)

        os.unlink(filler)

        self.wait_until_accepted_again(node, acknowledged, "ro-after", reopening=True)
        self.assertIn("reopening the data dir for writing", node.log_tail(20000))
        status = node.status()
        self.assertFalse(status["disk"]["read_only_open"], status["disk"])
        self.assertFalse(status["read_only"])
        node.wait_applied()
        self.assert_all_acknowledged_stored(node, acknowledged, "reopened for writing")
        self.assertEqual(node.stop(), 0, node.log_tail())

    def wait_until_accepted_again(self, node, acknowledged, prefix, reopening):
        """Delivers until a mail gets 250 (its subject appended to `acknowledged`); every refusal
        before it must be 452 4.3.1. With `reopening`, a refused connect or a session cut before
        its reply is a transient: the node reopening for writing closes the sessions open at that
        moment (none of them was acknowledged)."""
        transient = (OSError, smtp_wire.ConnectionClosed) if reopening else ()

        def accepted():
            self.alive(node)
            subject = f"{prefix}-{len(acknowledged)}"
            try:
                reply = smtp_case.try_deliver(node.smtp_port, subject, RECIPIENT, body=BODY)
            except transient:
                return False
            if reply.code == 250:
                acknowledged.append(subject)
                return True
            self.assertEqual((reply.code, reply.enhanced), (452, "4.3.1"), reply)
            return False
        waiting.wait_until(accepted, RESUME_TIMEOUT_SECONDS, "a 250 once space is freed")

    @staticmethod
    def alive(node):
        if not node.running():
            raise AssertionError("the node exited:\n" + node.log_tail(20000))
        return True

    @staticmethod
    def metric(node, name):
        with open(os.path.join(node.data_dir, "admin.token"), encoding="utf-8") as token_file:
            token = token_file.read().strip()
        request = urllib.request.Request(f"http://127.0.0.1:{node.admin_port}/metrics",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=METRICS_TIMEOUT_SECONDS) as answer:
            for line in answer.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        raise AssertionError(f"metric {name} not exported")

    def assert_all_acknowledged_stored(self, node, acknowledged, where):
        subjects = node.subjects(RECIPIENT)
        counts = collections.Counter(subjects)
        lost = [s for s in acknowledged if s not in counts]
        duplicated = sorted(s for s, count in counts.items() if count > 1)
        print(f"{where}: acknowledged {len(acknowledged)}, stored {len(subjects)}, lost "
              f"{len(lost)}, duplicated {len(duplicated)}", flush=True)
        self.assertEqual(lost, [], f"{where}: acknowledged mail lost")
        self.assertEqual(duplicated, [], f"{where}: mail stored twice")


if __name__ == "__main__":
    smtp_case.main()
