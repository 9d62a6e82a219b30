"""STARTTLS command injection (CVE-2011-0411, RFC 3207 4.2): plaintext commands pipelined after
STARTTLS in the same packet must be discarded, never answered, neither before the handshake (in
plaintext) nor after it (as if a man in the middle had sent them inside TLS)."""

import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402


class StartTlsInjectionTest(smtp_case.NodeTestCase):

    def assert_injection_ignored(self, packet):
        with self.wire() as wire:
            wire.greet()
            wire.send(packet)
            ready = wire.reply()
            self.assertEqual(ready.code, 220, ready)
            # If the injected command were answered in plaintext, its reply would sit in the
            # buffer now (starttls() asserts it is empty) or break the handshake.
            wire.starttls()
            # After the handshake the first reply must answer our NOOP, not the injected VRFY
            # (252) or MAIL (250 2.1.0): replies come in command order (RFC 2920 3.1).
            noop = wire.command("NOOP")
            self.assertEqual((noop.code, noop.enhanced), (250, "2.0.0"), noop)
            self.assertNotIn("Cannot VRFY", noop.text)
            # The session state was reset: EHLO again is required before MAIL (RFC 3207 4.2).
            self.assertEqual(wire.command("MAIL FROM:<sender@ext.test>").code, 503)
            self.assertEqual(wire.command("EHLO client.example.net").code, 250)
            self.assertEqual(wire.command("MAIL FROM:<sender@ext.test>").code, 250)
            self.assertEqual(wire.command("QUIT").code, 221)

    def test_command_pipelined_after_starttls_is_not_answered(self):
        self.assert_injection_ignored(b"STARTTLS\r\nVRFY injected@example.test\r\n")

    def test_transaction_pipelined_after_starttls_is_not_answered(self):
        self.assert_injection_ignored(
            b"STARTTLS\r\nMAIL FROM:<injected@ext.test>\r\nRCPT TO:<alice@example.test>\r\n")


if __name__ == "__main__":
    smtp_case.main()
