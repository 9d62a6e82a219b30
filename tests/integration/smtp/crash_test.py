"""Crash test: clients send numbered mails (Subject: n-<k>) while the node is killed with kill -9
at random moments (seeded), then restarted, for many cycles. RFC 5321 6.1: once the node said 250
the message is its responsibility. After restarts and at the end (a final clean start), every
message that got 250 is in the mailbox projection exactly once; nothing is stored twice and
nothing is stored that was never sent.

LIFEBOAT_CRASH_SEED replays a run; LIFEBOAT_CRASH_CYCLES changes the number of cycles."""

import collections
import os
import random
import smtplib
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402
from harness import node as node_module
from harness import smtp_wire
from harness import waiting
from harness import workspace

CYCLES = int(os.environ.get("LIFEBOAT_CRASH_CYCLES", "200"))
CLIENTS = 2
# Mail is spread over many mailboxes: a listing shows at most 500 messages (no paging), and a
# run acknowledges up to about 20,000 on this machine (40 mailboxes overflowed once the log got
# faster). Message n goes to crash-(n mod MAILBOXES).
MAILBOXES = 120
USERS = tuple((f"crash-{i:03d}", f"crash-{i:03d}@example.test", f"Crash {i}", "")
              for i in range(MAILBOXES))
# A kill lands after this many acknowledgements in the cycle (random in 0..max), then a random
# extra delay up to KILL_JITTER_SECONDS_MAX, so kills hit every phase of a transaction: the
# dialogue, the DATA transfer, the commit (group fsync) and the reply.
ACKS_BEFORE_KILL_MAX = 6
KILL_JITTER_SECONDS_MAX = 0.03
# Some kills land while the node starts (LevelDB recovery, projection catch-up, directory import):
# a crash during recovery must not lose what the previous run acknowledged either.
STARTUP_KILL_PROBABILITY = 0.1
STARTUP_KILL_SECONDS_MAX = 0.05
CYCLE_ACK_TIMEOUT_SECONDS = 30
CHECK_EVERY_CYCLES = 10
CLIENT_TIMEOUT_SECONDS = 10
NODE_UP_WAIT_SECONDS = 0.5


def recipient_of(number):
    return USERS[number % MAILBOXES][1]


class Ledger:
    """What the clients know: every number sent, and how each attempt ended."""

    def __init__(self):
        self.lock = threading.Lock()
        self.next_number = 0
        self.acknowledged = set()  # got 250 after DATA
        self.refused = set()       # got 4xx/5xx: the sender keeps it; stored at most once
        self.unknown = set()       # connection lost before a reply: stored at most once
        self.attempted = set()
        self.acks_this_cycle = 0

    def take_number(self):
        with self.lock:
            number = self.next_number
            self.next_number += 1
            self.attempted.add(number)
            return number

    def record(self, number, outcome):
        with self.lock:
            getattr(self, outcome).add(number)
            if outcome == "acknowledged":
                self.acks_this_cycle += 1

    def snapshot_acknowledged(self):
        with self.lock:
            return set(self.acknowledged)


class Client(threading.Thread):
    """Sends numbered mails over one session at a time while the node is up."""

    def __init__(self, port, ledger, node_up, stopping):
        super().__init__(daemon=True)
        self.port, self.ledger, self.node_up, self.stopping = port, ledger, node_up, stopping
        self.error = None

    def run(self):
        try:
            while not self.stopping.is_set():
                if not self.node_up.wait(NODE_UP_WAIT_SECONDS):
                    continue
                self.session()
        except Exception as error:  # reported by the test, never lost in a thread
            self.error = error

    def session(self):
        try:
            client = smtplib.SMTP("127.0.0.1", self.port, timeout=CLIENT_TIMEOUT_SECONDS)
            client.ehlo("crash-client.example.net")
        except (OSError, smtplib.SMTPException):
            return  # the node is down or going down
        try:
            while not self.stopping.is_set() and self.node_up.is_set():
                number = self.ledger.take_number()
                subject = f"n-{number}"
                recipient = recipient_of(number)
                try:
                    client.sendmail("sender@ext.test", [recipient],
                                    smtp_wire.message(subject, f"mail number {number}",
                                                      recipient=recipient))
                    self.ledger.record(number, "acknowledged")
                except smtplib.SMTPResponseException as refused:
                    # A reply was read: 4xx/5xx. The message is not acknowledged.
                    self.ledger.record(number, "refused" if refused.smtp_code >= 400 else "unknown")
                    return
                except (OSError, smtplib.SMTPException):
                    self.ledger.record(number, "unknown")
                    return
        finally:
            try:
                client.close()
            except OSError:
                pass


