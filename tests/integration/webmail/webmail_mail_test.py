"""The webmail's mail endpoints over real HTTPS against the running node (issue 12, IDOR).

One node with [webmail]; Alice and Bob activate with break-glass codes and each receive mail over
SMTP (Bob's with an attachment whose name tries to climb out of a folder). Then, for every mail
endpoint: Alice reads, flags, moves, deletes and downloads her own mail, and each of those with
Bob's message id answers 404 while the log does not grow and Bob's message stays as it was;
Alice cannot reply to Bob's message nor send as Bob; no export endpoint exists; malformed JSON
and oversized bodies get a clear 4xx and change nothing; Alice's sent mail reaches Bob's Inbox
with her own From.
"""

import email.message
import http.client
import json
import os
import smtplib
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "smtp"))  # smtp_case, then `harness`
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402
from harness import node as node_module  # noqa: E402
from harness import workspace  # noqa: E402

ALICE = "alice@example.test"
BOB = "bob@example.test"
PASSWORD = "correct horse battery staple"
HTTP_TIMEOUT_SECONDS = 30
SMTP_TIMEOUT_SECONDS = 30
COOKIE_NAME = "__Host-lifeboat-session"
API_BODY_BYTES_MAX = 64 * 1024  # modules/webmail/webmail_limits.h kApiBodyBytesMax


class WebmailMailTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = workspace.make(cls.addClassCleanup)
        cls.node = node_module.LifeboatNode(smtp_case.lifeboat_binary(), cls.workdir,
                                            webmail=True)
        cls.addClassCleanup(cls.node.close)
        cls.node.start()
        cls.node.wait_applied()

    # --- plumbing --------------------------------------------------------------------------

    def request(self, method, path, body=None, session=None, raw_body=None):
        import ssl
        tls = ssl.create_default_context(cafile=self.node.certificate)
        tls.check_hostname = False
        connection = http.client.HTTPSConnection("127.0.0.1", self.node.webmail_port,
                                                 context=tls, timeout=HTTP_TIMEOUT_SECONDS)
        self.addCleanup(connection.close)
        headers = {}
        if method == "POST":
            headers["Content-Type"] = "application/json"
            headers["Origin"] = self.node.webmail_origin
        if session is not None:
            headers["Cookie"] = f"{COOKIE_NAME}={session['cookie']}"
            if method == "POST":
                headers["X-CSRF-Token"] = session["csrf"]
        payload = raw_body if raw_body is not None else (
            None if body is None else json.dumps(body).encode("utf-8"))
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
        self.assertEqual(response.getheader("X-Content-Type-Options"), "nosniff",
                         f"{method} {path}")
        content_type = response.getheader("Content-Type") or ""
        if content_type.startswith("application/json"):
            return response, json.loads(data.decode("utf-8"))
        return response, data

    def activate(self, user):
        output = self.node.cli("auth", "codes", "--user", user, "--count", "1", "--json").stdout
        code = json.loads(output.splitlines()[0])["code"]
        response, body = self.request("POST", "/api/activate",
                                      {"user": user, "code": code, "new_password": PASSWORD})
        self.assertEqual(response.status, 200, body)
        cookie = response.getheader("Set-Cookie").split(";")[0].partition("=")[2]
        return {"cookie": cookie, "csrf": body["csrf_token"]}

    def deliver(self, message):
        with smtplib.SMTP("127.0.0.1", self.node.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as c:
            c.ehlo("client.example.net")
            c.send_message(message)

    def log_last_index(self):
        return self.node.status()["log_last_index"]

    def inbox(self, session, folder="Inbox"):
        response, body = self.request("GET", f"/api/messages?folder={folder}", session=session)
        self.assertEqual(response.status, 200, body)
        return body["messages"]

    def message_id(self, session, subject):
        for message in self.inbox(session):
            if message["subject"] == subject:
                return message["id"]
        self.fail(f"no message {subject!r}")

    # --- the test --------------------------------------------------------------------------

    def test_mail_endpoints_and_no_access_across_users(self):
        alice = self.activate(ALICE)
        bob = self.activate(BOB)
        mail = email.message.EmailMessage()
        mail["From"] = "partner@ext.test"
        mail["To"] = ALICE
        mail["Subject"] = "for alice"
        mail.set_content("Hello Alice")
        self.deliver(mail)
        secret = email.message.EmailMessage()
        secret["From"] = "partner@ext.test"
        secret["To"] = BOB
        secret["Subject"] = "for bob only"
        secret.set_content("Bob's secret")
        secret.add_attachment(b"top secret bytes", maintype="application",
                              subtype="octet-stream", filename="../../etc/pass\twd")
        self.deliver(secret)
        self.node.wait_applied()

        # Folders, list, read, for each their own.
        response, body = self.request("GET", "/api/folders", session=alice)
        self.assertEqual(response.status, 200, body)
        self.assertEqual([f["name"] for f in body["folders"]][:2], ["Inbox", "Sent"])
        self.assertEqual(body["folders"][0]["unread"], 1)
        mine = self.message_id(alice, "for alice")
        theirs = self.message_id(bob, "for bob only")
        self.assertNotIn("for bob only", [m["subject"] for m in self.inbox(alice)])
        response, body = self.request("GET", f"/api/messages/{mine}", session=alice)
        self.assertEqual(response.status, 200, body)
        self.assertIn("Hello Alice", body["text"])

        # Bob's own attachment: one file, a name without its path, nosniff.
        response, body = self.request("GET", f"/api/messages/{theirs}", session=bob)
        self.assertEqual(response.status, 200, body)
        self.assertEqual(len(body["attachments"]), 1)
        response, data = self.request("GET", f"/api/messages/{theirs}/attachments/0",
                                      session=bob)
        self.assertEqual(response.status, 200)
        self.assertEqual(data, b"top secret bytes")
        disposition = response.getheader("Content-Disposition")
        self.assertTrue(disposition.startswith("attachment;"), disposition)
        self.assertNotIn("/", disposition.split("filename")[1])
        self.assertNotIn("..", disposition)
        self.assertNotIn("\t", disposition)

        # IDOR: each endpoint with Bob's id from Alice's session is 404 and changes nothing.
        before = self.log_last_index()
        attempts = [
            ("GET", f"/api/messages/{theirs}", None),
            ("GET", f"/api/messages/{theirs}/attachments/0", None),
            ("POST", f"/api/messages/{theirs}/flags", {"seen": True, "flagged": True}),
            ("POST", f"/api/messages/{theirs}/move", {"folder": "Trash"}),
            ("POST", f"/api/messages/{theirs}/delete", {}),
            ("POST", "/api/send", {"to": ["x@ext.test"], "in_reply_to": theirs}),
        ]
        for method, path, body in attempts:
            response, answer = self.request(method, path, body, session=alice)
            self.assertEqual(response.status, 404, f"{method} {path}: {answer}")
            self.assertNotIn("secret", json.dumps(answer))
        # Sending as Bob: the request cannot name a From at all.
        response, answer = self.request("POST", "/api/send",
                                        {"to": ["x@ext.test"], "from": BOB}, session=alice)
        self.assertEqual(response.status, 400, answer)
        self.assertEqual(self.log_last_index(), before)
        response, body = self.request("GET", f"/api/messages/{theirs}", session=bob)
        self.assertEqual((body["folder"], body["seen"], body["flagged"]),
                         ("Inbox", False, False))

        # No export endpoint, whatever its name.
        for path in ("/api/export", "/api/messages.mbox", f"/api/messages/{mine}/raw",
                     f"/api/messages/{mine}/source", "/api/folders/Inbox/export"):
            response, answer = self.request("GET", path, session=alice)
            self.assertEqual(response.status, 404, path)

        # Malformed JSON, wrong types, unknown fields, oversized bodies, traversal: 4xx.
        before = self.log_last_index()
        for raw in (b"{\"seen\":", b"{\"seen\":\"yes\"}", b"[]", b"{\"seen\":true,\"x\":1}",
                    b" " * (API_BODY_BYTES_MAX + 1)):
            response, answer = self.request("POST", f"/api/messages/{mine}/flags",
                                            session=alice, raw_body=raw)
            self.assertIn(response.status, (400, 413), raw[:20])
            self.assertIn("error", answer)
        for path in (f"/api/messages/{mine}/attachments/../../{theirs}",
                     f"/api/messages/{mine}/attachments/%2e%2e",
                     f"/api/messages/..%2f{theirs}"):
            response, answer = self.request("GET", path, session=alice)
            self.assertIn(response.status, (400, 404), path)
        self.assertEqual(self.log_last_index(), before)

        # Alice's own changes: each one event.
        response, answer = self.request("POST", f"/api/messages/{mine}/flags",
                                        {"seen": True}, session=alice)
        self.assertEqual(response.status, 200, answer)
        self.assertEqual(self.log_last_index(), before + 1)
        response, body = self.request("GET", "/api/folders", session=alice)
        self.assertEqual(body["folders"][0]["unread"], 0)
        response, answer = self.request("POST", f"/api/messages/{mine}/delete", {},
                                        session=alice)
        self.assertEqual(response.status, 200, answer)
        self.assertEqual([m["id"] for m in self.inbox(alice, "Trash")], [mine])

        # Alice writes to Bob: filed in her Sent and his Inbox, From her own address.
        response, answer = self.request(
            "POST", "/api/send",
            {"to": [BOB], "subject": "lunch?", "text": "At noon.",
             "attachments": [{"name": "menu.txt", "content_type": "text/plain",
                              "data_base64": "U291cGU="}]},
            session=alice)
        self.assertEqual(response.status, 202, answer)
        self.assertIn(answer["id"], [m["id"] for m in self.inbox(alice, "Sent")])
        received = [m for m in self.inbox(bob) if m["subject"] == "lunch?"]
        self.assertEqual(len(received), 1)
        self.assertIn(ALICE, received[0]["from"])
        self.assertTrue(received[0]["has_attachments"])


if __name__ == "__main__":
    smtp_case.main()
