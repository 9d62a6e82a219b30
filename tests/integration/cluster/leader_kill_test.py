"""Three `lifeboat serve` processes on loopback, separate data dirs, one Raft cluster made with
`lifeboat cluster init` (issue #13). Under continuous SMTP load to the leader (found through
`/v1/cluster/status`), the leader is killed with kill -9 and restarted, CYCLES times: a new leader
must appear within NEW_LEADER_SECONDS_MAX each time (p50 and p99 printed); at the end every mail
that got 250 is in the mailbox on every node exactly once, and all nodes hold the same last log
index.

LIFEBOAT_CLUSTER_CYCLES changes the number of cycles (20 by default)."""

import json
import os
import smtplib
import subprocess
import sys
import threading
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/integration: the `harness` package
sys.dont_write_bytecode = True

from harness import node as node_module  # noqa: E402
from harness import ports  # noqa: E402
from harness import waiting  # noqa: E402
from harness import workspace  # noqa: E402

CYCLES = int(os.environ.get("LIFEBOAT_CLUSTER_CYCLES", "20"))
NODES = 3
NEW_LEADER_SECONDS_MAX = 2.0
LEADER_WAIT_SECONDS = 30
CONVERGE_WAIT_SECONDS = 60
CLIENT_TIMEOUT_SECONDS = 10
ACKS_PER_CYCLE = 3
CYCLE_ACK_WAIT_SECONDS = 30
MAILBOXES = 20
USERS = tuple((f"c-{i:03d}", f"c-{i:03d}@example.test", f"C {i}", "") for i in range(MAILBOXES))
STATUS_TIMEOUT_SECONDS = 1.0


def binary():
    path = os.environ.get("LIFEBOAT_BINARY")
    if not path:
        raise AssertionError("pass --lifeboat PATH (or set LIFEBOAT_BINARY)")
    return path


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class ClusterNode(node_module.LifeboatNode):
    def cluster_status(self):
        """This node's /v1/cluster/status, or None when it does not answer."""
        token_path = os.path.join(self.data_dir, "admin.token")
        try:
            with open(token_path, encoding="utf-8") as token_file:
                token = token_file.read().strip()
            request = urllib.request.Request(
                f"http://127.0.0.1:{self.admin_port}/v1/cluster/status",
                headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request, timeout=STATUS_TIMEOUT_SECONDS) as answer:
                return json.loads(answer.read())
        except (OSError, ValueError):
            return None


class Load(threading.Thread):
    """Sends numbered mails (Subject: m-<n>) to whichever node `target()` names, one at a time."""

    def __init__(self, target):
        super().__init__(daemon=True)
        self.target = target
        self.lock = threading.Lock()
        self.next_number = 0
        self.acknowledged = set()
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            port = self.target()
            if port is None:
                # No leader known yet: the test is waiting for the election.
                self.stopping.wait(waiting.POLL_INTERVAL_SECONDS)
                continue
            with self.lock:
                number = self.next_number
                self.next_number += 1
            recipient = USERS[number % MAILBOXES][1]
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=CLIENT_TIMEOUT_SECONDS) as client:
                    client.sendmail("sender@ext.test", [recipient],
                                    f"Subject: m-{number}\r\nMessage-ID: <m-{number}@it>\r\n\r\n"
                                    f"body {number}\r\n")
                with self.lock:
                    self.acknowledged.add(number)
            except (OSError, smtplib.SMTPException):
                pass  # refused (451 on a follower or without quorum) or cut: not acknowledged

    def acks(self):
        with self.lock:
            return len(self.acknowledged)


