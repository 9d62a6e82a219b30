"""The three SMTP servers the bench compares, each started and stopped by PID on loopback.

- LifeboatServer: `lifeboat serve` with an [smtp] section, a fresh data dir per start.
- PostfixServer: a private Postfix instance (`postfix -c DIR`) rendered from postfix/*.cf.in.
- SmtpSink: Postfix's `smtp-sink`, which stores nothing: the protocol's upper bound.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
# The private-Postfix runner is shared with the integration tests (tests/integration/harness).
sys.path.insert(0, os.path.join(HERE, "..", "..", "integration"))
from harness import postfix_instance  # noqa: E402
from harness import waiting  # noqa: E402
from harness.postfix_instance import smtp_greets  # noqa: E402

DOMAIN = "example.test"
RECIPIENT = "user@example.test"
SENDER = "from@ext.test"
HOSTNAME = "mx.example.test"

START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 120
CLI_TIMEOUT_SECONDS = 30
POLL_INTERVAL_SECONDS = 0.05
CONNECT_TIMEOUT_SECONDS = 2.0
# smtp-sink's listen backlog (its last argument): above the largest session count we run.
SINK_BACKLOG = 1000


class BenchError(RuntimeError):
    """A server did not start, stop or answer as the bench needs."""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout_seconds, what):
    """The tests' bounded wait (harness/waiting.py); a timeout is a BenchError here."""
    try:
        return waiting.wait_until(condition, timeout_seconds, what, POLL_INTERVAL_SECONDS)
    except waiting.WaitTimeout as timeout:
        raise BenchError(str(timeout)) from None


def _toml(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    return "[" + ", ".join(_toml(item) for item in value) + "]"


class LifeboatServer:
    """One `lifeboat serve`; start() wipes the data dir (each run starts from empty) unless told
    to keep it (the memory bench starts over a log it wrote beforehand)."""

    name = "lifeboat"

    def __init__(self, binary, workdir):
        self.binary = os.path.abspath(binary)
        if not os.access(self.binary, os.X_OK):
            raise BenchError(f"lifeboat binary not found: {self.binary}")
        self.workdir = workdir
        self.data_dir = os.path.join(workdir, "data")
        self.config_path = os.path.join(workdir, "lifeboat.toml")
        # STARTTLS for the idle sessions: a self-signed certificate made once per bench dir.
        self.certificate_path = os.path.join(workdir, "certificate.pem")
        self.key_path = os.path.join(workdir, "private_key.pem")
        self.log_path = os.path.join(workdir, "node.log")
        self.process = None
        self.port = None
        self.admin_port = None

    @property
    def pid(self):
        return self.process.pid

    def _write_config(self):
        users = os.path.join(self.workdir, "users.csv")
        with open(users, "w", encoding="utf-8") as out:
            out.write("sAMAccountName,mail,displayName\n")
            out.write(f"user,{RECIPIENT},Bench User\n")
        sections = [
            ("node", {"id": "bench", "cluster_id": "bench", "data_dir": self.data_dir}),
            ("admin", {"listen": f"127.0.0.1:{self.admin_port}"}),
            ("smtp", {
                "listen": f"127.0.0.1:{self.port}",
                "hostname": HOSTNAME,
                "domains": [DOMAIN],
                # The bench is one client address opening up to 10,000 idle sessions at full
                # speed: the per-IP admission and rate limits would measure themselves.
                "sessions_per_ip_max": 12000,
                "sessions_total_max": 12000,
                # 0 ms (what the config accepts) trips LB_CHECK(interval_ > 0) in
                # MessageRateLimiter; 1 ms with a 1,000,000 burst never limits a run of ours.
                "message_burst_per_ip_max": 1000000,
                "message_interval_per_ip_ms": 1,
                "disk_reserve_bytes": 0,
            }),
            ("directory", {"import_file": users}),
            ("tls", {"certificate": self.certificate_path, "private_key": self.key_path}),
        ]
        with open(self.config_path, "w", encoding="utf-8") as out:
            for name, values in sections:
                out.write(f"[{name}]\n")
                for key, value in values.items():
                    out.write(f"{key} = {_toml(value)}\n")

    def write_config(self):
        """Picks free ports and writes the config; start() calls it, `lifeboat rebuild` reads it."""
        os.makedirs(self.workdir, exist_ok=True)
        if not os.path.exists(self.certificate_path):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                            "-subj", f"/CN={HOSTNAME}", "-keyout", self.key_path,
                            "-out", self.certificate_path],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.port = free_port()
        self.admin_port = free_port()
        self._write_config()

    def start(self, keep_data=False, start_timeout_seconds=START_TIMEOUT_SECONDS):
        if not keep_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        self.write_config()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "serve", "--config", self.config_path],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)

        def ready():
            if self.process.poll() is not None:
                raise BenchError(f"lifeboat exited with {self.process.returncode} while starting;"
                                 f" see {self.log_path}")
            return self._healthy() and smtp_greets(self.port)

        wait_until(ready, start_timeout_seconds, "lifeboat /healthz and SMTP greeting")
        # The demo users must be in the directory view before smtp-source's first RCPT: until
        # the import is applied, the node answers 451 4.4.3 and smtp-source gives up.
        wait_until(lambda: self.status().get("directory", {}).get("import_outcome") == "ok",
                   START_TIMEOUT_SECONDS, "the directory import")
        self.status(wait_applied=True)

    def _healthy(self):
        url = f"http://127.0.0.1:{self.admin_port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=CONNECT_TIMEOUT_SECONDS) as answer:
                return answer.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def status(self, wait_applied=False):
        """`lifeboat status --json`; with `wait_applied`, once the views hold what the log held."""
        completed = subprocess.run(
            [self.binary, "status", "--json", "--config", self.config_path]
            + (["--wait-applied"] if wait_applied else []),
            capture_output=True, text=True, timeout=CLI_TIMEOUT_SECONDS, stdin=subprocess.DEVNULL)
        if completed.returncode != 0:
            raise BenchError(f"lifeboat status exited {completed.returncode}: "
                             f"{completed.stderr.strip()}")
        return json.loads(completed.stdout)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            raise BenchError(f"lifeboat did not stop within {STOP_TIMEOUT_SECONDS} s of SIGTERM")


