"""Relay to a real primary and the failback drain (issue #11, Done-when item 1): a private
Postfix on loopback delivering over LMTP into a private Dovecot is the primary; a real
`lifeboat serve` receives mail, relays it and probes Postfix.

- Primary up: a mail sent to Lifeboat arrives in Dovecot (IMAP), and its history copy is in the
  Lifeboat mailbox.
- Postfix stopped by PID: the node switches to continuity; mail sent meanwhile is kept in
  Lifeboat and held (`route status`), and the log has no DeliveryAttempted between the switch to
  continuity and the switch to failback.
- Postfix started: failback relays every kept mail oldest first; each arrives in Dovecot exactly
  once (counted by Message-ID); the mode returns to normal with the drain as its reason, and the
  log shows each step. The measured times are printed.

Run as `python3 relay_test.py --lifeboat PATH`. Runs as root (Postfix's and Dovecot's masters).
"""

import json
import os
import signal
import smtplib
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(HERE))  # tests/integration: the `harness` package

from harness import dependencies  # noqa: E402
from harness import node as node_module  # noqa: E402
from harness import ports  # noqa: E402
from harness import waiting  # noqa: E402
from harness import workspace  # noqa: E402
from harness.dovecot_instance import DovecotInstance  # noqa: E402
from harness.postfix_instance import PostfixInstance, pid_alive, smtp_greets  # noqa: E402

# Shortened thresholds, as in failover_test.py: probe every 250 ms, down after 3 failures within
# 2 s, up after 3 clean probes and a 2 s hold-down.
PROBE_INTERVAL_MS = 250
PROBE_TIMEOUT_MS = 200
FAILURES_TO_SWITCH = 3
FAILURE_WINDOW_MS = 2000
SUCCESSES_TO_RECOVER = 3
HOLD_DOWN_MS = 2000
BUSY_MACHINE_ALLOWANCE_SECONDS = 2
DETECTION_BOUND_SECONDS = PROBE_INTERVAL_MS * FAILURES_TO_SWITCH / 1000 + 1 \
    + BUSY_MACHINE_ALLOWANCE_SECONDS
RECOVERY_BOUND_SECONDS = (HOLD_DOWN_MS + SUCCESSES_TO_RECOVER * PROBE_INTERVAL_MS) / 1000 + 1 \
    + BUSY_MACHINE_ALLOWANCE_SECONDS
