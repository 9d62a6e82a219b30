"""Every SMTP limit answered with its code (STYLE.md rule 8, modules/smtp/session_limits.h):
line too long (500 5.5.2, RFC 5321 4.5.3.1.4/4.5.3.1.6), too many recipients (452 4.5.3, RFC 5321
4.5.3.1.10), message too big (552 5.3.4, RFC 1870 6), too many sessions from one IP (421 4.7.0),
too many errors (421 4.7.0, as Postfix smtpd_hard_error_limit)."""

import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402
from harness import smtp_wire

MESSAGE_BYTES_MAX = 1048576
SESSIONS_PER_IP_MAX = 3
RECIPIENTS_PER_MESSAGE_MAX = 100  # the node's default, the RFC 5321 4.5.3.1.8 minimum
ERRORS_PER_SESSION_MAX = 20  # kSmtpErrorsPerSessionMax
COMMAND_LINE_BYTES_MAX = 512  # kSmtpCommandLineBytesMax
TEXT_LINE_BYTES_MAX = 1000  # kSmtpTextLineBytesMax


class LimitsTest(smtp_case.NodeTestCase):
    SMTP_OPTIONS = {"message_bytes_max": MESSAGE_BYTES_MAX,
                    "sessions_per_ip_max": SESSIONS_PER_IP_MAX,
                    "recipients_per_message_max": RECIPIENTS_PER_MESSAGE_MAX}

    def setUp(self):
        self.wait_sessions_closed()

    def open_transaction(self, wire, recipient="alice@example.test", mail_parameters=""):
        wire.greet()
        self.assertEqual(wire.command(f"MAIL FROM:<sender@ext.test>{mail_parameters}").code, 250)
        self.assertEqual(wire.command(f"RCPT TO:<{recipient}>").code, 250)

    def assert_not_stored(self, subject):
        control = subject + "-control"
        smtp_case.send_with_smtplib(self.node.smtp_port, control)
        subjects = self.wait_for_subject("alice@example.test", control)
        self.assertNotIn(subject, subjects)

    def test_command_line_too_long_500_5_5_2(self):
        with self.wire() as wire:
            wire.greet()
            reply = wire.command("NOOP " + "x" * (COMMAND_LINE_BYTES_MAX + 100))
            self.assertEqual((reply.code, reply.enhanced), (500, "5.5.2"), reply)
            # The session goes on: the long line was skipped whole, not split into commands.
            self.assertEqual(wire.command("NOOP").code, 250)

    def test_text_line_too_long_500_5_5_2(self):
        subject = "limit-text-line"
        with self.wire() as wire:
            self.open_transaction(wire)
            self.assertEqual(wire.command("DATA").code, 354)
            body = "y" * (TEXT_LINE_BYTES_MAX + 200)
            wire.send(smtp_wire.message(subject, body) + ".\r\n")
            reply = wire.reply()
            self.assertEqual((reply.code, reply.enhanced), (500, "5.5.2"), reply)
            self.assertEqual(wire.command("QUIT").code, 221)
        self.assert_not_stored(subject)

    def test_too_many_recipients_452_4_5_3(self):
        recipients = ("alice@example.test", "bob@example.test", "carol@example.test",
                      "al@example.test")
        with self.wire() as wire:
            wire.greet()
            self.assertEqual(wire.command("MAIL FROM:<sender@ext.test>").code, 250)
            for number in range(RECIPIENTS_PER_MESSAGE_MAX):
                reply = wire.command(f"RCPT TO:<{recipients[number % len(recipients)]}>")
                self.assertEqual(reply.code, 250, f"recipient {number + 1}: {reply!r}")
            reply = wire.command("RCPT TO:<alice@example.test>")
            self.assertEqual((reply.code, reply.enhanced), (452, "4.5.3"), reply)
            # The transaction keeps the recipients it has (RFC 5321 4.5.3.1.10).
            self.assertEqual(wire.command("RSET").code, 250)

    def test_declared_size_too_big_552_5_3_4(self):
        with self.wire() as wire:
            wire.greet()
            reply = wire.command(f"MAIL FROM:<sender@ext.test> SIZE={MESSAGE_BYTES_MAX + 1}")
            self.assertEqual((reply.code, reply.enhanced), (552, "5.3.4"), reply)

    def test_message_too_big_552_5_3_4(self):
        subject = "limit-too-big"
        with self.wire() as wire:
            self.open_transaction(wire)
            self.assertEqual(wire.command("DATA").code, 354)
            line = "z" * 998 + "\r\n"
            body = line * (MESSAGE_BYTES_MAX // len(line) + 64)
            wire.send(smtp_wire.message(subject, body) + ".\r\n")
            reply = wire.reply()
            self.assertEqual((reply.code, reply.enhanced), (552, "5.3.4"), reply)
            self.assertEqual(wire.command("QUIT").code, 221)
        self.assert_not_stored(subject)

    def test_too_many_sessions_from_one_ip_421(self):
        held = []
        for _ in range(SESSIONS_PER_IP_MAX):
            wire = self.wire()
            self.assertEqual(wire.reply().code, 220)
            held.append(wire)
        refused = self.wire()
        reply = refused.reply()
        self.assertEqual((reply.code, reply.enhanced), (421, "4.7.0"), reply)
        self.assertTrue(refused.wait_closed())
        for wire in held:
            wire.close()
        # Once the held sessions are gone, the same IP is admitted again.
        self.wait_sessions_closed()
        with self.wire() as wire:
            self.assertEqual(wire.reply().code, 220)

    def test_too_many_errors_421_4_7_0(self):
        with self.wire() as wire:
            wire.greet()
            wire.send("XYZZY\r\n" * ERRORS_PER_SESSION_MAX)
            replies = wire.replies_until_close()
            codes = [reply.code for reply in replies]
            self.assertEqual(codes, [500] * ERRORS_PER_SESSION_MAX + [421], replies)
            self.assertEqual(replies[-1].enhanced, "4.7.0")
            self.assertIn("too many errors", replies[-1].text)


if __name__ == "__main__":
    smtp_case.main()