class CrashTest(unittest.TestCase):

    def setUp(self):
        self.workdir = workspace.make(self.addCleanup)
        self.node = node_module.LifeboatNode(
            smtp_case.lifeboat_binary(), self.workdir, users=USERS,
            smtp={"message_burst_per_ip_max": 1000000, "message_interval_per_ip_ms": 1})
        self.addCleanup(self.node.close)

    def check_projection(self, ledger, where):
        """Every acknowledged message exactly once; nothing twice; nothing never sent."""
        acknowledged = ledger.snapshot_acknowledged()  # before the listing: a superset follows
        counts = collections.Counter()
        misfiled = []
        for _, address, _, _ in USERS:
            for subject in self.node.subjects(address):
                counts[subject] += 1
                if not subject.startswith("n-") or recipient_of(int(subject[2:])) != address:
                    misfiled.append((address, subject))
        self.assertEqual(misfiled, [], f"{where}: unexpected messages")
        subjects = list(counts.elements())
        stored = {int(subject[2:]) for subject in counts}
        lost = sorted(acknowledged - stored)
        duplicates = sorted(subject for subject, count in counts.items() if count > 1)
        phantoms = sorted(stored - ledger.attempted)
        self.assertEqual(lost, [], f"{where}: acknowledged but lost")
        self.assertEqual(duplicates, [], f"{where}: stored more than once")
        self.assertEqual(phantoms, [], f"{where}: stored but never sent")
        self.assertEqual(len(subjects), len(stored), f"{where}: unexpected subjects")
        return stored, lost, duplicates

    def test_kill_9_loses_no_acknowledged_mail(self):
        seed = int(os.environ.get("LIFEBOAT_CRASH_SEED", str(time.time_ns() % 2**32)))
        print(f"crash test seed {seed} (LIFEBOAT_CRASH_SEED={seed} replays the kill schedule), "
              f"{CYCLES} cycles", flush=True)
        rng = random.Random(seed)
        ledger = Ledger()
        node_up, stopping = threading.Event(), threading.Event()
        clients = [Client(self.node.smtp_port, ledger, node_up, stopping) for _ in range(CLIENTS)]
        started = time.monotonic()
        for client in clients:
            client.start()

        def stop_clients():
            stopping.set()
            node_up.set()
            for client in clients:
                client.join(timeout=CLIENT_TIMEOUT_SECONDS * 3)
        self.addCleanup(stop_clients)

        checks = 0
        startup_kills = 0
        for cycle in range(CYCLES):
            if cycle > 0 and rng.random() < STARTUP_KILL_PROBABILITY:
                self.node.spawn()
                time.sleep(rng.uniform(0, STARTUP_KILL_SECONDS_MAX))  # the seeded kill moment
                self.node.kill()
                startup_kills += 1
            self.node.start()
            if cycle > 0 and cycle % CHECK_EVERY_CYCLES == 0:
                self.check_projection(ledger, f"after restart {cycle}")
                checks += 1
                # The WAL this run writes to is a zero-filled spare (eventlog/
                # preallocated_wal_env.h), so the kills land on the trimmed-at-open path.
                wal_files = self.node.status()["log_wal_files"]
                self.assertGreaterEqual(wal_files["preallocated"], 1, wal_files)
            acks_before_kill = rng.randint(0, ACKS_BEFORE_KILL_MAX)
            jitter_seconds = rng.uniform(0, KILL_JITTER_SECONDS_MAX)
            with ledger.lock:
                ledger.acks_this_cycle = 0
            node_up.set()
            waiting.wait_until(lambda: ledger.acks_this_cycle >= acks_before_kill,
                               CYCLE_ACK_TIMEOUT_SECONDS,
                               f"{acks_before_kill} acknowledgements in cycle {cycle}")
            # The kill moment itself: a seeded random instant, mid-transaction most of the time.
            time.sleep(jitter_seconds)
            node_up.clear()
            self.node.kill()
            for client in clients:
                self.assertIsNone(client.error, f"client failed: {client.error!r}")

        stop_clients()
        for client in clients:
            self.assertFalse(client.is_alive(), "a client did not stop")
            self.assertIsNone(client.error, f"client failed: {client.error!r}")

        # Final clean start: recovery from the last kill, then a clean SIGTERM.
        self.node.start()
        stored, lost, duplicates = self.check_projection(ledger, "final clean start")
        checks += 1
        self.assertEqual(self.node.stop(), 0, self.node.log_tail())
        elapsed = time.monotonic() - started
        unknown_stored = len(ledger.unknown & stored)
        print(f"crash test: seed {seed}, cycles {CYCLES} (kill -9 each), attempted "
              f"{len(ledger.attempted)}, acknowledged {len(ledger.acknowledged)}, refused "
              f"{len(ledger.refused)}, unanswered {len(ledger.unknown)} (stored "
              f"{unknown_stored}), stored {len(stored)}, lost {len(lost)}, duplicates "
              f"{len(duplicates)}, kills during start-up {startup_kills}, projection checks {checks}, "
              f"{elapsed:.1f} s", flush=True)
        self.assertGreaterEqual(self.node.starts, CYCLES + 1)
        self.assertGreater(len(ledger.acknowledged), 0)
        self.assertLessEqual(elapsed, 240, "crash test exceeded its 4-minute budget")


if __name__ == "__main__":
    smtp_case.main()
