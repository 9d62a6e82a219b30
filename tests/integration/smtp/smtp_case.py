"""Shared setup of the SMTP integration tests: the lifeboat binary from the command line, one
real node per test class, raw and smtplib clients, bounded waits on the mailbox projection.

Run a test file as `python3 FILE --lifeboat PATH [unittest arguments]` (ctest passes the path of
the binary it built); LIFEBOAT_BINARY works too.
"""

import os
import smtplib
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/integration: the `harness` package

from harness import node as node_module  # noqa: E402
from harness import smtp_wire  # noqa: E402
from harness import waiting  # noqa: E402
from harness import workspace  # noqa: E402

SMTP_TIMEOUT_SECONDS = 30


def lifeboat_binary():
    binary = os.environ.get("LIFEBOAT_BINARY")
    if not binary:
        raise AssertionError("pass --lifeboat PATH (or set LIFEBOAT_BINARY) to the lifeboat binary")
    return binary


def main():
    arguments = sys.argv[1:]
    if "--lifeboat" in arguments:
        at = arguments.index("--lifeboat")
        if at + 1 >= len(arguments):
            raise SystemExit("--lifeboat needs a path")
        os.environ["LIFEBOAT_BINARY"] = os.path.abspath(arguments[at + 1])
        del arguments[at:at + 2]
    unittest.main(argv=[sys.argv[0]] + arguments, verbosity=2)


def send_with_smtplib(port, subject, recipients=("alice@example.test",),
                      sender="sender@ext.test", body="hello"):
    """One message over a new plaintext session; returns smtplib's refused-recipients dict."""
    with smtplib.SMTP("127.0.0.1", port, timeout=SMTP_TIMEOUT_SECONDS) as client:
        client.ehlo("client.example.net")
        return client.sendmail(sender, list(recipients),
                               smtp_wire.message(subject, body, sender, recipients[0]))


class NodeTestCase(unittest.TestCase):
    """Starts one node for the class (SMTP_OPTIONS override [smtp] keys); stops it at the end."""

    SMTP_OPTIONS = {}

    @classmethod
    def setUpClass(cls):
        cls.workdir = workspace.make(cls.addClassCleanup)
        cls.node = node_module.LifeboatNode(lifeboat_binary(), cls.workdir,
                                            smtp=dict(cls.SMTP_OPTIONS))
        cls.addClassCleanup(cls.node.close)
        cls.node.start()

    def wire(self):
        """A raw SMTP connection to the node, closed at the end of the test."""
        connection = smtp_wire.SmtpWire(self.node.smtp_port)
        self.addCleanup(connection.close)
        return connection

    def wait_for_subject(self, address, subject):
        """After a 250 from the node: waits until its views hold what its log holds, then checks
        that a message with `subject` is in `address`'s mailbox; returns all subjects."""
        self.node.wait_applied()
        subjects = self.node.subjects(address)
        self.assertIn(subject, subjects, f"subject {subject!r} in the mailbox of {address}")
        return subjects

    def wait_sessions_closed(self, timeout_seconds=SMTP_TIMEOUT_SECONDS):
        """Waits until the node counts no open SMTP session (earlier tests' sessions are gone)."""
        waiting.wait_until(lambda: self.node.status()["smtp"]["sessions_open"] == 0,
                           timeout_seconds, "no open SMTP session")


def try_deliver(port, subject, recipient="alice@example.test", body="hello"):
    """One message over a new raw session. Returns the reply that decided it: the 250 after DATA,
    or the first refusal (a storage refusal may come at MAIL, RCPT, DATA or end of data)."""
    with smtp_wire.SmtpWire(port) as wire:
        banner = wire.reply()
        if banner.code != 220:
            return banner
        for line in ("EHLO client.example.net", "MAIL FROM:<sender@ext.test>",
                     f"RCPT TO:<{recipient}>", "DATA"):
            reply = wire.command(line)
            if reply.code >= 400:
                return reply
        wire.send(smtp_wire.message(subject, body, recipient=recipient) + ".\r\n")
        final = wire.reply()
        try:
            wire.command("QUIT")
        except (smtp_wire.ConnectionClosed, OSError):
            pass
        return final
