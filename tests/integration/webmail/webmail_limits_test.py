"""Per-address limits of the webmail listener over real HTTPS (issue 12 item 1).

A node whose [webmail] allows 2 connections and 6 requests a minute per client address: a third
connection held open at once gets 503 with a JSON error and is closed, and the seventh request
in the minute gets 429 with Retry-After; both answers carry the security headers.
"""

import http.client
import json
import os
import ssl
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "smtp"))  # smtp_case, then `harness`
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402
from harness import node as node_module  # noqa: E402
from harness import workspace  # noqa: E402

HTTP_TIMEOUT_SECONDS = 30
CONNECTIONS_MAX = 2
REQUESTS_PER_MINUTE_MAX = 6


class WebmailLimitsTest(unittest.TestCase):

    def setUp(self):
        workdir = workspace.make(self.addCleanup)
        self.node = node_module.LifeboatNode(
            smtp_case.lifeboat_binary(), workdir,
            webmail={"connections_per_address_max": CONNECTIONS_MAX,
                     "requests_per_address_per_minute_max": REQUESTS_PER_MINUTE_MAX})
        self.addCleanup(self.node.close)
        self.node.start()
        self.tls = ssl.create_default_context(cafile=self.node.certificate)
        self.tls.check_hostname = False

    def connect(self):
        connection = http.client.HTTPSConnection("127.0.0.1", self.node.webmail_port,
                                                 context=self.tls, timeout=HTTP_TIMEOUT_SECONDS)
        self.addCleanup(connection.close)
        return connection

    def get(self, connection):
        connection.request("GET", "/api/session")
        response = connection.getresponse()
        body = json.loads(response.read().decode("utf-8"))
        self.assertEqual(response.getheader("X-Content-Type-Options"), "nosniff")
        return response, body

    def test_a_connection_over_the_limit_gets_503(self):
        held = [self.connect() for _ in range(CONNECTIONS_MAX)]
        for connection in held:  # each stays open (keep-alive) after its answer
            response, body = self.get(connection)
            self.assertEqual(response.status, 401, body)
        response, body = self.get(self.connect())
        self.assertEqual(response.status, 503, body)
        self.assertEqual(body["error"], "too_many_connections")
        for connection in held:
            connection.close()

    def test_a_request_over_the_rate_gets_429_with_retry_after(self):
        connection = self.connect()  # one kept-alive connection: only the rate is tested
        for i in range(REQUESTS_PER_MINUTE_MAX):
            response, body = self.get(connection)
            self.assertEqual(response.status, 401, f"request {i}: {body}")
        response, body = self.get(connection)
        self.assertEqual(response.status, 429, body)
        self.assertEqual(body["error"], "rate_limited")
        self.assertGreaterEqual(int(response.getheader("Retry-After")), 1)


if __name__ == "__main__":
    smtp_case.main()
