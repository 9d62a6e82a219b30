"""SMTP smuggling (SEC Consult, December 2023): an end-of-data marker with a bare LF or CR, that
some servers take for the end of the message, followed by a second "MAIL FROM/RCPT TO/DATA"
message in the same stream. RFC 5321 2.3.8 and 4.1.1.4 allow only CRLF "." CRLF. Whatever the node
answers, the smuggled message must never be accepted as a message of its own: we count what
lands in the mailbox of the smuggled recipient."""

import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402
from harness import smtp_wire

# (name, bytes that end the outer message in the attacker's view). Each is followed by a smuggled
# transaction for bob and, last, a real CRLF.CRLF.
END_OF_DATA_VARIANTS = (
    ("LF . LF", b"\n.\n"),
    ("LF . CRLF", b"\n.\r\n"),
    ("CRLF . LF", b"\r\n.\n"),
    ("CR . CR", b"\r.\r"),
    ("CR . CRLF", b"\r.\r\n"),
    ("CRLF . CR", b"\r\n.\r"),
    ("LF . CR", b"\n.\r"),
    ("CR . LF", b"\r.\n"),
    ("CRLF . CR CRLF", b"\r\n.\r\r\n"),
    ("CR CRLF . CR CRLF", b"\r\r\n.\r\r\n"),
    ("LF LF . LF LF", b"\n\n.\n\n"),
    ("CRLF NUL . CRLF", b"\r\n\x00.\r\n"),
    ("CRLF . SP CRLF", b"\r\n. \r\n"),
    ("CRLF .. CRLF (dot-stuffed)", b"\r\n..\r\n"),
)


def smuggled_transaction(number):
    return (b"MAIL FROM:<attacker@ext.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
            + smtp_wire.message(f"smuggled-{number}", "evil",
                                "ceo@example.test", "bob@example.test").encode()
            + b".\r\n")


class SmugglingTest(smtp_case.NodeTestCase):

    def test_no_smuggled_message_is_accepted(self):
        self.assertGreaterEqual(len(END_OF_DATA_VARIANTS), 10)
        acknowledged_outer = 0
        for number, (name, marker) in enumerate(END_OF_DATA_VARIANTS):
            with self.subTest(variant=name):
                with self.wire() as wire:
                    wire.greet()
                    self.assertEqual(wire.command("MAIL FROM:<sender@ext.test>").code, 250)
                    self.assertEqual(wire.command("RCPT TO:<alice@example.test>").code, 250)
                    self.assertEqual(wire.command("DATA").code, 354)
                    outer = (f"From: <sender@ext.test>\r\nSubject: outer-{number}\r\n\r\n"
                             "first line").encode()
                    # One packet, as an attacker sends it: the outer message, the disputed end
                    # marker, the smuggled transaction, then a real end of data and QUIT.
                    wire.send(outer + marker + smuggled_transaction(number) + b"\r\n.\r\nQUIT\r\n")
                    replies = wire.replies_until_close()
                    queued = [reply for reply in replies if reply.code == 250]
                    # At most the outer message is queued: one 250 after the 354, never two.
                    self.assertLessEqual(len(queued), 1, f"{name}: {replies!r}")
                    acknowledged_outer += len(queued)
                    for reply in replies:
                        # 354 again would mean a second DATA was accepted.
                        self.assertNotEqual(reply.code, 354, f"{name}: {replies!r}")

        # A marker mail sent after every attempt: once it is in the projection, so is every
        # earlier committed mail (one log, applied in order).
        smtp_case.send_with_smtplib(self.node.smtp_port, "smuggling-done",
                                    recipients=("bob@example.test",))
        bob = self.wait_for_subject("bob@example.test", "smuggling-done")
        smuggled = [subject for subject in bob if subject.startswith("smuggled-")]
        print(f"smuggling: {len(END_OF_DATA_VARIANTS)} variants, outer messages acknowledged "
              f"{acknowledged_outer}, smuggled messages stored {len(smuggled)}")
        self.assertEqual(smuggled, [], "smuggled messages reached bob's mailbox")
        self.assertEqual(bob, ["smuggling-done"])
        alice = self.node.subjects("alice@example.test")
        self.assertFalse([s for s in alice if s.startswith("smuggled-")])
        self.assertEqual(len([s for s in alice if s.startswith("outer-")]), acknowledged_outer)


if __name__ == "__main__":
    smtp_case.main()
