"""Postfix's smtp-source, the classic SMTP load generator: 200 messages of 10 KiB over 5
parallel sessions; every one is acknowledged and every one is stored."""

import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402
from harness import dependencies

MESSAGES = 200
SESSIONS = 5
MESSAGE_BYTES = 10240
SMTP_SOURCE_TIMEOUT_SECONDS = 180


class SmtpSourceTest(smtp_case.NodeTestCase):
    # The default rate limit (a burst of 60, then 1 per second per IP) would answer 4xx to a
    # load test from one address; this test measures storage, not the limiter.
    SMTP_OPTIONS = {"message_burst_per_ip_max": 1000000, "message_interval_per_ip_ms": 1}

    def test_all_messages_stored(self):
        smtp_source = dependencies.require("smtp-source")
        started = time.monotonic()
        run = subprocess.run(
            [smtp_source, "-c", "-l", str(MESSAGE_BYTES), "-m", str(MESSAGES), "-s",
             str(SESSIONS), "-f", "a@ext", "-t", "alice@example.test",
             f"127.0.0.1:{self.node.smtp_port}"],
            capture_output=True, text=True, timeout=SMTP_SOURCE_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL)
        elapsed = time.monotonic() - started
        self.assertEqual(run.returncode, 0, run.stderr)
        # smtp-source reports every refused command on stderr ("smtp-source: ... 4xx/5xx").
        self.assertNotIn("smtp-source:", run.stderr, run.stderr)
        # -c prints a running count of messages sent.
        self.assertIn(str(MESSAGES), run.stdout.split())

        # Every message got 250 before smtp-source exited: once the views hold what the log
        # holds, all of them are listed.
        self.node.wait_applied()
        count = len(self.node.mailbox_list("alice@example.test"))
        print(f"smtp-source: {MESSAGES} messages x {MESSAGE_BYTES} bytes over {SESSIONS} "
              f"sessions in {elapsed:.2f} s; stored {count}")
        self.assertEqual(count, MESSAGES)
        status = self.node.status()
        self.assertEqual(status["smtp"]["messages_committed"], MESSAGES)
        self.assertEqual(status["smtp"]["messages_failed"], 0)


if __name__ == "__main__":
    smtp_case.main()
