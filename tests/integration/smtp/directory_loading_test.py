"""A fresh node whose first directory import has not landed answers 451 4.4.3 (RFC 3463 X.4.3:
directory server failure, a transient error) to a recipient it does not know yet, never 550 5.1.1:
the sender retries instead of bouncing mail for a user the import is about to bring. Here the
import file is broken, so the wait is as long as the test needs; once a good file is imported,
known users get 250 and unknown ones 550 5.1.1."""

import os
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402
from harness import node as node_module
from harness import waiting
from harness import workspace

START_TIMEOUT_SECONDS = 60


class DirectoryLoadingTest(unittest.TestCase):

    def test_unknown_recipient_is_451_until_the_first_import_lands(self):
        workdir = workspace.make(self.addCleanup)
        node = node_module.LifeboatNode(smtp_case.lifeboat_binary(), workdir)
        self.addCleanup(node.close)
        with open(node.users_path, "w", encoding="utf-8") as broken:
            broken.write("this,is,not\na,directory,export\n")  # no mail column: refused
        node.spawn()
        waiting.wait_until(lambda: node.running() and node.healthy(), START_TIMEOUT_SECONDS,
                           "lifeboat /healthz")
        outcome = node.status()["directory"]["import_outcome"]
        self.assertNotEqual(outcome, "ok", outcome)

        for recipient in ("alice@example.test", "nobody@example.test"):
            reply = smtp_case.try_deliver(node.smtp_port, "early", recipient)
            self.assertEqual((reply.code, reply.enhanced), (451, "4.4.3"), reply)
        relay = smtp_case.try_deliver(node.smtp_port, "relay", "someone@elsewhere.example")
        self.assertEqual((relay.code, relay.enhanced), (550, "5.7.1"), relay)  # no relay, still

        node._write_users(node_module.DEFAULT_USERS)
        node.cli("directory", "import")
        self.assertEqual(node.status()["directory"]["import_outcome"], "ok")
        node.wait_applied()
        self.assertEqual(smtp_case.try_deliver(node.smtp_port, "on time", "alice@example.test").code,
                         250)
        unknown = smtp_case.try_deliver(node.smtp_port, "typo", "nobody@example.test")
        self.assertEqual((unknown.code, unknown.enhanced), (550, "5.1.1"), unknown)
        node.wait_applied()
        self.assertEqual(node.subjects("alice@example.test"), ["on time"])

        # After a restart the directory is there from the start: no 451 window.
        self.assertEqual(node.stop(), 0, node.log_tail())
        node.spawn()
        waiting.wait_until(lambda: node.running() and node.healthy(), START_TIMEOUT_SECONDS,
                           "lifeboat /healthz after a restart")
        unknown = smtp_case.try_deliver(node.smtp_port, "typo", "nobody@example.test")
        self.assertEqual((unknown.code, unknown.enhanced), (550, "5.1.1"), unknown)
        self.assertEqual(node.stop(), 0, node.log_tail())


if __name__ == "__main__":
    smtp_case.main()
