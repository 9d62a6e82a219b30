"""The operator CLI as an operator at 3 a.m. meets it.

1. `--help` and `-h` on every command and subcommand: exit 0, the usage on stdout, naming the
   command. The table below must cover every command of the global usage.
2. A node filled with 1,200 messages over SMTP (Postfix's smtp-source); `mailbox list` pages
   through them with `--after` (the text listing's "more:" command, run as printed, and --json's
   next_after) and `log tail` pages backwards with `--before`: first through the running node,
   then, after SIGTERM, from its data dir. Every message and every event appears exactly once.
3. `lifeboat status` on the stopped data dir: exit 0, "running: no", the node's identity and a log
   that ends where the running node's did.
"""

import json
import os
import pty
import select
import shlex
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "smtp"))  # smtp_case, then `harness`
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402
from harness import dependencies  # noqa: E402
from harness import node as node_module  # noqa: E402

MESSAGES = 1200
SESSIONS = 5
MESSAGE_BYTES = 512
SMTP_SOURCE_TIMEOUT_SECONDS = 300
ADDRESS = "alice@example.test"
PAGE_MESSAGES = node_module.MAILBOX_LIST_LIMIT  # 500: pages of 500, 500, 200
LOG_PAGE_EVENTS = 100
LOG_PAGES_MAX = 100  # a bound on any paging loop: a cursor that never ends fails the test

# Every command and subcommand, as typed. A command in the global usage missing here fails
# test_the_table_covers_the_global_usage.
COMMANDS = (
    ("serve",),
    ("status",),
    ("log",),
    ("log", "tail"),
    ("log", "show"),
    ("rebuild",),
    ("mailbox",),
    ("mailbox", "ls"),
    ("mailbox", "list"),
    ("mailbox", "show"),
    ("directory",),
    ("directory", "status"),
    ("directory", "sync"),
    ("directory", "import"),
    ("directory", "show"),
    ("directory", "search"),
    ("route",),
    ("route", "status"),
    ("route", "force"),
    ("route", "auto"),
    ("auth",),
    ("auth", "codes"),
    ("update",),
    ("update", "apply"),
    ("update", "status"),
    ("update", "rollback"),
    ("cluster",),
    ("cluster", "init"),
    ("cluster", "status"),
    ("demo",),
    ("sim",),
    ("version",),
)
COMMANDS_WITH_SUBCOMMANDS = {"log", "mailbox", "directory", "route", "auth", "update", "cluster"}


def run(arguments, timeout_seconds=node_module.CLI_TIMEOUT_SECONDS):
    return subprocess.run(arguments, capture_output=True, text=True, timeout=timeout_seconds,
                          stdin=subprocess.DEVNULL)


