"""Open-relay tricks: addresses that look local but route elsewhere (RFC 5321 3.6.1 source
routes, the %-hack, UUCP bang paths, quoted local parts) and plain external domains. Each must be
refused with a 5.7.x code (RFC 3463 X.7.1: delivery not authorized) and nothing stored."""

import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402

# (name, RCPT TO path). "ext.test" is not ours; "example.test" is.
RELAY_TRICKS = (
    ("percent hack", "<user%ext.test@example.test>"),
    ("quoted at-sign", '<"user@ext.test"@example.test>'),
    ("source route", "<@example.test:user@ext.test>"),
    ("two-hop source route", "<@mx.example.test,@example.test:user@ext.test>"),
    ("uucp bang path", "<ext.test!user@example.test>"),
    ("double at-sign", "<user@ext.test@example.test>"),
    ("plain external domain", "<user@ext.test>"),
    ("external domain, upper case", "<USER@EXT.TEST>"),
    ("quoted percent hack", '<"user%ext.test"@example.test>'),
    ("quoted bang path", '<"ext.test!user"@example.test>'),
    ("percent hack on a real user", "<alice%ext.test@example.test>"),
    ("quoted real user at external", '<"alice@ext.test"@example.test>'),
    ("source route to a local user's name", "<@ext.test:alice@ext.test>"),
    ("address literal", "<user@[192.0.2.1]>"),
    ("subdomain of ours", "<user@sub.example.test>"),
    ("our domain as a suffix", "<user@example.test.ext.test>"),
)


class RelayTricksTest(smtp_case.NodeTestCase):

    def test_every_relay_trick_is_refused_with_5_7_x(self):
        self.assertGreaterEqual(len(RELAY_TRICKS), 8)
        for name, path in RELAY_TRICKS:
            with self.subTest(trick=name, path=path):
                with self.wire() as wire:
                    wire.greet()
                    self.assertEqual(wire.command("MAIL FROM:<sender@ext.test>").code, 250)
                    reply = wire.command(f"RCPT TO:{path}")
                    self.assertEqual(reply.code, 550, f"{path}: {reply!r}")
                    self.assertTrue(reply.enhanced.startswith("5.7."), f"{path}: {reply!r}")
                    # No valid recipient: DATA must not open a transaction (RFC 5321 3.3).
                    self.assertEqual(wire.command("DATA").code, 554)
                    self.assertEqual(wire.command("QUIT").code, 221)

    def test_relay_tricks_store_nothing(self):
        subject = "relay-control"
        with self.wire() as wire:
            wire.greet()
            self.assertEqual(wire.command("MAIL FROM:<sender@ext.test>").code, 250)
            for _, path in RELAY_TRICKS[:8]:
                self.assertEqual(wire.command(f"RCPT TO:{path}").code, 550)
            # One real recipient: only it is stored; the refused ones are not reachable.
            self.assertEqual(wire.command("RCPT TO:<bob@example.test>").code, 250)
            self.assertEqual(wire.command("DATA").code, 354)
            wire.send(smtp_case.smtp_wire.message(subject, recipient="bob@example.test") + ".\r\n")
            self.assertEqual(wire.reply().code, 250)
        self.wait_for_subject("bob@example.test", subject)
        self.assertEqual(self.node.subjects("alice@example.test"), [])


if __name__ == "__main__":
    smtp_case.main()
