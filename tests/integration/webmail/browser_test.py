"""The webmail in a real browser (issue 12): headless Chromium (Debian's /usr/bin/chromium) driven
by playwright-core (browser_check.cjs) against a running node that serves the bundled UI.

Setup: one node with [webmail] and ui_dir; alice activated with a break-glass code (her password
set over the API); a welcome mail and the hostile corpus (hostile/*.eml, 60+ mails after the known
webmail XSS and leak classes) delivered to her over SMTP; one mail to bob.

- test_login_pages_and_french: the login page under the strict CSP, keyboard order, sign in and
  out through the UI, axe-core without serious or critical violations, screenshots at desktop and
  phone size (<build>/test-artifacts/webmail/), the French UI for a French browser.
- test_inbox_and_message: the inbox lists the welcome mail and the message view shows it in the
  sandboxed frame. NEEDS the mail API (GET /api/folders, /api/messages, /api/messages/<id>:
  another helper's branch): skipped, saying so, while the node answers 404 there.
- test_hostile_corpus: every hostile mail opened in Chromium, directly and in the sandboxed frame:
  0 scripts run (no PWNED console message, no dialog), 0 requests to any host but the appliance
  (the browser's own request events, outside hosts resolved to nothing); the message's own cid:
  image is shown inline.
- test_another_users_message_is_404: alice asking for bob's message id gets 404, like an id
  that does not exist.
"""

import glob
import http.client
import json
import os
import smtplib
import ssl
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "smtp"))
sys.dont_write_bytecode = True
import smtp_case  # noqa: E402
from harness import node as node_module  # noqa: E402
from harness import workspace  # noqa: E402

USER = "alice@example.test"
PASSWORD = "correct horse battery staple"
COOKIE_NAME = "__Host-lifeboat-session"
HTTP_TIMEOUT_SECONDS = 30
SMTP_TIMEOUT_SECONDS = 30
# The whole browser run: ~80 mails opened twice each plus the pages, on 2 busy cores.
BROWSER_TIMEOUT_SECONDS = 900
HOSTILE_MAILS_MIN = 60
INLINE_IMAGE_MAIL = "cid-related-ok"


def option(name):
    """--name VALUE from the command line (removed from it), else the environment."""
    flag = f"--{name}"
    if flag in sys.argv:
        at = sys.argv.index(flag)
        value = sys.argv[at + 1]
        del sys.argv[at:at + 2]
        os.environ[name.upper().replace("-", "_")] = value
    return os.environ.get(name.upper().replace("-", "_"))


class WebmailBrowserTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.ui_dir = os.environ["UI_DIR"]
        cls.node_modules = os.environ["BROWSER_NODE_MODULES"]
        cls.artifacts = os.environ["ARTIFACTS_DIR"]
        for needed in (os.path.join(cls.ui_dir, "index.html"),
                       os.path.join(cls.node_modules, "playwright-core"), "/usr/bin/chromium"):
            if not os.path.exists(needed):
                raise AssertionError(f"missing {needed} (build webmail_ui and "
                                     f"webmail_browser_deps; image/deps test installs chromium)")
        cls.workdir = workspace.make(cls.addClassCleanup)
        cls.node = node_module.LifeboatNode(smtp_case.lifeboat_binary(), cls.workdir,
                                            webmail={"ui_dir": cls.ui_dir})
        cls.addClassCleanup(cls.node.close)
        cls.node.start()
        cls.tls = ssl.create_default_context(cafile=cls.node.certificate)
        cls.tls.check_hostname = False
        cls.activate(USER, PASSWORD)
        cls.hostile_files = sorted(glob.glob(os.path.join(HERE, "hostile", "*.eml")))
        with smtplib.SMTP("127.0.0.1", cls.node.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            smtp.sendmail("welcome@ext.test", [USER],
                          b"From: Welcome <welcome@ext.test>\r\nTo: alice@example.test\r\n"
                          b"Subject: Welcome aboard\r\nMIME-Version: 1.0\r\n"
                          b"Content-Type: text/html; charset=utf-8\r\n\r\n"
                          b"<p>Hello <b>Alice</b>, the lifeboat works.</p>\r\n")
            smtp.sendmail("welcome@ext.test", ["bob@example.test"],
                          b"From: x@ext.test\r\nTo: bob@example.test\r\nSubject: for bob only\r\n"
                          b"\r\nprivate\r\n")
        # One connection per hostile mail: the gateway may refuse one (a NUL byte, say) and close.
        cls.refused = []
        for path in cls.hostile_files:
            with open(path, "rb") as mail:
                raw = mail.read()
            try:
                with smtplib.SMTP("127.0.0.1", cls.node.smtp_port,
                                  timeout=SMTP_TIMEOUT_SECONDS) as smtp:
                    smtp.sendmail("hostile@attacker.test", [USER], raw)
            except smtplib.SMTPException:
                cls.refused.append(os.path.basename(path))
        cls.node.wait_applied()
        cls.alice_ids = {m.get("subject", ""): m["message_id"]
                         for m in cls.node.mailbox_list(USER)}
        cls.bob_ids = {m.get("subject", ""): m["message_id"]
                       for m in cls.node.mailbox_list("bob@example.test")}
        cls.cookie = cls.login(USER, PASSWORD)

    @classmethod
    def https(cls, method, path, body=None, cookie=None):
        connection = http.client.HTTPSConnection("127.0.0.1", cls.node.webmail_port,
                                                 context=cls.tls, timeout=HTTP_TIMEOUT_SECONDS)
        headers = {"Origin": cls.node.webmail_origin}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if cookie:
            headers["Cookie"] = f"{COOKIE_NAME}={cookie}"
        try:
            connection.request(method, path, body=None if body is None else json.dumps(body),
                               headers=headers)
            response = connection.getresponse()
            return response, response.read()
        finally:
            connection.close()

    @classmethod
    def activate(cls, user, password):
        output = cls.node.cli("auth", "codes", "--user", user, "--count", "1", "--json").stdout
        code = json.loads(output.splitlines()[0])["code"]
        response, payload = cls.https("POST", "/api/activate",
                                      {"user": user, "code": code, "new_password": password})
        if response.status != 200:
            raise AssertionError(f"activation: {response.status} {payload!r}")

    @classmethod
    def login(cls, user, password):
        response, payload = cls.https("POST", "/api/login", {"user": user, "password": password})
        if response.status != 200:
            raise AssertionError(f"login: {response.status} {payload!r}")
        return response.getheader("Set-Cookie").split(";")[0].split("=", 1)[1]

    def api_available(self):
        response, _ = self.https("GET", "/api/folders", cookie=self.cookie)
        return response.status != 404

    def run_browser(self, steps, **extra):
        plan = {"origin": self.node.webmail_origin, "user": USER, "password": PASSWORD,
                "steps": steps, "artifacts": self.artifacts, "api_available": False,
                "inline_image_mail": INLINE_IMAGE_MAIL}
        plan.update(extra)
        plan_path = os.path.join(self.workdir, f"plan-{'-'.join(steps)}.json")
        with open(plan_path, "w", encoding="utf-8") as out:
            json.dump(plan, out)
        environment = dict(os.environ, NODE_PATH=self.node_modules)
        completed = subprocess.run(["node", os.path.join(HERE, "browser_check.cjs"), plan_path],
                                   capture_output=True, text=True, env=environment,
                                   timeout=BROWSER_TIMEOUT_SECONDS, stdin=subprocess.DEVNULL)
        self.assertEqual(completed.returncode, 0, completed.stderr[-4000:])
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        print(json.dumps({k: v for k, v in result.items() if k != "steps"})[:3000],
              file=sys.stderr)
        print(json.dumps(result["steps"])[:3000], file=sys.stderr)
        return result

    def assert_clean(self, result):
        self.assertEqual(result["errors"], [])
        self.assertEqual(result["pwned"], [], "a hostile script ran")
        self.assertEqual(result["outside_requests"], [], "a request left for another host")
        for page, violations in result["axe"].items():
            self.assertEqual(violations, [], f"axe-core on {page}")

    def test_login_pages_and_french(self):
        result = self.run_browser(["login", "french"])
        self.assert_clean(result)
        steps = result["steps"]
        self.assertEqual(steps["index_status"], 200)
        self.assertIn("script-src 'self'", steps["index_csp"])
        self.assertEqual(steps["csp_reports"], [])
        self.assertEqual(steps["login_heading"], "Sign in to your mail")
        self.assertEqual(steps["html_lang"], "en")
        self.assertEqual(steps["first_tab_stop"], "user")
        self.assertIn("Signed in as", steps["signed_in_header"])
        self.assertTrue(steps["signed_out"])
        self.assertEqual(steps["login_phone_overflow_px"], 0)
        self.assertEqual(steps["fr_login_heading"], "Connexion à votre messagerie")
        self.assertEqual(steps["fr_html_lang"], "fr")
        self.assertEqual(steps["fr_submit"], "Se connecter")
        for name in ("login-desktop.png", "login-phone.png", "login-fr-desktop.png",
                     "login-fr-phone.png"):
            self.assertGreater(os.path.getsize(os.path.join(self.artifacts, name)), 1000, name)

    def test_inbox_and_message(self):
        if not self.api_available():
            self.skipTest("NEEDS the mail API (GET /api/folders answers 404 on this node): "
                          "run after merging the webmail API branch")
        welcome = self.alice_ids["Welcome aboard"]
        result = self.run_browser(["login"], api_available=True,
                                  welcome={"id": welcome})
        self.assert_clean(result)
        steps = result["steps"]
        self.assertTrue(steps["inbox_lists_welcome"])
        self.assertEqual(steps["message_subject"], "Welcome aboard")
        self.assertEqual(steps["message_frame_sandbox"],
                         "allow-popups allow-popups-to-escape-sandbox")
        self.assertIn("the lifeboat works", steps["message_frame_text"])
        for page in ("inbox", "message", "compose", "directory"):
            self.assertEqual(steps[f"{page}_phone_overflow_px"], 0, page)

    def test_hostile_corpus(self):
        self.assertGreaterEqual(len(self.hostile_files) - len(self.refused), HOSTILE_MAILS_MIN,
                                f"refused at SMTP: {self.refused}")
        hostile = []
        for path in self.hostile_files:
            if os.path.basename(path) in self.refused:
                continue  # refused by the gateway: never stored, nothing to render
            name = os.path.basename(path)[3:-4]  # "07-svg-animate-href.eml" -> "svg-animate-href"
            number = int(os.path.basename(path)[:2])
            subject = f"hostile {number:02d} {name}"
            self.assertIn(subject, self.alice_ids, f"{path} was not delivered")
            hostile.append({"id": self.alice_ids[subject], "name": name})
        result = self.run_browser(["hostile"], hostile=hostile)
        self.assert_clean(result)
        self.assertEqual(result["steps"]["hostile_opened"], len(hostile))
        self.assertEqual(result["steps"]["inline_image"],
                         {"src": "data:image/png;base64,", "width": 1})

    def test_another_users_message_is_404(self):
        bob_message = self.bob_ids["for bob only"]
        response, payload = self.https("GET", f"/api/messages/{bob_message}/html",
                                       cookie=self.cookie)
        self.assertEqual(response.status, 404, payload)
        self.assertNotIn(b"private", payload)
        missing, _ = self.https("GET", "/api/messages/no-such-id/html", cookie=self.cookie)
        self.assertEqual(missing.status, 404)
        anonymous, _ = self.https("GET", f"/api/messages/{bob_message}/html")
        self.assertEqual(anonymous.status, 401)
        own, body = self.https("GET", f"/api/messages/{self.alice_ids['Welcome aboard']}/html",
                               cookie=self.cookie)
        self.assertEqual(own.status, 200)
        self.assertIn(b"the lifeboat works", body)
        self.assertIn("sandbox", own.getheader("Content-Security-Policy"))


if __name__ == "__main__":
    for name in ("ui-dir", "browser-node-modules", "artifacts-dir"):
        option(name)
    smtp_case.main()
