"""A private Dovecot on loopback (`dovecot -c FILE -F`): the primary's mailboxes behind Postfix,
fed over LMTP and read over IMAP (python imaplib), started and stopped by its master's PID.

Every user has the password PASSWORD (static passdb) and a Maildir under workdir/mail/<user>,
owned by `nobody`; LMTP recipients are looked up by their local part ("alice@example.test" ->
"alice"), so IMAP logins use the local part.

Ownership: a DovecotInstance owns its master process and the files under `workdir` (which it
creates). Runs as root (the master binds and drops to its users).
"""

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess

from harness import waiting

START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 60
IMAP_TIMEOUT_SECONDS = 10
PASSWORD = "primary-pw"
LOG_TAIL_BYTES = 4000

CONFIG = """\
base_dir = {workdir}/run
state_dir = {workdir}/state
log_path = {workdir}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Ln
first_valid_uid = 1
mail_location = maildir:{workdir}/mail/%n
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={workdir}/mail/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
"""


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), 2.0):
            return True
    except OSError:
        return False


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


class DovecotInstance:
    """One private Dovecot: IMAP on `imap_port`, LMTP on `lmtp_port`, both on 127.0.0.1."""

    def __init__(self, workdir, imap_port, lmtp_port):
        self.workdir = workdir
        self.imap_port = imap_port
        self.lmtp_port = lmtp_port
        self.config_path = os.path.join(workdir, "dovecot.conf")
        self.process = None

    def start(self):
        shutil.rmtree(self.workdir, ignore_errors=True)
        os.makedirs(os.path.join(self.workdir, "mail"))
        nobody = pwd.getpwnam("nobody")
        os.chown(os.path.join(self.workdir, "mail"), nobody.pw_uid, nobody.pw_gid)
        with open(self.config_path, "w", encoding="utf-8") as out:
            out.write(CONFIG.format(workdir=self.workdir, password=PASSWORD, uid=nobody.pw_uid,
                                    gid=nobody.pw_gid, imap_port=self.imap_port,
                                    lmtp_port=self.lmtp_port))
        self.process = subprocess.Popen(["dovecot", "-c", self.config_path, "-F"],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=open(os.path.join(self.workdir, "stderr"), "wb"))
        try:
            waiting.wait_until(lambda: self.process.poll() is not None
                               or (port_open(self.imap_port) and port_open(self.lmtp_port)),
                               START_TIMEOUT_SECONDS, "dovecot's IMAP and LMTP listeners")
        except waiting.WaitTimeout:
            self.stop()
            raise
        if self.process.poll() is not None:
            raise AssertionError(f"dovecot exited {self.process.returncode}:\n{self.log_tail()}")

    def stop(self):
        """SIGTERM to the master's PID, then waits; SIGKILL if it does not exit."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def message_ids(self, user, folder="INBOX"):
        """The Message-ID header of every message in `user`'s `folder` (a list: duplicates show),
        or [] when the mailbox does not exist yet."""
        imap = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=IMAP_TIMEOUT_SECONDS)
        try:
            imap.login(user, PASSWORD)
            status, _ = imap.select(folder, readonly=True)
            if status != "OK":
                return []
            status, data = imap.search(None, "ALL")
            ids = []
            for number in data[0].split():
                status, parts = imap.fetch(number, "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
                for part in parts:
                    if isinstance(part, tuple):
                        header = part[1].decode("utf-8", "replace").strip()
                        if ":" in header:
                            ids.append(header.split(":", 1)[1].strip())
            return ids
        finally:
            try:
                imap.logout()
            except (OSError, imaplib.IMAP4.error):
                pass

    def log_tail(self, limit=LOG_TAIL_BYTES):
        text = ""
        for name in ("dovecot.log", "stderr"):
            try:
                with open(os.path.join(self.workdir, name), "rb") as log:
                    log.seek(0, os.SEEK_END)
                    log.seek(max(0, log.tell() - limit))
                    text += log.read().decode("utf-8", "replace")
            except OSError:
                pass
        return text or "(no dovecot log)"
