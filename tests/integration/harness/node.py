"""One real `lifeboat serve` process: generated config on free ports, start, stop, kill -9, CLI.

Ownership: a LifeboatNode owns its process (stopped by PID, never by name) and the files it writes
under `workdir`; the caller owns `workdir` itself (see workspace.py).
"""

import ctypes
import json
import os
import signal
import subprocess
import urllib.error
import urllib.request

from . import ports
from . import tls_cert
from . import waiting

# A node opens two LevelDBs and imports the directory: seconds, not minutes, even on 2 busy cores.
NODE_START_TIMEOUT_SECONDS = 60
# SIGTERM drains sessions waiting for a commit (bounded in the node), then exits.
NODE_STOP_TIMEOUT_SECONDS = 60
CLI_TIMEOUT_SECONDS = 60
HEALTH_PROBE_TIMEOUT_SECONDS = 1.0
LOG_TAIL_BYTES = 4000
# `mailbox list --limit` maximum (admin::kMailboxMessagesMax, the mailbox reader's page size):
# mailbox_list pages through a mailbox this many messages at a time.
MAILBOX_LIST_LIMIT = 500
MAILBOX_LIST_PAGES_MAX = 1000  # a bound on paging: 500,000 messages, more than any test sends

DOMAIN = "example.test"
SMTP_HOSTNAME = "mx.example.test"
# sAMAccountName, mail, displayName, proxyAddresses ("smtp:" secondary addresses, ";"-separated).
DEFAULT_USERS = (
    ("alice", "alice@example.test", "Alice", "smtp:al@example.test"),
    ("bob", "bob@example.test", "Bob", ""),
    ("carol", "carol@example.test", "Carol", ""),
)


