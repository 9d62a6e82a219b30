"""A private Postfix 3.7 instance on loopback standing in for the primary's mail gateway, with
journaling on: `always_bcc` (postconf(5)) adds a journal recipient to every message, and a
transport_maps entry relays that copy to the Lifeboat node. With per_recipient, also
`recipient_bcc_maps` naming each original recipient in a journal address of its own
("journal+bob=example.test@...", modules/mailbox/journal.h), so Bcc recipients reach the history. Everything else is discarded: the
primary mailbox is not what the journal tests look at.

Ownership: a JournalGateway owns its Postfix master (started with `postfix -c DIR start`, stopped
with `postfix -c DIR stop` and waited for by PID) and the files under `workdir`, which the caller
owns (see harness/workspace.py). Runs as root (Postfix's master must), like tests/bench/smtp.
"""

import os
import shutil
import signal
import socket
import subprocess

from harness import dependencies
from harness import ports
from harness import waiting

POSTFIX_TIMEOUT_SECONDS = 60
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 60
CONNECT_TIMEOUT_SECONDS = 2.0
MAILLOG_TAIL_BYTES = 4000
GATEWAY_HOSTNAME = "gw.primary.test"

# The gateway accepts anything from loopback (mynetworks) and discards it, except the journal
# copy: transport_maps sends journal@... to the node over SMTP from 127.0.0.1 (smtp_bind_address),
# the address the node lists in [smtp] journal_networks. No DNS: the next hop is a bracketed IP.
MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {queue_dir}
data_directory = {data_dir}
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = {hostname}
mydomain = primary.test
myorigin = $myhostname
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
smtpd_banner = $myhostname ESMTP
always_bcc = {journal_address}
transport_maps = inline:{{ {journal_address}=smtp:[127.0.0.1]:{lifeboat_port} }}
default_transport = discard:primary
relay_transport = discard:primary
local_transport = discard:primary
virtual_transport = discard:primary
smtp_bind_address = 127.0.0.1
smtp_dns_support_level = disabled
smtp_tls_security_level = none
biff = no
maillog_file = {data_dir}/maillog
# postconf(5): the log file must be under one of these (default /var, /dev/stdout).
maillog_file_prefixes = {data_dir}
syslog_name = postfix-journal-it
"""

# per_recipient: one journal address per original recipient, VERP-style; recipient_delimiter
# makes transport_maps find "journal@" for those addresses too (transport(5)).
PER_RECIPIENT_CF = """recipient_bcc_maps = regexp:{conf_dir}/journal_recipients
recipient_delimiter = +
"""
PER_RECIPIENT_MAP = """/^(.+)@(.+)$/ {journal_local}+${{1}}=${{2}}@{journal_domain}
"""

# Only the services this path needs, none chrooted (the instance lives in a temp dir).
MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
smtp      unix  -       -       n       -       -       smtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def _greets(port):
    try:
        with socket.create_connection(("127.0.0.1", port), CONNECT_TIMEOUT_SECONDS) as sock:
            sock.settimeout(CONNECT_TIMEOUT_SECONDS)
            greeting = sock.recv(512)
            sock.sendall(b"QUIT\r\n")
            return greeting.startswith(b"220")
    except OSError:
        return False


class JournalGateway:
    """Postfix on 127.0.0.1:`port` bcc'ing every message to `journal_address`, which it relays
    to 127.0.0.1:`lifeboat_port`."""

    def __init__(self, workdir, journal_address, lifeboat_port, per_recipient=False):
        self.postfix = dependencies.require("postfix")
        self.workdir = workdir
        self.conf_dir = os.path.join(workdir, "conf")
        self.queue_dir = os.path.join(workdir, "queue")
        self.data_dir = os.path.join(workdir, "data")
        self.journal_address = journal_address
        self.lifeboat_port = lifeboat_port
        self.per_recipient = per_recipient
        self.port = ports.free_port()
        self.master_pid = None
        self.started = False

    def _run(self, *arguments):
        completed = subprocess.run([self.postfix, "-c", self.conf_dir, *arguments],
                                   capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                   timeout=POSTFIX_TIMEOUT_SECONDS)
        if completed.returncode != 0:
            raise AssertionError(f"postfix {' '.join(arguments)} exited {completed.returncode}: "
                                 f"{(completed.stdout + completed.stderr).strip()}\n"
                                 + self.maillog_tail())

    def start(self):
        for directory in (self.conf_dir, self.queue_dir, self.data_dir):
            os.makedirs(directory)
        # The master's lock file and the log file are written as mail_owner.
        shutil.chown(self.data_dir, user="postfix")
        values = {"queue_dir": self.queue_dir, "data_dir": self.data_dir,
                  "hostname": GATEWAY_HOSTNAME, "journal_address": self.journal_address,
                  "lifeboat_port": self.lifeboat_port, "port": self.port}
        with open(os.path.join(self.conf_dir, "main.cf"), "w", encoding="utf-8") as out:
            out.write(MAIN_CF.format(**values))
            if self.per_recipient:
                out.write(PER_RECIPIENT_CF.format(conf_dir=self.conf_dir))
        if self.per_recipient:
            local, domain = self.journal_address.split("@")
            with open(os.path.join(self.conf_dir, "journal_recipients"), "w",
                      encoding="utf-8") as out:
                out.write(PER_RECIPIENT_MAP.format(journal_local=local, journal_domain=domain))
        with open(os.path.join(self.conf_dir, "master.cf"), "w", encoding="utf-8") as out:
            out.write(MASTER_CF.format(**values))
        self._run("check")
        self.started = True  # from here on stop() has something to stop
        self._run("start")
        self.master_pid = waiting.wait_until(self._pid_from_file, START_TIMEOUT_SECONDS,
                                             "postfix master.pid")
        waiting.wait_until(lambda: _greets(self.port), START_TIMEOUT_SECONDS,
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
            self._run("stop")
        finally:
            if pid is not None:
                try:
                    waiting.wait_until(lambda: not _pid_alive(pid), STOP_TIMEOUT_SECONDS,
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
        """Messages still in the queue (a journal copy the node has not taken yet)."""
        count = 0
        for queue in ("incoming", "active", "deferred", "hold", "maildrop"):
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
