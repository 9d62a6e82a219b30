"""A private Postfix instance on loopback (`postfix -c DIR`), for the journal tests and the SMTP
bench: its own main.cf/master.cf, queue and data dir under `workdir`, started and stopped by the
master's PID. The caller supplies the configuration text; this class runs the instance.

Ownership: a PostfixInstance owns its master process and the files under `workdir` (which it
creates). Runs as root (Postfix's master must).
"""

import os
import shutil
import signal
import socket
import subprocess

from harness import waiting

POSTFIX_TIMEOUT_SECONDS = 60
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 120
CONNECT_TIMEOUT_SECONDS = 2.0
MAILLOG_TAIL_BYTES = 4000
QUEUES = ("incoming", "active", "deferred", "hold", "maildrop")


def smtp_greets(port):
    """True when 127.0.0.1:`port` accepts a connection and sends a 220 greeting."""
    try:
        with socket.create_connection(("127.0.0.1", port), CONNECT_TIMEOUT_SECONDS) as sock:
            sock.settimeout(CONNECT_TIMEOUT_SECONDS)
            greeting = sock.recv(512)
            sock.sendall(b"QUIT\r\n")
            return greeting.startswith(b"220")
    except OSError:
        return False


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def mail_version():
    """Postfix's version ("3.7.11"), or "unknown"."""
    completed = subprocess.run(["postconf", "-d", "-h", "mail_version"], capture_output=True,
                               text=True, stdin=subprocess.DEVNULL,
                               timeout=POSTFIX_TIMEOUT_SECONDS)
    return completed.stdout.strip() or "unknown"


class PostfixInstance:
    """One private Postfix whose smtpd listens on 127.0.0.1:`port`."""

    def __init__(self, workdir, port):
        self.workdir = workdir
        self.conf_dir = os.path.join(workdir, "conf")
        self.queue_dir = os.path.join(workdir, "queue")
        self.data_dir = os.path.join(workdir, "data")
        self.port = port
        self.master_pid = None
        self.started = False

    def run(self, *arguments):
        """`postfix -c CONF ARGUMENTS`; AssertionError with the output and the maillog's tail
        when it fails."""
        completed = subprocess.run(["postfix", "-c", self.conf_dir, *arguments],
                                   capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                   timeout=POSTFIX_TIMEOUT_SECONDS)
        if completed.returncode != 0:
            raise AssertionError(f"postfix {' '.join(arguments)} exited {completed.returncode}: "
                                 f"{(completed.stdout + completed.stderr).strip()}\n"
                                 + self.maillog_tail())

    def prepare(self):
        """Creates the directories (the workdir is wiped first); returns the values a
        configuration template needs: queue_dir, data_dir, conf_dir, port."""
        shutil.rmtree(self.workdir, ignore_errors=True)
        for directory in (self.conf_dir, self.queue_dir, self.data_dir):
            os.makedirs(directory)
        # The master's lock file and the log file are written as mail_owner.
        shutil.chown(self.data_dir, user="postfix")
        return {"queue_dir": self.queue_dir, "data_dir": self.data_dir,
                "conf_dir": self.conf_dir, "port": self.port}

    def start(self, main_cf, master_cf):
        """Writes the two files, checks them, starts the master and waits for the greeting."""
        for name, text in (("main.cf", main_cf), ("master.cf", master_cf)):
            with open(os.path.join(self.conf_dir, name), "w", encoding="utf-8") as out:
                out.write(text)
        self.run("check")
        self.started = True  # from here on stop() has something to stop
        self.run("start")
        self.master_pid = waiting.wait_until(self._pid_from_file, START_TIMEOUT_SECONDS,
                                             "postfix master.pid")
        waiting.wait_until(lambda: smtp_greets(self.port), START_TIMEOUT_SECONDS,
                           f"postfix smtpd greeting on {self.port}")

    def stop(self):
        """`postfix stop`, then waits for the master PID to exit; SIGKILL to that PID if it
        does not (cleanup path, also after a half-done start: never leave a master behind)."""
        if not self.started:
            return
        self.started = False
        pid = self.master_pid or self._pid_from_file()
        self.master_pid = None
        try:
            self.run("stop")
        finally:
            if pid is not None:
                try:
                    waiting.wait_until(lambda: not pid_alive(pid), STOP_TIMEOUT_SECONDS,
                                       f"postfix master {pid} to exit")
                except waiting.WaitTimeout:
                    os.kill(pid, signal.SIGKILL)
                    raise

    def _pid_from_file(self):
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid"), encoding="ascii") as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def queued_files(self):
        """Messages still in the queue."""
        count = 0
        for queue in QUEUES:
            for _, _, files in os.walk(os.path.join(self.queue_dir, queue)):
                count += len(files)
        return count

    def maillog_tail(self, limit=MAILLOG_TAIL_BYTES):
        try:
            with open(os.path.join(self.data_dir, "maillog"), "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - limit))
                return log.read().decode("utf-8", "replace")
        except OSError:
            return "(no postfix maillog)"
