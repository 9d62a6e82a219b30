"""The administrators' webhook for routing mode changes (issue #11 Build 7): a real
`lifeboat serve` POSTs each committed RoutingChanged as JSON to [routing] webhook_url, in order,
and keeps them while the listener is down, retrying until it answers.

The primary is a free port nothing listens on, so the node switches to continuity by itself;
the operator then forces normal and hands back to automatic (`lifeboat route force|auto`). The
listener (a small HTTP server in this process, on a free port) is started only after those three
changes: they must all arrive, in log order. A fourth change made with the listener up arrives
too.

Run as `python3 webhook_test.py --lifeboat PATH`.
"""

import http.server
import json
import os
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(HERE))  # tests/integration: the `harness` package

from harness import node as node_module  # noqa: E402
from harness import ports  # noqa: E402
from harness import waiting  # noqa: E402
from harness import workspace  # noqa: E402

PROBE_INTERVAL_MS = 250
PROBE_TIMEOUT_MS = 200
FAILURES_TO_SWITCH = 3
FAILURE_WINDOW_MS = 2000
# The switch comes after 3 refused probes (under a second); 20 s covers two busy cores.
SWITCH_BOUND_SECONDS = 20
# The node retries with backoff (200 ms doubling, at most 30 s: routing_webhook.h); the listener
# stays down a few seconds, so the next retry is at most ~2x that later.
DELIVERY_BOUND_SECONDS = 45
LOG_EVENTS_SCANNED = 200
WEBHOOK_PATH = "/lifeboat/routing"


def lifeboat_binary():
    binary = os.environ.get("LIFEBOAT_BINARY")
    if not binary:
        raise AssertionError("pass --lifeboat PATH (or set LIFEBOAT_BINARY)")
    return binary