# Postfix hands a mail to Dovecot through its queue manager and LMTP client: well under a second
# on an idle machine; generous here for two loaded cores.
ARRIVAL_BOUND_SECONDS = 60
POSTFIX_EXIT_TIMEOUT_SECONDS = 60
LOG_EVENTS_SCANNED = 500
KEPT_MAILS = 4

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {queue_dir}
data_directory = {data_dir}
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = primary.example.test
mydestination =
relay_domains = example.test
relay_recipient_maps =
relay_transport = lmtp:inet:[127.0.0.1]:{lmtp_port}
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
smtpd_banner = $myhostname ESMTP
default_transport = discard:primary
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
biff = no
maillog_file = {data_dir}/maillog
maillog_file_prefixes = {data_dir}
syslog_name = postfix-relay-it
"""

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
proxymap  unix  -       -       n       -       -       proxymap
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def lifeboat_binary():
    binary = os.environ.get("LIFEBOAT_BINARY")
    if not binary:
        raise AssertionError("pass --lifeboat PATH (or set LIFEBOAT_BINARY)")
    return binary


def message(message_id, recipient, subject):
    return (f"From: Sender <sender@outside.test>\r\nTo: <{recipient}>\r\n"
            f"Subject: {subject}\r\nMessage-ID: {message_id}\r\n\r\n"
            f"Body of {subject}.\r\n.leading dot, stuffed on the wire\r\n")


class RelayTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        dependencies.require("postfix")
        dependencies.require("dovecot")
        cls.workdir = workspace.make(cls.addClassCleanup)
        os.chmod(cls.workdir, 0o755)  # Postfix's and Dovecot's processes run as their users
        cls.dovecot = DovecotInstance(os.path.join(cls.workdir, "dovecot"), ports.free_port(),
                                      ports.free_port())
        cls.addClassCleanup(cls.dovecot.stop)
        cls.dovecot.start()
        cls.primary = PostfixInstance(os.path.join(cls.workdir, "postfix"), ports.free_port())
        cls.addClassCleanup(cls.primary.stop)
        values = cls.primary.prepare()
        values["lmtp_port"] = cls.dovecot.lmtp_port
        cls.main_cf = MAIN_CF.format(**values)
        cls.master_cf = MASTER_CF.format(**values)
        cls.primary.start(cls.main_cf, cls.master_cf)
        node_dir = os.path.join(cls.workdir, "node")
        os.makedirs(node_dir)
        cls.node = node_module.LifeboatNode(
            lifeboat_binary(), node_dir,
            sections={
                "routing": {
                    "primaries": [f"127.0.0.1:{cls.primary.port}"],
                    "probe_interval_ms": PROBE_INTERVAL_MS,
                    "probe_timeout_ms": PROBE_TIMEOUT_MS,
                    "failures_to_switch": FAILURES_TO_SWITCH,
                    "failure_window_ms": FAILURE_WINDOW_MS,
                    "successes_to_recover": SUCCESSES_TO_RECOVER,
                    "hold_down_ms": HOLD_DOWN_MS,
                },
                # The private Postfix offers no STARTTLS; the client's TLS has its own tests.
                "delivery": {"tls": "none", "concurrency": 2, "retry_initial_ms": 1000},
            })
        cls.addClassCleanup(cls.node.close)
        cls.node.start()

    # --- helpers ---------------------------------------------------------------------------

    def send(self, message_id, recipient, subject):
        with smtplib.SMTP("127.0.0.1", self.node.smtp_port, timeout=30) as client:
            client.sendmail("sender@outside.test", [recipient],
                            message(message_id, recipient, subject))

    def route_status(self):
        return json.loads(self.node.cli("route", "status", "--json").stdout)

    def mode_of(self, scope="all"):
        for entry in self.route_status()["scopes"]:
            if entry["scope"] == scope:
                return entry["mode"]
        return None

    def wait_mode(self, mode, bound_seconds, what):
        started = time.monotonic()
        try:
            waiting.wait_until(lambda: self.mode_of() == mode, bound_seconds, what)
        except waiting.WaitTimeout as timeout:
            raise AssertionError(f"{timeout}\n--- route status: {self.route_status()}\n"
                                 f"--- node log:\n{self.node.log_tail()}") from None
        return time.monotonic() - started

    def log_events(self):
        output = self.node.cli("log", "tail", "-n", str(LOG_EVENTS_SCANNED)).stdout
        return [json.loads(line) for line in output.splitlines() if line.strip()]

    def arrived(self, user):
        return self.dovecot.message_ids(user)

    def wait_arrived(self, user, message_ids, what):
        started = time.monotonic()
        try:
            waiting.wait_until(lambda: set(message_ids) <= set(self.arrived(user)),
                               ARRIVAL_BOUND_SECONDS, what)
        except waiting.WaitTimeout as timeout:
            raise AssertionError(f"{timeout}\n--- in Dovecot: {self.arrived(user)}\n"
                                 f"--- route status: {self.route_status()}\n"
                                 f"--- postfix:\n{self.primary.maillog_tail()}\n"
                                 f"--- node log:\n{self.node.log_tail()}") from None
        return time.monotonic() - started

    def stop_primary_by_pid(self):
        pid = self.primary.master_pid
        self.assertIsNotNone(pid)
        os.kill(pid, signal.SIGTERM)
        signalled = time.monotonic()
        waiting.wait_until(lambda: not pid_alive(pid), POSTFIX_EXIT_TIMEOUT_SECONDS,
                           f"postfix master {pid} to exit")
        self.primary.started = False
        self.primary.master_pid = None
        waiting.wait_until(lambda: not smtp_greets(self.primary.port),
                           POSTFIX_EXIT_TIMEOUT_SECONDS, "the primary's port to stop greeting")
        return signalled

    # --- the scenario ----------------------------------------------------------------------

    def test_relay_keep_and_failback_drain(self):
        waiting.wait_until(
            lambda: any(p["success"] for p in self.route_status()["primaries"][0]["probes"]),
            DETECTION_BOUND_SECONDS, "a successful probe of the primary")
        self.assertEqual(self.mode_of(), "normal")

        # Normal: relayed to the primary, and the history copy kept.
        first_id = "<normal-1@outside.test>"
        sent = time.monotonic()
        self.send(first_id, "alice@example.test", "normal mode mail")
        self.wait_arrived("alice", [first_id], "the normal-mode mail in Dovecot")
        print(f"\nmeasured relay time in normal mode (sent to Lifeboat -> seen over IMAP in "
              f"Dovecot): {time.monotonic() - sent:.3f} s", flush=True)
        self.node.wait_applied()
        self.assertIn("normal mode mail", self.node.subjects("alice@example.test"))
        waiting.wait_until(lambda: any("delivered" in e for e in self.log_events()), 30,
                           "the Delivered event")

        # Postfix stops: continuity; mail is kept and held.
        outage_began = self.stop_primary_by_pid()
        self.wait_mode("continuity", DETECTION_BOUND_SECONDS + 1, "the switch to continuity")
        print(f"measured detection time: {time.monotonic() - outage_began:.3f} s", flush=True)
        kept = []
        for number in range(KEPT_MAILS):
            recipient = "alice@example.test" if number % 2 == 0 else "bob@example.test"
            message_id = f"<kept-{number}@outside.test>"
            self.send(message_id, recipient, f"kept mail {number}")
            kept.append((recipient.split("@")[0], message_id))
        self.node.wait_applied()
        self.assertIn("kept mail 0", self.node.subjects("alice@example.test"))
        self.assertIn("kept mail 1", self.node.subjects("bob@example.test"))
        # The driver takes a committed batch's mails when the node has folded it.
        waiting.wait_until(
            lambda: self.route_status()["delivery"]["held_recipients"] == KEPT_MAILS, 30,
            f"{KEPT_MAILS} held recipients in `route status`")
        delivery = self.route_status()["delivery"]
        self.assertEqual(delivery["connections"], 0, delivery)
        text = self.node.cli("route", "status").stdout
        self.assertIn(f"{KEPT_MAILS} held", text)

        # Postfix returns: failback drains the kept mail, then normal.
        self.primary.start(self.main_cf, self.master_cf)
        recovery_began = time.monotonic()
        self.wait_mode("normal", RECOVERY_BOUND_SECONDS + ARRIVAL_BOUND_SECONDS,
                       "failback drained and back to normal")
        back_to_normal = time.monotonic() - recovery_began
        for user in ("alice", "bob"):
            self.wait_arrived(user, [mid for who, mid in kept if who == user],
                              f"{user}'s kept mails in Dovecot")
        print(f"measured failback: Postfix started -> mode normal again {back_to_normal:.3f} s; "
              f"-> every kept mail in Dovecot {time.monotonic() - recovery_began:.3f} s "
              f"({KEPT_MAILS} mails)", flush=True)

        # Exactly once each, by Message-ID.
        alice, bob = self.arrived("alice"), self.arrived("bob")
        for message_id in [first_id] + [mid for who, mid in kept if who == "alice"]:
            self.assertEqual(alice.count(message_id), 1, alice)
        for message_id in [mid for who, mid in kept if who == "bob"]:
            self.assertEqual(bob.count(message_id), 1, bob)

        # The log, in order: continuity, no attempt, failback, the kept mails Delivered, normal.
        events = self.log_events()
        changes = [(i, e["routing_changed"]) for i, e in enumerate(events)
                   if "routing_changed" in e]
        self.assertEqual([c["mode"] for _, c in changes],
                         ["ROUTING_MODE_CONTINUITY", "ROUTING_MODE_FAILBACK",
                          "ROUTING_MODE_NORMAL"], changes)
        to_continuity, to_failback, to_normal = (i for i, _ in changes)
        attempts_in_continuity = [e for e in events[to_continuity:to_failback]
                                  if "delivery_attempted" in e]
        print(f"DeliveryAttempted between the switch to continuity and failback: "
              f"{len(attempts_in_continuity)}", flush=True)
        self.assertEqual(attempts_in_continuity, [])
        delivered_in_failback = [e["delivered"] for e in events[to_failback:to_normal]
                                 if "delivered" in e]
        self.assertEqual(len(delivered_in_failback), KEPT_MAILS, delivered_in_failback)
        self.assertIn("every kept mail relayed", changes[2][1]["reason"])
        self.assertEqual(self.route_status()["delivery"]["queued_mails"], 0)


def main():
    arguments = sys.argv[1:]
    if "--lifeboat" in arguments:
        at = arguments.index("--lifeboat")
        os.environ["LIFEBOAT_BINARY"] = os.path.abspath(arguments[at + 1])
        del arguments[at:at + 2]
    unittest.main(argv=[sys.argv[0]] + arguments, verbosity=2)


if __name__ == "__main__":
    main()