class PostfixServer:
    """A private Postfix instance (tests/integration/harness/postfix_instance.py) configured from
    postfix/*.cf.in: its own main.cf/master.cf, queue and data under `workdir`."""

    name = "postfix"

    def __init__(self, workdir):
        self.workdir = workdir
        self.instance = None

    @property
    def port(self):
        return self.instance.port if self.instance else None

    @staticmethod
    def version():
        return postfix_instance.mail_version()

    @staticmethod
    def _render(template, values):
        with open(os.path.join(HERE, "postfix", template), encoding="utf-8") as source:
            text = source.read()
        for key, value in values.items():
            text = text.replace(f"@{key}@", value)
        leftover = re.search(r"@[A-Z_]+@", text)
        if leftover:
            raise BenchError(f"unfilled placeholder {leftover.group(0)} in {template}")
        return text

    def start(self):
        self.instance = postfix_instance.PostfixInstance(self.workdir, free_port())
        paths = self.instance.prepare()
        values = {"QUEUE_DIR": paths["queue_dir"], "DATA_DIR": paths["data_dir"],
                  "SMTP_LISTEN": f"127.0.0.1:{self.instance.port}"}
        self.instance.start(self._render("main.cf.in", values),
                            self._render("master.cf.in", values))

    def wait_drained(self, timeout_seconds):
        """Waits until qmgr/discard have emptied the queue, so one run's backlog does not compete
        with the next run's ingest."""
        wait_until(lambda: self.instance.queued_files() == 0, timeout_seconds,
                   "postfix queue to drain")

    def stop(self):
        if self.instance is not None:
            self.instance.stop()


class SmtpSink:
    """`smtp-sink -c -u postfix 127.0.0.1:PORT 1000`: accepts and drops every message."""

    name = "smtp-sink"

    def __init__(self, workdir):
        self.workdir = workdir
        self.process = None
        self.port = None

    def start(self):
        os.makedirs(self.workdir, exist_ok=True)
        self.port = free_port()
        with open(os.path.join(self.workdir, "smtp-sink.log"), "ab") as log:
            self.process = subprocess.Popen(
                ["smtp-sink", "-c", "-u", "postfix", f"127.0.0.1:{self.port}", str(SINK_BACKLOG)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True)

        def ready():
            if self.process.poll() is not None:
                raise BenchError(f"smtp-sink exited with {self.process.returncode}")
            return smtp_greets(self.port)

        wait_until(ready, START_TIMEOUT_SECONDS, "smtp-sink greeting")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
