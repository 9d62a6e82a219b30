"""The load and the probes: smtp-source runs, an end-of-data latency probe, idle sessions."""

import math
import resource
import socket
import ssl
import subprocess
import threading
import time

from servers import RECIPIENT, SENDER, BenchError

# One smtp-source run may not take longer than this (10,000 x 100 KiB at the slowest seen rate
# is well under it); a hung server fails the run instead of the whole bench.
SOURCE_TIMEOUT_SECONDS = 900
PROBE_SOCKET_TIMEOUT_SECONDS = 30.0
# A probe session reconnects after this many messages, far below any per-session command limit
# (Lifeboat's kSmtpCommandsPerSessionMax, Postfix's smtpd_recipient_limit and friends).
PROBE_MESSAGES_PER_SESSION = 50
# Pause between a probe session's messages: the probe samples latency without adding much load of
# its own (2 back-to-back sessions would add ~40% to a 10-session smtp-source run).
PROBE_PAUSE_SECONDS = 0.05
PROBE_LINE_BYTES = 76  # payload line length (RFC 5322 2.1.1 recommends at most 78)
IDLE_SOCKET_TIMEOUT_SECONDS = 10.0


def run_smtp_source(port, sessions, messages, message_bytes):
    """Runs smtp-source to completion; returns its wall-clock seconds.

    No -d: like the brief's command and like real MTAs, one connection per message. smtp-source
    aborts (non-zero exit) on any unexpected reply, so a finished run means every message got 250.
    """
    command = ["smtp-source", "-c", "-s", str(sessions), "-m", str(messages),
               "-l", str(message_bytes), "-f", SENDER, "-t", RECIPIENT, f"127.0.0.1:{port}"]
    started = time.monotonic()
    completed = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, timeout=SOURCE_TIMEOUT_SECONDS)
    elapsed = time.monotonic() - started
    if completed.returncode != 0:
        raise BenchError(f"smtp-source exited {completed.returncode} after {elapsed:.1f} s: "
                         f"{completed.stderr.strip()[-500:]}")
    return elapsed


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class _ReplyReader:
    def __init__(self, sock):
        self.file = sock.makefile("rb")

    def reply(self):
        """One SMTP reply (RFC 5321 4.2.1: continuation lines have '-' after the code)."""
        while True:
            line = self.file.readline()
            if not line:
                raise BenchError("server closed the connection")
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), line


def _probe_message(message_bytes):
    header = (f"From: <{SENDER}>\r\nTo: <{RECIPIENT}>\r\nSubject: latency probe\r\n"
              f"Message-ID: <probe-{time.monotonic_ns()}@ext.test>\r\n\r\n").encode()
    line = b"p" * (PROBE_LINE_BYTES - 2) + b"\r\n"
    body = line * max(1, message_bytes // len(line))
    return header + body  # no line starts with '.', so no dot-stuffing is needed


class LatencyProbe:
    """A few SMTP sessions that run next to the load and time end of data -> final reply.

    The clock starts just before the terminating ".\\r\\n" is written (TCP_NODELAY, so it leaves
    at once) and stops when the whole reply line has been read: the server's commit time plus
    its scheduling delay under load, which is what a sending MTA waits for.
    """

    def __init__(self, port, sessions, message_bytes):
        self.port = port
        self.sessions = sessions
        self.message = _probe_message(message_bytes)
        self.latencies = []
        self.failures = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = []

    def start(self):
        for number in range(self.sessions):
            thread = threading.Thread(target=self._session_loop, name=f"probe{number}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=PROBE_SOCKET_TIMEOUT_SECONDS * 2)

    def _expect(self, reader, code, what):
        got, line = reader.reply()
        if got != code:
            raise BenchError(f"{what}: expected {code}, got {line!r}")

    def _session_loop(self):
        while not self._stop.is_set():
            try:
                self._one_session()
            except (OSError, BenchError) as error:
                with self._lock:
                    self.failures.append(str(error))
                self._stop.wait(0.1)  # do not spin on a refusing server

    def _one_session(self):
        with socket.create_connection(("127.0.0.1", self.port),
                                      PROBE_SOCKET_TIMEOUT_SECONDS) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(PROBE_SOCKET_TIMEOUT_SECONDS)
            reader = _ReplyReader(sock)
            self._expect(reader, 220, "greeting")
            sock.sendall(b"EHLO probe.ext.test\r\n")
            self._expect(reader, 250, "EHLO")
            for _ in range(PROBE_MESSAGES_PER_SESSION):
                if self._stop.wait(PROBE_PAUSE_SECONDS):
                    break
                sock.sendall(f"MAIL FROM:<{SENDER}>\r\n".encode())
                self._expect(reader, 250, "MAIL")
                sock.sendall(f"RCPT TO:<{RECIPIENT}>\r\n".encode())
                self._expect(reader, 250, "RCPT")
                sock.sendall(b"DATA\r\n")
                self._expect(reader, 354, "DATA")
                sock.sendall(self.message)
                started = time.perf_counter()
                sock.sendall(b".\r\n")
                code, line = reader.reply()
                elapsed = time.perf_counter() - started
                if code != 250:
                    raise BenchError(f"end of data: expected 250, got {line!r}")
                with self._lock:
                    self.latencies.append(elapsed)
            sock.sendall(b"QUIT\r\n")


def open_idle_sessions(port, count, tls_count=0):
    """Opens `count` sessions that each read the greeting, say EHLO, read the reply and then
    stay idle; the first `tls_count` of them say STARTTLS first, finish the handshake (the
    bench's self-signed certificate is not verified) and say EHLO again (RFC 3207 4.2). Returns
    the sockets (the caller closes them)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = count + 256
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    sockets = []

    def expect(reader, code_wanted, what):
        code, line = reader.reply()
        if code != code_wanted:
            raise BenchError(f"idle session {len(sockets)}: {what} {line!r}")

    try:
        for number in range(count):
            sock = socket.create_connection(("127.0.0.1", port), IDLE_SOCKET_TIMEOUT_SECONDS)
            sockets.append(sock)
            sock.settimeout(IDLE_SOCKET_TIMEOUT_SECONDS)
            reader = _ReplyReader(sock)
            expect(reader, 220, "greeting")
            sock.sendall(b"EHLO idle.ext.test\r\n")
            expect(reader, 250, "EHLO")
            if number < tls_count:
                sock.sendall(b"STARTTLS\r\n")
                expect(reader, 220, "STARTTLS")
                sock = context.wrap_socket(sock, server_hostname="lifeboat.bench")
                sockets[-1] = sock
                reader = _ReplyReader(sock)
                sock.sendall(b"EHLO idle.ext.test\r\n")
                expect(reader, 250, "EHLO after STARTTLS")
    except BaseException:
        close_all(sockets)
        raise
    return sockets


def close_all(sockets):
    for sock in sockets:
        try:
            sock.close()
        except OSError:
            pass


def memory_kib(pid):
    """VmHWM (peak resident) and VmRSS of a process, KiB, from /proc/PID/status."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0])
    return values["VmHWM"], values["VmRSS"]
