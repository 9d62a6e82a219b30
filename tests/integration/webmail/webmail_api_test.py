"""The webmail's JSON API over real HTTPS against the running node (issue 12).

One node with [webmail] on a free port and the self-signed [tls] certificate. In order, as a user
who never logged in meets it: no session -> 401; login -> "needs activation"; `lifeboat auth
codes` prints break-glass codes; activation with a code and a new password -> a __Host- session
cookie (Secure, HttpOnly, SameSite=Strict) and a CSRF token; the same code again -> refused; login
with the new password works; a foreign Origin -> 403; logout without the CSRF token -> 403; logout,
then the old cookie -> 401. Every answer carries the security headers; plain HTTP to the port gets
no HTTP answer (the TLS handshake fails).
"""

import http.client
import json
import os
import socket
import ssl
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "smtp"))  # smtp_case, then `harness`
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402
from harness import node as node_module  # noqa: E402
from harness import workspace  # noqa: E402

USER = "alice@example.test"
PASSWORD = "correct horse battery staple"
HTTP_TIMEOUT_SECONDS = 30  # an Argon2id hash on 2 busy cores takes well under a second
COOKIE_NAME = "__Host-lifeboat-session"
SECURITY_HEADERS = ("Strict-Transport-Security", "Content-Security-Policy",
                    "X-Content-Type-Options", "Referrer-Policy")


class WebmailApiTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = workspace.make(cls.addClassCleanup)
        cls.node = node_module.LifeboatNode(smtp_case.lifeboat_binary(), cls.workdir,
                                            webmail=True)
        cls.addClassCleanup(cls.node.close)
        cls.node.start()
        # The node's own self-signed certificate is the trust anchor; its name is "localhost"
        # and we connect to 127.0.0.1, so the name is not checked (the chain is).
        cls.tls = ssl.create_default_context(cafile=cls.node.certificate)
        cls.tls.check_hostname = False

    def request(self, method, path, body=None, cookie=None, csrf=None, origin="default"):
        connection = http.client.HTTPSConnection("127.0.0.1", self.node.webmail_port,
                                                 context=self.tls, timeout=HTTP_TIMEOUT_SECONDS)
        self.addCleanup(connection.close)
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if origin == "default":
            origin = self.node.webmail_origin
        if origin is not None and method == "POST":
            headers["Origin"] = origin
        if cookie is not None:
            headers["Cookie"] = f"{COOKIE_NAME}={cookie}"
        if csrf is not None:
            headers["X-CSRF-Token"] = csrf
        connection.request(method, path, body=None if body is None else json.dumps(body),
                           headers=headers)
        response = connection.getresponse()
        payload = response.read().decode("utf-8")
        for name in SECURITY_HEADERS:
            self.assertIsNotNone(response.getheader(name), f"{method} {path}: no {name}")
        return response, (json.loads(payload) if payload else None)

    def session_cookie(self, response):
        """The session id from Set-Cookie, after checking its attributes."""
        set_cookie = response.getheader("Set-Cookie")
        self.assertIsNotNone(set_cookie, "no Set-Cookie")
        parts = [part.strip() for part in set_cookie.split(";")]
        name, _, value = parts[0].partition("=")
        self.assertEqual(name, COOKIE_NAME)
        self.assertTrue(value)
        attributes = {part.split("=")[0].lower(): part for part in parts[1:]}
        self.assertIn("secure", attributes)
        self.assertIn("httponly", attributes)
        self.assertEqual(attributes.get("samesite", "").lower(), "samesite=strict")
        self.assertEqual(attributes.get("path", "").lower(), "path=/")
        self.assertNotIn("domain", attributes)  # __Host-: no Domain (RFC 6265bis 4.1.3.2)
        return value

    def issue_codes(self, count):
        output = self.node.cli("auth", "codes", "--user", USER, "--count", str(count),
                               "--json").stdout
        lines = [json.loads(line) for line in output.splitlines() if line.strip()]
        self.assertEqual(len(lines), count)
        for line in lines:
            self.assertEqual(line["user"], USER)
        return [line["code"] for line in lines]

    def test_the_whole_journey(self):
        # 1. No cookie: 401.
        response, body = self.request("GET", "/api/session")
        self.assertEqual(response.status, 401, body)

        # 2. A user who never logged in, directory without LDAP: activation needed.
        response, body = self.request("POST", "/api/login", {"user": USER, "password": PASSWORD})
        self.assertEqual(response.status, 403, body)
        self.assertEqual(body["error"], "needs_activation")

        # 3. Break-glass codes, then activation with one of them.
        codes = self.issue_codes(2)
        self.assertNotEqual(codes[0], codes[1])
        response, body = self.request("POST", "/api/activate",
                                      {"user": USER, "code": codes[0], "new_password": PASSWORD})
        self.assertEqual(response.status, 200, body)
        activated = self.session_cookie(response)
        self.assertTrue(body["csrf_token"])
        response, body = self.request("GET", "/api/session", cookie=activated)
        self.assertEqual(response.status, 200, body)

        # 4. The same code again: refused.
        response, body = self.request("POST", "/api/activate",
                                      {"user": USER, "code": codes[0],
                                       "new_password": PASSWORD + " again"})
        self.assertEqual(response.status, 401, body)
        self.assertIsNone(response.getheader("Set-Cookie"))

        # 5. The password set at activation logs in; a new session id (no fixation).
        response, body = self.request("POST", "/api/login", {"user": USER, "password": PASSWORD})
        self.assertEqual(response.status, 200, body)
        session = self.session_cookie(response)
        self.assertNotEqual(session, activated)
        csrf = body["csrf_token"]
        response, body = self.request("GET", "/api/session", cookie=session)
        self.assertEqual(response.status, 200, body)

        # 6. A foreign Origin: 403, and the session is untouched.
        response, body = self.request("POST", "/api/logout", {}, cookie=session, csrf=csrf,
                                      origin="https://evil.example")
        self.assertEqual(response.status, 403, body)
        self.assertEqual(body["error"], "origin")

        # 7. Logout without the CSRF token: 403.
        response, body = self.request("POST", "/api/logout", {}, cookie=session)
        self.assertEqual(response.status, 403, body)
        self.assertEqual(body["error"], "csrf")
        response, body = self.request("GET", "/api/session", cookie=session)
        self.assertEqual(response.status, 200, body)

        # 8. Logout, then the old cookie: 401 (the session ended on the server).
        response, body = self.request("POST", "/api/logout", {}, cookie=session, csrf=csrf)
        self.assertEqual(response.status, 200, body)
        response, body = self.request("GET", "/api/session", cookie=session)
        self.assertEqual(response.status, 401, body)

    def test_plain_http_gets_no_http_answer(self):
        with socket.create_connection(("127.0.0.1", self.node.webmail_port),
                                      timeout=HTTP_TIMEOUT_SECONDS) as plain:
            plain.sendall(b"GET /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            received = b""
            try:
                while True:
                    chunk = plain.recv(4096)
                    if not chunk:
                        break
                    received += chunk
            except ConnectionResetError:
                pass
        # The server closes the connection; whatever came back is no HTTP response (at most a
        # TLS alert record).
        self.assertFalse(received.startswith(b"HTTP/"), received[:80])
        self.assertNotIn(b"application/json", received)

    def test_auth_codes_for_an_unknown_user_fail(self):
        completed = self.node.cli("auth", "codes", "--user", "nobody@example.test", check=False)
        self.assertEqual(completed.returncode, 1)
        self.assertIn("nobody@example.test", completed.stderr)


if __name__ == "__main__":
    smtp_case.main()