class LeaderKillTest(unittest.TestCase):
    def setUp(self):
        self.workdir = workspace.make(self.addCleanup, prefix="lifeboat-cluster-")
        certificates = os.path.join(self.workdir, "cluster")
        cluster_ports = [ports.free_port() for _ in range(NODES)]
        addresses = [f"127.0.0.1:{port}" for port in cluster_ports]
        subprocess.run([binary(), "cluster", "init", "--dir", certificates, "--nodes",
                        str(NODES), "--addresses", ",".join(addresses)],
                       check=True, capture_output=True, timeout=60)
        members = [f"{i + 1}@{addresses[i]}" for i in range(NODES)]
        self.nodes = []
        for i in range(NODES):
            workdir = os.path.join(self.workdir, f"node-{i + 1}")
            os.makedirs(workdir)
            cluster = {
                "node_id": i + 1, "listen": addresses[i], "members": members,
                "ca_certificate": os.path.join(certificates, "ca.pem"),
                "certificate": os.path.join(certificates, f"node-{i + 1}.pem"),
                "private_key": os.path.join(certificates, f"node-{i + 1}.key"),
            }
            node = ClusterNode(binary(), workdir, users=USERS, node_id=f"n{i + 1}",
                               sections={"cluster": cluster})
            self.addCleanup(node.close)
            self.nodes.append(node)
        for node in self.nodes:
            node.spawn()
        for node in self.nodes:
            waiting.wait_until(node.healthy, node_module.NODE_START_TIMEOUT_SECONDS,
                               f"node on {node.admin_port} healthy")

    def leader(self):
        """The running node that says it leads, with the highest term."""
        best = None
        for node in self.nodes:
            if not node.running():
                continue
            status = node.cluster_status()
            if status and status.get("role") == "leader":
                if best is None or status["term"] > best[1]:
                    best = (node, status["term"])
        return best[0] if best else None

    def test_kill_9_the_leader_repeatedly(self):
        leader = waiting.wait_until(self.leader, LEADER_WAIT_SECONDS, "a first leader")
        current = {"port": leader.smtp_port}
        load = Load(lambda: current["port"])
        load.start()
        elections = []
        try:
            for cycle in range(CYCLES):
                floor = load.acks() + ACKS_PER_CYCLE
                waiting.wait_until(lambda: load.acks() >= floor, CYCLE_ACK_WAIT_SECONDS,
                                   f"cycle {cycle}: acknowledgements")
                old = self.leader()
                self.assertIsNotNone(old, f"cycle {cycle}: no leader")
                current["port"] = None
                old.kill()
                killed_at = time.monotonic()
                new = waiting.wait_until(
                    lambda: (lambda found: found if found is not None and found is not old
                             else None)(self.leader()),
                    LEADER_WAIT_SECONDS, f"cycle {cycle}: a new leader")
                elections.append(time.monotonic() - killed_at)
                current["port"] = new.smtp_port
                old.spawn()
                waiting.wait_until(old.healthy, node_module.NODE_START_TIMEOUT_SECONDS,
                                   f"cycle {cycle}: restarted node healthy")
        finally:
            load.stopping.set()
            load.join(timeout=CLIENT_TIMEOUT_SECONDS * 2)
        p50 = percentile(elections, 0.5)
        p99 = percentile(elections, 0.99)
        print(f"new leader after kill -9: n={len(elections)} p50={p50:.3f}s p99={p99:.3f}s "
              f"max={max(elections):.3f}s; acknowledged={len(load.acknowledged)}", flush=True)

        # Converged: every node at the same last index, projections through it.
        def converged():
            statuses = [node.cluster_status() for node in self.nodes]
            if any(status is None for status in statuses):
                return None
            last = {status["log_last_index"] for status in statuses}
            applied = {status["projection_applied_index"] for status in statuses}
            return statuses if len(last) == 1 and applied == last else None
        statuses = waiting.wait_until(converged, CONVERGE_WAIT_SECONDS, "nodes converge")
        print(f"last index on every node: {statuses[0]['log_last_index']}", flush=True)
        for node in self.nodes:
            seen = []
            for _, address, _, _ in USERS:
                seen += [subject for subject in node.subjects(address) if subject.startswith("m-")]
            numbers = [int(subject[2:]) for subject in seen]
            duplicates = len(numbers) - len(set(numbers))
            lost = load.acknowledged - set(numbers)
            self.assertEqual(duplicates, 0, f"{node.workdir}: duplicated mails")
            self.assertEqual(lost, set(), f"{node.workdir}: acknowledged mails lost")
        self.assertLessEqual(p99, NEW_LEADER_SECONDS_MAX, "a new leader took too long")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if "--lifeboat" in arguments:
        at = arguments.index("--lifeboat")
        os.environ["LIFEBOAT_BINARY"] = os.path.abspath(arguments[at + 1])
        del arguments[at:at + 2]
    unittest.main(argv=[sys.argv[0]] + arguments, verbosity=2)
