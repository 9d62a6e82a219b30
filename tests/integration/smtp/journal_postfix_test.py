"""Journal intake against a real journal source (issue #3): mail from a configured journal
network is history, filed in the Sent folder of a local sender and the Inbox of each local
recipient, as the original message (modules/mailbox/journal.h, appliance/smtp/smtp_service.cc).

Topology, all on loopback: swaks -> Postfix (the primary's gateway, journal_gateway.py) ->
ordinary delivery discarded; the `always_bcc` copy -> the Lifeboat node from 127.0.0.1, which the
node lists in [smtp] journal_networks. Exchange envelope journal reports cannot come from a real
Exchange here: swaks sends one from the journal network. A client outside journal_networks
(127.0.0.2) gets the ordinary policy chain.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402
import journal_gateway  # noqa: E402
from harness import dependencies  # noqa: E402
from harness import node as node_module  # noqa: E402
from harness import waiting  # noqa: E402
from harness import workspace  # noqa: E402

SWAKS_TIMEOUT_SECONDS = 60
# swaks(1) "EXIT CODES": 0 delivered, 24 every recipient refused.
SWAKS_EXIT_OK = 0
SWAKS_EXIT_RCPT_FAILED = 24
# Postfix queues, qmgr picks up, smtp relays to the node, the node commits: well under a second
# on an idle machine; the bound allows for 2 busy cores.
JOURNAL_TIMEOUT_SECONDS = 30

DOMAIN = node_module.DOMAIN
JOURNAL_ADDRESS = f"journal@{DOMAIN}"
JOURNAL_NETWORK_CLIENT = "127.0.0.1"  # Postfix's smtp_bind_address; in journal_networks
OTHER_CLIENT = "127.0.0.2"  # any other loopback address: not a journal source
USERS = tuple((name, f"{name}@{DOMAIN}", name.capitalize(), "")
              for name in ("alice", "bob", "carol", "dave", "erin"))
ADDRESS = {name: f"{name}@{DOMAIN}" for name, _, _, _ in USERS}
EXTERNAL = "partner@ext.test"
SOURCE_JOURNAL = "MAIL_SOURCE_JOURNAL"
SOURCE_INBOUND = "MAIL_SOURCE_SMTP_INBOUND"


def original_message(subject, sender, to, body_lines=("Numbers for Q3 attached.",)):
    """An RFC 5322 message with every header Postfix would otherwise add (Date, Message-ID), so
    the gateway passes it on unchanged apart from its Received: field. CRLF line ends."""
    lines = [f"From: <{sender}>", f"To: <{to}>", f"Subject: {subject}",
             "Date: Sat, 28 Nov 2026 10:00:00 +0000", f"Message-ID: <{subject}@primary.test>",
             "MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii", "",
             *body_lines]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def strip_trace_fields(raw):
    """Splits the leading Received: fields (with their folded lines) from the rest; returns
    (trace_text, rest_bytes)."""
    trace = []
    rest = raw
    while rest[:9].lower() == b"received:":
        end = rest.index(b"\r\n")
        while rest[end + 2:end + 3] in (b" ", b"\t"):  # RFC 5322 2.2.3 folding
            end = rest.index(b"\r\n", end + 2)
        trace.append(rest[:end].decode("ascii", "replace"))
        rest = rest[end + 2:]
    return trace, rest


class JournalPostfixTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.swaks_binary = dependencies.require("swaks")
        cls.workdir = workspace.make(cls.addClassCleanup)
        # Postfix's processes run as `postfix` and must reach their queue under the temp dir.
        os.chmod(cls.workdir, 0o755)
        node_dir = os.path.join(cls.workdir, "node")
        os.makedirs(node_dir)
        cls.node = node_module.LifeboatNode(
            smtp_case.lifeboat_binary(), node_dir, users=USERS,
            smtp={"journal_networks": [f"{JOURNAL_NETWORK_CLIENT}/32"]})
        cls.addClassCleanup(cls.node.close)
        cls.node.start()
        cls.gateway = journal_gateway.JournalGateway(
            os.path.join(cls.workdir, "postfix"), JOURNAL_ADDRESS, cls.node.smtp_port)
        cls.addClassCleanup(cls.gateway.stop)
        cls.gateway.start()

    # --- helpers ---------------------------------------------------------------------------

    def swaks(self, port, sender, recipients, data, local_interface=None):
        """swaks with `data` (CRLF lines, ending in CRLF) as the message; returns the run."""
        self.assertTrue(data.endswith(b"\r\n"), data[-20:])
        with tempfile.NamedTemporaryFile(dir=self.workdir, suffix=".eml", delete=False) as out:
            # swaks ends DATA with "\r\n." itself: the file holds the message without its last
            # line end, or the server would receive an extra empty line.
            out.write(data[:-2])
        self.addCleanup(os.unlink, out.name)
        command = [self.swaks_binary, "--server", "127.0.0.1", "--port", str(port),
                   "--ehlo", "client.primary.test", "--from", sender,
                   "--to", ",".join(recipients), "--data", out.name]
        if local_interface:
            command += ["--local-interface", local_interface]
        return subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=SWAKS_TIMEOUT_SECONDS)

    def send_through_gateway(self, sender, recipients, data):
        run = self.swaks(self.gateway.port, sender, recipients, data)
        self.assertEqual(run.returncode, SWAKS_EXIT_OK, run.stdout + run.stderr)
        return run

    def filed(self, user, subject):
        return [m for m in self.node.mailbox_list(ADDRESS[user]) if m.get("subject") == subject]

    def wait_filed(self, user, subject):
        """Waits until `subject` is in `user`'s mailbox; returns its entries (all folders)."""
        def present():
            return self.filed(user, subject)
        try:
            return waiting.wait_until(present, JOURNAL_TIMEOUT_SECONDS,
                                      f"{subject!r} in the mailbox of {user}")
        except waiting.WaitTimeout as timeout:
            raise AssertionError(
                f"{timeout}\n--- postfix queue holds {self.gateway.queued_files()} file(s); "
                f"maillog:\n{self.gateway.maillog_tail()}\n--- node log:\n"
                f"{self.node.log_tail()}") from None

    def assert_filed_once(self, user, subject, folder):
        """`subject` is in `user`'s mailbox exactly once, in `folder`; returns that entry."""
        entries = self.wait_filed(user, subject)
        self.assertEqual([entry.get("folder") for entry in entries], [folder],
                         f"{subject!r} in {user}'s mailbox: {entries}")
        return entries[0]

    def assert_not_filed(self, user, subject):
        self.assertEqual(self.filed(user, subject), [], f"{subject!r} filed for {user}")

    def received_event(self, entry):
        """The MailReceived event that filed `entry` (`lifeboat log show INDEX`): the mailbox
        JSON has no source field, the event has."""
        output = self.node.cli("log", "show", str(entry["event_index"])).stdout
        events = [json.loads(line) for line in output.splitlines() if line.strip()]
        self.assertEqual(len(events), 1, output)
        received = events[0].get("mail_received")
        self.assertIsNotNone(received, output)
        self.assertEqual(received.get("mail_id"), entry["mail_id"], output)
        return received

    def source_of(self, entry, client=JOURNAL_NETWORK_CLIENT):
        """The event's source, after checking which client address the mail came from."""
        received = self.received_event(entry)
        self.assertEqual(received.get("peer_address", "").rsplit(":", 1)[0], client, received)
        return received.get("source")

    def raw_of(self, user, entry):
        """The stored bytes (`lifeboat mailbox show ... --json --raw`: a JSON line, an empty
        line, then the message exactly as stored)."""
        completed = subprocess.run(
            [self.node.binary, "mailbox", "show", ADDRESS[user], entry["message_id"], "--json",
             "--raw", "--config", self.node.config_path],
            capture_output=True, stdin=subprocess.DEVNULL, timeout=node_module.CLI_TIMEOUT_SECONDS)
        self.assertEqual(completed.returncode, 0, completed.stderr)
        detail, separator, raw = completed.stdout.split(b"\n", 2)
        self.assertEqual(json.loads(detail)["message_id"], entry["message_id"])
        self.assertEqual(separator, b"")
        return raw

    def assert_original_behind_trace(self, user, entry, original):
        """A bcc copy is the message itself: what is stored is the original behind the trace
        fields of the two hops (Postfix's smtpd, then the node; RFC 5321 4.4), no wrapping."""
        trace, rest = strip_trace_fields(self.raw_of(user, entry))
        self.assertEqual(rest, original, f"trace fields: {trace}")
        self.assertEqual(len(trace), 2, trace)
        self.assertIn(node_module.SMTP_HOSTNAME, trace[0])
        self.assertIn(journal_gateway.GATEWAY_HOSTNAME, trace[1])

    # --- Postfix always_bcc ----------------------------------------------------------------

    def test_internal_mail_is_sent_for_the_sender_and_inbox_for_the_recipient(self):
        subject = "journal-alice-to-bob"
        original = original_message(subject, ADDRESS["alice"], ADDRESS["bob"])
        self.send_through_gateway(ADDRESS["alice"], [ADDRESS["bob"]], original)
        sent = self.assert_filed_once("alice", subject, "Sent")
        received = self.assert_filed_once("bob", subject, "Inbox")
        # One journal copy, one event, filed twice (DESIGN.md: bodies stored once).
        self.assertEqual(sent["mail_id"], received["mail_id"])
        self.assertEqual(self.source_of(sent), SOURCE_JOURNAL)
        self.assert_original_behind_trace("alice", sent, original)
        self.assert_original_behind_trace("bob", received, original)
        self.assert_not_filed("carol", subject)

    def test_mail_from_an_external_sender_is_inbox_for_the_recipient_only(self):
        subject = "journal-partner-to-alice"
        original = original_message(subject, EXTERNAL, ADDRESS["alice"])
        self.send_through_gateway(EXTERNAL, [ADDRESS["alice"]], original)
        entry = self.assert_filed_once("alice", subject, "Inbox")
        self.assertEqual(self.source_of(entry), SOURCE_JOURNAL)
        self.assert_original_behind_trace("alice", entry, original)
        for user in ("bob", "carol", "dave", "erin"):
            self.assert_not_filed(user, subject)

    def test_bcc_copy_of_mail_with_a_bcc_recipient_is_sent_for_the_sender(self):
        # bob is only an envelope recipient (a Bcc: the MUA sends no Bcc header).
        subject = "journal-alice-bcc-bob-sent"
        original = original_message(subject, ADDRESS["alice"], EXTERNAL)
        self.send_through_gateway(ADDRESS["alice"], [EXTERNAL, ADDRESS["bob"]], original)
        entry = self.assert_filed_once("alice", subject, "Sent")
        self.assertEqual(self.source_of(entry), SOURCE_JOURNAL)
        self.assert_original_behind_trace("alice", entry, original)

    def test_bcc_copy_of_mail_with_a_bcc_recipient_is_inbox_for_that_recipient(self):
        # Issue #3: "Inbox for mail the user received". A plain always_bcc copy carries no trace
        # of a Bcc recipient (RCPT TO:<journal@...> only, no Bcc header), so the gateway here
        # uses recipient_bcc_maps, which names each original recipient in the journal address.
        gateway = journal_gateway.JournalGateway(
            os.path.join(self.workdir, "postfix-per-recipient"), JOURNAL_ADDRESS,
            self.node.smtp_port, per_recipient=True)
        self.addCleanup(gateway.stop)
        gateway.start()
        subject = "journal-alice-bcc-bob-inbox"
        original = original_message(subject, ADDRESS["alice"], EXTERNAL)
        run = self.swaks(gateway.port, ADDRESS["alice"], [EXTERNAL, ADDRESS["bob"]], original)
        self.assertEqual(run.returncode, SWAKS_EXIT_OK, run.stdout + run.stderr)
        self.assert_filed_once("alice", subject, "Sent")
        bob = self.assert_filed_once("bob", subject, "Inbox")
        self.assertEqual(self.source_of(bob), SOURCE_JOURNAL)
        self.assert_original_behind_trace("bob", bob, original)
        for user in ("carol", "dave", "erin"):
            self.assert_not_filed(user, subject)

    # --- not a journal source --------------------------------------------------------------

    def test_journal_address_from_outside_journal_networks_is_unknown_user(self):
        # The ordinary chain resolves journal@ in the directory, where nobody has it.
        subject = "journal-spoofed"
        run = self.swaks(self.node.smtp_port, ADDRESS["alice"], [JOURNAL_ADDRESS],
                         original_message(subject, ADDRESS["alice"], ADDRESS["bob"]),
                         local_interface=OTHER_CLIENT)
        self.assertEqual(run.returncode, SWAKS_EXIT_RCPT_FAILED, run.stdout + run.stderr)
        self.assertRegex(run.stdout, r"<\*\* +550 5\.1\.1 ")
        for user in ("alice", "bob"):
            self.assert_not_filed(user, subject)

    def test_mail_from_outside_journal_networks_is_ordinary_inbound(self):
        # Same headers as a journal copy, but from a client that is not a journal source: filed
        # in the recipient's Inbox only, never in the From: user's Sent.
        subject = "journal-not-a-source"
        original = original_message(subject, ADDRESS["alice"], ADDRESS["bob"])
        run = self.swaks(self.node.smtp_port, ADDRESS["alice"], [ADDRESS["bob"]], original,
                         local_interface=OTHER_CLIENT)
        self.assertEqual(run.returncode, SWAKS_EXIT_OK, run.stdout + run.stderr)
        entry = self.assert_filed_once("bob", subject, "Inbox")
        self.assertEqual(self.source_of(entry, client=OTHER_CLIENT), SOURCE_INBOUND)
        self.assert_not_filed("alice", subject)

    # --- Exchange envelope journal report --------------------------------------------------

    def test_exchange_envelope_report_files_the_original_byte_for_byte(self):
        subject = "journal-exchange-report"
        # The original as Exchange attaches it: a line starting with "." exercises SMTP
        # transparency (RFC 5321 4.5.2) on the way in.
        original = original_message(subject, ADDRESS["alice"], ADDRESS["bob"],
                                    body_lines=("Figures below.", ".hidden dot line",
                                                "Regards, Alice"))
        envelope = "\r\n".join((
            f"Sender: {ADDRESS['alice']}",
            f"Subject: {subject}",
            f"Message-Id: <{subject}@primary.test>",
            f"To: {ADDRESS['bob']}",
            f"Cc: {ADDRESS['carol']}",
            f"Bcc: {ADDRESS['dave']}",
            f"Recipient: {ADDRESS['erin']}, Expanded: sales@{DOMAIN}",
            f"To: {EXTERNAL}",
        )) + "\r\n"
        # Microsoft, "Journal reports in Exchange Server": multipart/mixed, the envelope as a
        # text part, the original attached unaltered as message/rfc822.
        report = (
            "From: Microsoft Exchange <journal-agent@exchange.primary.test>\r\n"
            f"To: <{JOURNAL_ADDRESS}>\r\n"
            f"Subject: {subject}\r\n"
            "Date: Sat, 28 Nov 2026 10:00:01 +0000\r\n"
            f"Message-ID: <report-{subject}@exchange.primary.test>\r\n"
            "X-MS-Journal-Report:\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"journal-boundary-1\"\r\n"
            "\r\n"
            "--journal-boundary-1\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n"
            "\r\n"
            f"{envelope}"
            "\r\n"
            "--journal-boundary-1\r\n"
            "Content-Type: message/rfc822\r\n"
            "\r\n").encode("ascii") + original + b"\r\n--journal-boundary-1--\r\n"
        run = self.swaks(self.node.smtp_port, "journal-agent@exchange.primary.test",
                         [JOURNAL_ADDRESS], report, local_interface=JOURNAL_NETWORK_CLIENT)
        self.assertEqual(run.returncode, SWAKS_EXIT_OK, run.stdout + run.stderr)
        sent = self.assert_filed_once("alice", subject, "Sent")
        self.assertEqual(self.source_of(sent), SOURCE_JOURNAL)
        entries = {"alice": sent}
        for user in ("bob", "carol", "dave", "erin"):  # To, Cc, Bcc, Recipient (via a list)
            entries[user] = self.assert_filed_once(user, subject, "Inbox")
        for user, entry in entries.items():
            self.assertEqual(entry["mail_id"], sent["mail_id"], user)
            # The original, never the report (journal.h): no trace field of ours either.
            self.assertEqual(self.raw_of(user, entry), original, user)


if __name__ == "__main__":
    smtp_case.main()