def _die_with_parent():
    """Runs in the child before exec: the node gets SIGKILL if the test process dies (a ctest
    timeout, a crash), so no node outlives its test. Survives exec (prctl(2) PR_SET_PDEATHSIG)."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string for the ASCII we write
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _toml_section(name, values):
    lines = [f"[{name}]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


class LifeboatNode:
    """A single-node Lifeboat with an SMTP listener, configured in `workdir`.

    `smtp` adds or overrides [smtp] keys (limits); `data_dir` defaults to workdir/data;
    `wrapper` is a command prefix (["fiu-run", "-x", ...]) for `serve` only; `sections` adds
    whole sections ({"routing": {...}}) after the others; `webmail` adds a [webmail] HTTPS
    listener on a free port (webmail_port, webmail_origin) with the [tls] files (a dict: more
    [webmail] keys, such as ui_dir).
    """

    def __init__(self, binary, workdir, smtp=None, users=DEFAULT_USERS, data_dir=None,
                 wrapper=(), node_id="n1", sections=None, webmail=False):
        self.binary = os.path.abspath(binary)
        if not os.access(self.binary, os.X_OK):
            raise AssertionError(f"lifeboat binary not found or not executable: {self.binary}")
        self.workdir = workdir
        self.wrapper = list(wrapper)
        self.data_dir = data_dir or os.path.join(workdir, "data")
        self.config_path = os.path.join(workdir, "lifeboat.toml")
        self.log_path = os.path.join(workdir, "node.log")
        self.users_path = os.path.join(workdir, "users.csv")
        self.smtp_port = ports.free_port()
        self.admin_port = ports.free_port()
        self.webmail_port = ports.free_port() if webmail else None
        self.webmail_origin = f"https://127.0.0.1:{self.webmail_port}" if webmail else None
        self.process = None
        self.starts = 0
        self._write_users(users)
        certificate, private_key = tls_cert.make_self_signed(workdir)
        self.certificate = certificate
        smtp_section = {
            "listen": f"127.0.0.1:{self.smtp_port}",
            "hostname": SMTP_HOSTNAME,
            "domains": [DOMAIN],
            "trusted_networks": [],
        }
        smtp_section.update(smtp or {})
        config = (
            _toml_section("node", {"id": node_id, "cluster_id": "it", "data_dir": self.data_dir})
            + _toml_section("admin", {"listen": f"127.0.0.1:{self.admin_port}"})
            + _toml_section("tls", {"certificate": certificate, "private_key": private_key})
            + _toml_section("smtp", smtp_section)
            + _toml_section("directory", {"import_file": self.users_path}))
        for name, values in (sections or {}).items():
            config += _toml_section(name, values)
        if webmail:
            # `webmail` may be a dict of more [webmail] keys (limits) besides the listener.
            extra = webmail if isinstance(webmail, dict) else {}
            config += _toml_section("webmail",
                                    {"listen": f"127.0.0.1:{self.webmail_port}", **extra})
        with open(self.config_path, "w", encoding="utf-8") as out:
            out.write(config)

    def _write_users(self, users):
        with open(self.users_path, "w", encoding="utf-8") as out:
            out.write("sAMAccountName,mail,displayName,proxyAddresses\n")
            for user in users:
                out.write(",".join(user) + "\n")

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def running(self):
        return self.process is not None and self.process.poll() is None

    def spawn(self, extra_env=None):
        """Starts `serve` without waiting for readiness (see wait_ready)."""
        assert not self.running(), "node already running"
        self.starts += 1
        environment = dict(os.environ)
        environment.update(extra_env or {})
        with open(self.log_path, "ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.wrapper + [self.binary, "serve", "--config", self.config_path],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=environment,
                start_new_session=True, preexec_fn=_die_with_parent)

    def healthy(self):
        url = f"http://127.0.0.1:{self.admin_port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=HEALTH_PROBE_TIMEOUT_SECONDS) as answer:
                return answer.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self, timeout_seconds=NODE_START_TIMEOUT_SECONDS):
        """Waits for /healthz, then for the directory import to be durable and applied: /healthz
        answers before, and until the first import is applied a recipient the node does not know
        yet gets 451 4.4.3."""
        def alive():
            if not self.running():
                raise AssertionError(
                    f"lifeboat exited with {self.process.returncode} while starting:\n"
                    + self.log_tail())
            return True

        waiting.wait_until(lambda: alive() and self.healthy(), timeout_seconds,
                           f"lifeboat /healthz on {self.admin_port}")
        waiting.wait_until(lambda: alive() and self.directory_imported(), timeout_seconds,
                           "the directory import")
        self.wait_applied()

    def directory_imported(self):
        directory = self.status().get("directory", {})
        return directory.get("import_outcome") == "ok"

    def wait_ready_or_exit(self, timeout_seconds=NODE_START_TIMEOUT_SECONDS):
        """True once ready, False if the process exited first (a refusal to start)."""
        def settled():
            if not self.running():
                return "exited"
            return "ready" if self.healthy() and self.directory_imported() else None
        return waiting.wait_until(settled, timeout_seconds, "lifeboat ready or exited") == "ready"

    def start(self, extra_env=None, timeout_seconds=NODE_START_TIMEOUT_SECONDS):
        self.spawn(extra_env)
        self.wait_ready(timeout_seconds)

    def stop(self, timeout_seconds=NODE_STOP_TIMEOUT_SECONDS):
        """SIGTERM, then waits for the exit; returns the exit code."""
        assert self.process is not None, "node never started"
        if self.running():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_seconds)
        except subprocess.TimeoutExpired as expired:
            self.kill()
            raise AssertionError(
                f"lifeboat did not stop within {timeout_seconds} s of SIGTERM") from expired

    def kill(self):
        """kill -9 by PID; returns once the process is gone."""
        if self.running():
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=NODE_STOP_TIMEOUT_SECONDS)

    def close(self):
        """Kills the node if it still runs (cleanup path, also on test failure)."""
        if self.running():
            self.kill()

    def log_tail(self, limit=LOG_TAIL_BYTES):
        try:
            with open(self.log_path, "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - limit))
                return log.read().decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    # --- operator CLI ----------------------------------------------------------------------

    def cli(self, *arguments, check=True, timeout_seconds=CLI_TIMEOUT_SECONDS):
        completed = subprocess.run(
            [self.binary, *arguments, "--config", self.config_path], capture_output=True,
            text=True, timeout=timeout_seconds, stdin=subprocess.DEVNULL)
        if check and completed.returncode != 0:
            raise AssertionError(
                f"lifeboat {' '.join(arguments)} exited {completed.returncode}: "
                f"{completed.stderr.strip()}")
        return completed

    def mailbox_list(self, address):
        """`lifeboat mailbox list ADDRESS --json`: one dict per message, all of them, newest
        first: pages of MAILBOX_LIST_LIMIT, each continuing after the previous page's last
        message (`--after`, the {"next_after": ID} line), until a page has no next_after."""
        messages = []
        after = []
        for _ in range(MAILBOX_LIST_PAGES_MAX):
            output = self.cli("mailbox", "list", address, "--limit", str(MAILBOX_LIST_LIMIT),
                              "--json", *after).stdout
            page = [json.loads(line) for line in output.splitlines() if line.strip()]
            cursor = [item["next_after"] for item in page if "next_after" in item]
            messages += [item for item in page if "next_after" not in item]
            if not cursor:
                return messages
            after = ["--after", cursor[0]]
        raise AssertionError(f"mailbox list {address}: still more after "
                             f"{MAILBOX_LIST_PAGES_MAX} pages (a cursor that does not advance?)")

    def subjects(self, address):
        return [message.get("subject", "") for message in self.mailbox_list(address)]

    def status(self):
        """`lifeboat status --json` from the running node."""
        return json.loads(self.cli("status", "--json").stdout)

    def wait_applied(self):
        """`lifeboat status --wait-applied --json`: returns (the status) once the mailbox and
        directory views hold everything the log held when asked, so mail that got 250 before
        this call is listed after it. The node answers when its projections catch up (no
        polling); the command fails if they do not within its bound."""
        return json.loads(self.cli("status", "--wait-applied", "--json").stdout)
