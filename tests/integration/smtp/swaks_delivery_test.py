"""swaks, a real external SMTP client: plaintext and STARTTLS deliveries land in the recipient's
mailbox (250 only after the commit, DESIGN.md "Data path"); an unknown user gets 550 5.1.1."""

import re
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402
from harness import dependencies

SWAKS_TIMEOUT_SECONDS = 60
# swaks exit codes (swaks(1) "EXIT CODES"): 0 delivered, 24 every recipient refused.
SWAKS_EXIT_OK = 0
SWAKS_EXIT_RCPT_FAILED = 24


class SwaksDeliveryTest(smtp_case.NodeTestCase):

    def swaks(self, *arguments):
        swaks = dependencies.require("swaks")
        return subprocess.run(
            [swaks, "--server", "127.0.0.1", "--port", str(self.node.smtp_port),
             "--ehlo", "client.example.net", "--from", "sender@ext.test", *arguments],
            capture_output=True, text=True, timeout=SWAKS_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL)

    def assert_delivered(self, subject, *arguments, recipient="alice@example.test",
                         mailbox="alice@example.test"):
        run = self.swaks("--to", recipient, "--header", f"Subject: {subject}",
                         "--body", "Delivered by swaks.", *arguments)
        self.assertEqual(run.returncode, SWAKS_EXIT_OK, run.stdout + run.stderr)
        queued = re.search(r"<[~-] +250 2\.0\.0 Ok: queued as (\S+)", run.stdout)
        self.assertIsNotNone(queued, run.stdout)
        # The 250 came after the commit; the views follow, and wait_applied waits for that.
        self.node.wait_applied()
        messages = [m for m in self.node.mailbox_list(mailbox) if m.get("subject") == subject]
        self.assertEqual(len(messages), 1, f"{subject} stored {len(messages)} times")
        # Inbound mail is filed in the Inbox (appliance/smtp/smtp_service.h).
        self.assertEqual(str(messages[0].get("folder", "")).lower(), "inbox", messages[0])
        # The id in the 250 reply is the stored mail's id: this 250 is this mail's commit.
        self.assertEqual(messages[0].get("mail_id"), queued.group(1), messages[0])
        return run, messages[0]

    def test_plaintext_delivery_lands_in_mailbox(self):
        run, stored = self.assert_delivered("swaks-plain")
        self.assertNotIn("TLS started", run.stdout)
        self.assertIn("sender@ext.test", stored.get("from", ""))
        self.assertGreater(int(stored.get("size_bytes", 0)), 0)

    def test_starttls_delivery_lands_in_mailbox(self):
        run, _ = self.assert_delivered("swaks-starttls", "--tls")
        # swaks prints "=== TLS started with cipher ..." once the handshake is done.
        self.assertRegex(run.stdout, r"=== TLS started with cipher")
        self.assertRegex(run.stdout, r"~> MAIL FROM:<sender@ext\.test>")  # "~>": sent over TLS

    def test_secondary_address_reaches_the_same_mailbox(self):
        # proxyAddresses "smtp:al@example.test" belongs to alice (directory import).
        self.assert_delivered("swaks-proxy-address", recipient="al@example.test",
                              mailbox="alice@example.test")

    def test_unknown_user_is_refused_550_5_1_1(self):
        run = self.swaks("--to", "nobody@example.test", "--header", "Subject: swaks-unknown")
        self.assertEqual(run.returncode, SWAKS_EXIT_RCPT_FAILED, run.stdout + run.stderr)
        self.assertTrue(re.search(r"<\*\* +550 5\.1\.1 ", run.stdout), run.stdout)
        self.assertNotIn("swaks-unknown", self.node.subjects("alice@example.test"))


if __name__ == "__main__":
    smtp_case.main()