class Listener:
    """An HTTP server on a thread of this process that records each POST's path and JSON body."""

    def __init__(self, port):
        self.received = []
        self.lock = threading.Lock()
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the stdlib's name)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with listener.lock:
                    listener.received.append({
                        "path": self.path,
                        "content_type": self.headers.get("Content-Type"),
                        "body": json.loads(body),
                    })
                self.send_response(204)
                self.end_headers()

            def log_message(self, *arguments):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def bodies(self):
        with self.lock:
            return [request["body"] for request in self.received]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class WebhookTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = workspace.make(cls.addClassCleanup)
        cls.dead_primary_port = ports.free_port()
        cls.listener_port = ports.free_port()
        node_dir = os.path.join(cls.workdir, "node")
        os.makedirs(node_dir)
        cls.node = node_module.LifeboatNode(
            lifeboat_binary(), node_dir,
            sections={"routing": {
                "primaries": [f"127.0.0.1:{cls.dead_primary_port}"],
                "probe_interval_ms": PROBE_INTERVAL_MS,
                "probe_timeout_ms": PROBE_TIMEOUT_MS,
                "failures_to_switch": FAILURES_TO_SWITCH,
                "failure_window_ms": FAILURE_WINDOW_MS,
                "webhook_url": f"http://127.0.0.1:{cls.listener_port}{WEBHOOK_PATH}",
            }})
        cls.addClassCleanup(cls.node.close)
        cls.node.start()

    def routing_events(self):
        """Every RoutingChanged in the log with its index, oldest first."""
        output = self.node.cli("log", "tail", "-n", str(LOG_EVENTS_SCANNED)).stdout
        changes = []
        for line in output.splitlines():
            if not line.strip():
                continue
            event = json.loads(line)
            if "routing_changed" in event:
                change = dict(event["routing_changed"])
                change["_index"] = int(event["index"])
                changes.append(change)
        return changes

    def wait_events(self, count, what):
        try:
            return waiting.wait_until(
                lambda: (lambda events: events if len(events) >= count else None)(
                    self.routing_events()),
                SWITCH_BOUND_SECONDS, what)
        except waiting.WaitTimeout as timeout:
            raise AssertionError(f"{timeout}\n--- node log:\n{self.node.log_tail()}") from None

    def wait_received(self, listener, count, what):
        try:
            waiting.wait_until(lambda: len(listener.bodies()) >= count, DELIVERY_BOUND_SECONDS,
                               what)
        except waiting.WaitTimeout as timeout:
            raise AssertionError(f"{timeout}\n--- received: {listener.bodies()}\n"
                                 f"--- node log:\n{self.node.log_tail()}") from None
        return listener.bodies()

    def test_every_mode_change_arrives_in_order_after_the_listener_comes_up(self):
        # With the listener down: the automatic switch, an operator's force and the hand-back.
        self.wait_events(1, "the automatic switch to continuity")
        self.node.cli("route", "force", "normal", "--reason", "primary checked by hand",
                      "--operator", "alice")
        self.node.cli("route", "auto", "--reason", "back to the probes", "--operator", "alice")
        events = self.wait_events(3, "three routing changes in the log")[:3]
        self.assertEqual([e["mode"] for e in events],
                         ["ROUTING_MODE_CONTINUITY", "ROUTING_MODE_NORMAL",
                          "ROUTING_MODE_CONTINUITY"], events)
        # The node has been failing to reach the listener meanwhile.
        waiting.wait_until(lambda: "webhook unreachable: retrying" in self.node.log_tail(20000),
                           SWITCH_BOUND_SECONDS, "the node's first failed webhook attempt")

        listener = Listener(self.listener_port)
        self.addCleanup(listener.close)
        bodies = self.wait_received(listener, 3, "the three queued notifications")
        self.assertEqual(len(bodies), 3, bodies)
        self.assertTrue(all(r["path"] == WEBHOOK_PATH for r in listener.received))
        self.assertTrue(all(r["content_type"] == "application/json" for r in listener.received))

        # In log order, each with what the log says.
        self.assertEqual([b["log_index"] for b in bodies], [e["_index"] for e in events])
        switch, forced, automatic = bodies
        self.assertEqual((switch["scope"], switch["mode"], switch["previous_mode"]),
                         ("all", "continuity", "normal"))
        self.assertTrue(switch["reason"].startswith("health: every primary down:"), switch)
        self.assertFalse(switch["forced_by_operator"])
        self.assertGreaterEqual(len(switch["probes"]), FAILURES_TO_SWITCH, switch)
        for probe in switch["probes"]:
            self.assertEqual(probe["primary"], f"127.0.0.1:{self.dead_primary_port}")
            self.assertEqual(probe["kind"], "tcp_connect")
            self.assertFalse(probe["success"])
            self.assertGreater(probe["at_unix_micros"], 0)
        self.assertEqual((forced["mode"], forced["previous_mode"], forced["operator"]),
                         ("normal", "continuity", "alice"))
        self.assertTrue(forced["forced_by_operator"])
        self.assertEqual(forced["reason"], "operator alice: force normal: primary checked by hand")
        self.assertEqual(forced["probes"], [])
        self.assertEqual((automatic["mode"], automatic["previous_mode"]),
                         ("continuity", "normal"))
        self.assertTrue(automatic["automatic"])
        self.assertIn("back to the probes", automatic["reason"])
        self.assertTrue(switch["committed_unix_micros"] <= forced["committed_unix_micros"]
                        <= automatic["committed_unix_micros"])

        # With the listener up, a change arrives by itself.
        self.node.cli("route", "force", "continuity", "--scope", "domain:example.test",
                      "--reason", "drill", "--operator", "bob")
        bodies = self.wait_received(listener, 4, "the drill's notification")
        self.assertEqual(len(bodies), 4, bodies)
        self.assertEqual((bodies[3]["scope"], bodies[3]["mode"], bodies[3]["operator"]),
                         ("domain:example.test", "continuity", "bob"))
        self.assertGreater(bodies[3]["log_index"], bodies[2]["log_index"])


def main():
    arguments = sys.argv[1:]
    if "--lifeboat" in arguments:
        at = arguments.index("--lifeboat")
        os.environ["LIFEBOAT_BINARY"] = os.path.abspath(arguments[at + 1])
        del arguments[at:at + 2]
    unittest.main(argv=[sys.argv[0]] + arguments, verbosity=2)


if __name__ == "__main__":
    main()