def run_with_terminal_stderr(arguments, timeout_seconds=node_module.CLI_TIMEOUT_SECONDS):
    """Runs `arguments` with stderr on a pseudo-terminal (as an operator's shell would);
    returns (exit code, stdout, everything written to the terminal)."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(arguments, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=terminal)
        os.close(terminal)
        terminal = None
        written = b""
        while True:  # until the child closed its end (EIO on Linux) or the bound passes
            ready, _, _ = select.select([controller], [], [], timeout_seconds)
            if not ready:
                process.kill()
                raise AssertionError(f"{arguments} silent for {timeout_seconds} s")
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            written += chunk
        stdout = process.stdout.read().decode()
        process.stdout.close()
        return process.wait(timeout=timeout_seconds), stdout, written.decode()
    finally:
        os.close(controller)
        if terminal is not None:
            os.close(terminal)


class HelpTest(unittest.TestCase):
    """No node: help needs no config."""

    def lifeboat(self, *arguments):
        return run([smtp_case.lifeboat_binary(), *arguments])

    def test_every_command_answers_help_on_stdout_with_exit_0(self):
        for command in COMMANDS:
            for flag in ("--help", "-h"):
                with self.subTest(command=command, flag=flag):
                    answer = self.lifeboat(*command, flag)
                    self.assertEqual(answer.returncode, 0, answer.stderr)
                    self.assertEqual(answer.stderr, "")
                    self.assertIn("lifeboat " + " ".join(command), answer.stdout)
                    self.assertTrue(answer.stdout.startswith("usage:"), answer.stdout)
                    if command[0] in COMMANDS_WITH_SUBCOMMANDS and len(command) == 1:
                        # The command alone lists its subcommands.
                        subcommands = [c[1] for c in COMMANDS if c[0] == command[0] and len(c) > 1]
                        for subcommand in subcommands:
                            self.assertIn(f"lifeboat {command[0]} {subcommand}", answer.stdout)
                    elif len(command) == 2:
                        # A subcommand's own usage, not its siblings'.
                        siblings = [c[1] for c in COMMANDS
                                    if c[0] == command[0] and len(c) > 1 and c != command]
                        for sibling in siblings:
                            self.assertNotIn(f"lifeboat {command[0]} {sibling} ", answer.stdout)

    def test_help_comes_before_other_arguments_are_checked(self):
        answer = self.lifeboat("mailbox", "list", "--limit", "0", "--help")
        self.assertEqual(answer.returncode, 0, answer.stderr)
        self.assertIn("--after ID", answer.stdout)
        answer = self.lifeboat("log", "tail", "--help", "--bogus")
        self.assertEqual(answer.returncode, 0, answer.stderr)
        self.assertIn("--before INDEX", answer.stdout)

    def test_the_table_covers_the_global_usage(self):
        answer = self.lifeboat("--help")
        self.assertEqual(answer.returncode, 0, answer.stderr)
        listed = set()
        for line in answer.stdout.splitlines():
            words = line.replace("usage:", "").split()
            if not words or words[0] != "lifeboat" or words[1].isupper():
                continue
            command = (words[1],)
            if words[1] in COMMANDS_WITH_SUBCOMMANDS:
                command = (words[1], words[2])
            listed.add(command)
        self.assertTrue(listed)
        missing = listed - set(COMMANDS)
        self.assertEqual(missing, set(), "commands in the usage that this test does not cover")

    def test_unknown_usage_still_exits_2(self):
        answer = self.lifeboat("status", "--bogus")
        self.assertEqual(answer.returncode, 2)
        self.assertIn("unexpected argument", answer.stderr)


class PagingTest(smtp_case.NodeTestCase):
    # A load from one address: the default rate limit would answer 4xx (see smtp_source_test).
    SMTP_OPTIONS = {"message_burst_per_ip_max": 1000000, "message_interval_per_ip_ms": 1}

    def fill_mailbox(self):
        smtp_source = dependencies.require("smtp-source")
        sent = run([smtp_source, "-c", "-l", str(MESSAGE_BYTES), "-m", str(MESSAGES), "-s",
                    str(SESSIONS), "-f", "a@ext", "-t", ADDRESS,
                    f"127.0.0.1:{self.node.smtp_port}"], SMTP_SOURCE_TIMEOUT_SECONDS)
        self.assertEqual(sent.returncode, 0, sent.stderr)
        self.assertNotIn("smtp-source:", sent.stderr, sent.stderr)
        # Every message got 250: once the views hold what the log held, all are listed.
        return self.node.wait_applied()

    # --- mailbox list ------------------------------------------------------------------------

    def page_text(self):
        """Runs `mailbox list` and then each "more:" command exactly as printed; returns the ids
        of every page, in order."""
        arguments = ["mailbox", "list", ADDRESS, "--limit", str(PAGE_MESSAGES)]
        answer = self.node.cli(*arguments)
        ids = []
        for _ in range(LOG_PAGES_MAX):
            lines = answer.stdout.splitlines()
            self.assertTrue(lines[0].startswith("DATE (UTC)"), answer.stdout[:200])
            more = [line for line in lines if line.startswith("more: ")]
            rows = [line for line in lines[1:] if not line.startswith("more: ")]
            ids += [row.split()[-1] for row in rows]
            if not more:
                return ids
            self.assertEqual(lines[-1], more[0], "the next page's command is the last line")
            command = shlex.split(more[0][len("more: "):])
            self.assertEqual(command[:3], ["lifeboat", "mailbox", "list"])
            self.assertEqual(command[command.index("--after") + 1], ids[-1])
            self.assertEqual(command[command.index("--config") + 1], self.node.config_path)
            answer = run([self.node.binary] + command[1:])
            self.assertEqual(answer.returncode, 0, answer.stderr)
        self.fail("mailbox list kept printing more:")

    def page_json(self):
        """`mailbox list --json`, then --after next_after until a page has none."""
        ids = []
        after = []
        for _ in range(LOG_PAGES_MAX):
            output = self.node.cli("mailbox", "list", ADDRESS, "--limit", str(PAGE_MESSAGES),
                                   "--json", *after).stdout
            objects = [json.loads(line) for line in output.splitlines() if line.strip()]
            cursor = [o for o in objects if "next_after" in o]
            messages = [o for o in objects if "next_after" not in o]
            self.assertLessEqual(len(messages), PAGE_MESSAGES)
            ids += [message["message_id"] for message in messages]
            if not cursor:
                return ids
            self.assertIs(objects[-1], cursor[0], "next_after is the last line")
            self.assertEqual(cursor[0]["next_after"], ids[-1])
            after = ["--after", cursor[0]["next_after"]]
        self.fail("mailbox list --json kept returning next_after")

    def assert_every_message_once(self, ids, where):
        self.assertEqual(len(ids), MESSAGES, f"{where}: messages listed")
        self.assertEqual(len(set(ids)), MESSAGES, f"{where}: a message listed twice")

    # --- log tail ----------------------------------------------------------------------------

    def tail_pages(self, count, pages_max):
        """`log tail -n COUNT`, then the "more:" command from stderr, up to `pages_max` pages;
        returns the event indices of each page and whether older events remain."""
        answer = self.node.cli("log", "tail", "-n", str(count))
        pages = []
        for _ in range(pages_max):
            indices = [int(json.loads(line)["index"]) for line in answer.stdout.splitlines()
                       if line.strip()]
            pages.append(indices)
            more = [line for line in answer.stderr.splitlines() if line.startswith("more: ")]
            if not more:
                return pages, False
            command = shlex.split(more[-1][len("more: "):])
            self.assertEqual(command[command.index("--before") + 1], str(indices[0]))
            answer = run([self.node.binary] + command[1:])
            self.assertEqual(answer.returncode, 0, answer.stderr)
        return pages, True

    def assert_log_pages(self, last_index, where):
        pages, more = self.tail_pages(LOG_PAGE_EVENTS, 3)
        self.assertTrue(more, f"{where}: three pages of {LOG_PAGE_EVENTS} do not reach the start")
        # The tail ends at the last index asked before, or later (a node may log meanwhile).
        expected_end = pages[0][-1]
        self.assertGreaterEqual(expected_end, last_index, where)
        last_index = expected_end
        for page in pages:
            self.assertEqual(page, list(range(expected_end - LOG_PAGE_EVENTS + 1,
                                              expected_end + 1)), where)
            expected_end = page[0] - 1
        # The whole log in pages of the maximum: every index once, and the paging ends.
        pages, more = self.tail_pages(1000, LOG_PAGES_MAX)
        self.assertFalse(more, f"{where}: log tail kept printing more:")
        indices = [index for page in reversed(pages) for index in page]
        self.assertEqual(indices, list(range(1, indices[-1] + 1)), where)
        self.assertGreaterEqual(indices[-1], last_index, where)

    # --- the timeline ------------------------------------------------------------------------

    def test_pages_through_the_running_node_then_the_stopped_data_dir(self):
        status = self.fill_mailbox()
        self.assertGreaterEqual(status["log_last_index"], MESSAGES)
        self.assertIs(status["running"], True)

        online_text = self.page_text()
        self.assert_every_message_once(online_text, "running node, text")
        self.assertEqual(self.page_json(), online_text, "running node, --json")
        self.assert_log_pages(self.node.status()["log_last_index"], "running node")

        last_index = self.node.status()["log_last_index"]
        self.assertEqual(self.node.stop(), 0)

        offline_text = self.page_text()
        self.assertEqual(offline_text, online_text, "data dir, text")
        self.assertEqual(self.page_json(), online_text, "data dir, --json")

        stopped = json.loads(self.node.cli("status", "--json").stdout)
        self.assertIs(stopped["running"], False)
        self.assertEqual(stopped["node_id"], "n1")
        self.assertEqual(stopped["cluster_id"], "it")
        self.assertEqual(stopped["log_first_index"], 1)
        self.assertGreaterEqual(stopped["log_last_index"], last_index)
        self.assertLessEqual(stopped["projection_applied_index"], stopped["log_last_index"])
        self.assertEqual(stopped["directory_entries"], len(node_module.DEFAULT_USERS))
        self.assertEqual(stopped["data_dir"], self.node.data_dir)
        text = self.node.cli("status").stdout
        self.assertIn("running    no", text)
        self.assertIn(f"1..{stopped['log_last_index']}", text)

        self.assert_log_pages(stopped["log_last_index"], "data dir")

        waiting = self.node.cli("status", "--wait-applied", check=False)
        self.assertEqual(waiting.returncode, 1, waiting.stderr)
        self.assertIn("--wait-applied", waiting.stderr)

        # rebuild: progress on a terminal only, then the same state as the incremental one.
        quiet = self.node.cli("rebuild")
        self.assertEqual(quiet.stderr, "", "no progress when stderr is not a terminal")
        self.assertIn("state hash", quiet.stdout)
        code, stdout, terminal = run_with_terminal_stderr(
            [self.node.binary, "rebuild", "--config", self.node.config_path])
        self.assertEqual(code, 0, terminal)
        self.assertEqual(stdout, quiet.stdout, "a rebuild is deterministic")
        self.assertIn("\rrebuild: 0 of ", terminal)
        self.assertIn(f"of {stopped['log_last_index']:,} events", terminal)
        self.assertTrue(terminal.endswith("\r"), "the progress line is erased at the end")

    def test_directory_import_waits_quietly_without_a_terminal(self):
        if not self.node.running():  # the paging test stops the node
            self.node.start()
        quiet = self.node.cli("directory", "import")
        self.assertEqual(quiet.stderr, "")
        self.assertRegex(quiet.stdout, r"^directory import done \(action \d+\)\n$")
        code, stdout, terminal = run_with_terminal_stderr(
            [self.node.binary, "directory", "import", "--config", self.node.config_path])
        self.assertEqual(code, 0, terminal)
        self.assertRegex(stdout, r"^directory import done \(action \d+\)\n$")
        # An import may be done before the first poll; if a progress line was shown, it says
        # what runs and for how long, and it is erased.
        if terminal:
            self.assertIn("directory import (action ", terminal)
            self.assertIn(" elapsed", terminal)
            self.assertTrue(terminal.endswith("\r"))

    def test_a_running_node_that_refuses_the_token_is_not_read_as_stopped(self):
        """A running node's error reply (here 401 for a token that is not its own) is reported as
        such: `status` must not fall back to the data dir, which the running node holds."""
        if not self.node.running():  # the paging test stops the node
            self.node.start()
        token_path = os.path.join(self.node.data_dir, "admin.token")
        with open(token_path, encoding="ascii") as source:
            token = source.read()
        def write_token(text):
            with open(token_path, "w", encoding="ascii") as out:
                out.write(text)
        self.addCleanup(write_token, token)
        write_token("0" * len(token.strip()) + "\n")
        refused = self.node.cli("status", check=False)
        self.assertEqual(refused.returncode, 1, refused.stdout + refused.stderr)
        self.assertIn("401", refused.stderr)
        self.assertNotIn("running    no", refused.stdout)


if __name__ == "__main__":
    smtp_case.main()
