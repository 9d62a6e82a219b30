"""STARTTLS certificates are reloadable without a restart (issue #3; appliance/net/tls_context.h):
SIGHUP makes the node re-read [tls] certificate and private_key; new sessions get the new
certificate, sessions already open keep theirs and still deliver, and files that do not load
leave the old certificate serving with the reason in the log. The protocol floor is TLS 1.2
(Mozilla "intermediate"): TLS 1.1 is refused, TLS 1.2 and 1.3 are accepted.
"""

import hashlib
import json
import os
import signal
import socket
import ssl
import sys
import threading
import warnings

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402
from harness import smtp_wire  # noqa: E402
from harness import tls_cert  # noqa: E402
from harness import waiting  # noqa: E402

# SIGHUP is handled on the node's loop within milliseconds; allow for 2 busy cores.
RELOAD_TIMEOUT_SECONDS = 30
# Each poll opens a new STARTTLS session: poll gently.
RELOAD_POLL_SECONDS = 0.1
HANDSHAKE_TIMEOUT_SECONDS = 15
RELOADED_MESSAGE = "TLS certificate reloaded"
RELOAD_FAILED_MESSAGE = "TLS reload failed; the old certificate keeps serving"


def fingerprint_of_der(der):
    return hashlib.sha256(der).hexdigest()


def fingerprint_of_file(certificate_path):
    with open(certificate_path, encoding="ascii") as source:
        return fingerprint_of_der(ssl.PEM_cert_to_DER_cert(source.read()))


def client_context(version=None):
    """A client context trusting any certificate (self-signed: the test checks which one is
    served, by fingerprint). `version` pins one protocol version. OpenSSL 3's default security
    level refuses TLS 1.1 on the client side already; level 0 lets this client offer it, so a
    refusal can only come from the server."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if version is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TLSVersion.TLSv1_1
            context.minimum_version = version
            context.maximum_version = version
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def open_starttls(port, context):
    """A session after EHLO, STARTTLS and the handshake, and EHLO again (RFC 3207 4.2)."""
    wire = smtp_wire.SmtpWire(port)
    try:
        wire.greet()
        ready = wire.command("STARTTLS")
        if ready.code != 220:
            raise AssertionError(f"STARTTLS answered {ready!r}")
        assert not wire.buffer, f"plaintext bytes left before the handshake: {wire.buffer!r}"
        wire.sock = context.wrap_socket(wire.sock, server_hostname="localhost")
        ehlo = wire.command("EHLO client.example.net")
        if ehlo.code != 250:
            raise AssertionError(f"EHLO after STARTTLS answered {ehlo!r}")
        return wire
    except BaseException:
        wire.close()
        raise


def served_fingerprint(wire):
    return fingerprint_of_der(wire.sock.getpeercert(binary_form=True))


class Tls11Server:
    """A local TLS-1.1-only server (Python ssl, security level 0): shows that the client used
    against the node really offers TLS 1.1 on this machine."""

    def __init__(self, certificate, private_key):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(certificate, private_key)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self.context.minimum_version = ssl.TLSVersion.TLSv1_1
            self.context.maximum_version = ssl.TLSVersion.TLSv1_1
        self.context.set_ciphers("DEFAULT:@SECLEVEL=0")
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(HANDSHAKE_TIMEOUT_SECONDS)
        self.port = self.listener.getsockname()[1]
        self.error = None
        self.thread = threading.Thread(target=self._serve_one, daemon=True)
        self.thread.start()

    def _serve_one(self):
        try:
            connection, _ = self.listener.accept()
            with self.context.wrap_socket(connection, server_side=True) as tls:
                tls.recv(1)
        except (OSError, ssl.SSLError) as error:
            self.error = error

    def close(self):
        self.listener.close()
        self.thread.join(HANDSHAKE_TIMEOUT_SECONDS)


class TlsReloadTest(smtp_case.NodeTestCase):

    def setUp(self):
        # The harness wrote the node's certificate A here ([tls] in its config).
        self.certificate_path = os.path.join(self.node.workdir, "cert.pem")
        self.private_key_path = os.path.join(self.node.workdir, "key.pem")

    # --- helpers ---------------------------------------------------------------------------

    def fingerprint_now(self):
        """The certificate a new STARTTLS session gets right now."""
        with open_starttls(self.node.smtp_port, client_context()) as wire:
            served = served_fingerprint(wire)
            wire.command("QUIT")
            return served

    def log_entries(self, message):
        """The node's JSON log lines with msg == `message`."""
        entries = []
        with open(self.node.log_path, encoding="utf-8", errors="replace") as log:
            for line in log:
                if not line.startswith("{"):
                    continue  # the harness's "--- start N" markers
                entry = json.loads(line)
                if entry.get("msg") == message:
                    entries.append(entry)
        return entries

    def sighup_and_wait_for_log(self, message):
        """SIGHUP to the node's PID; waits for one more `message` log line and returns it."""
        before = len(self.log_entries(message))
        os.kill(self.node.pid, signal.SIGHUP)
        entries = waiting.wait_until(
            lambda: self.log_entries(message)[before:], RELOAD_TIMEOUT_SECONDS,
            f"log line {message!r} after SIGHUP")
        return entries[0]

    def install(self, directory):
        """A fresh certificate and key, moved over the configured paths (rename: each file is
        whole at any moment); returns the certificate's fingerprint."""
        os.makedirs(directory)
        certificate, private_key = tls_cert.make_self_signed(directory)
        fingerprint = fingerprint_of_file(certificate)
        os.replace(private_key, self.private_key_path)
        os.replace(certificate, self.certificate_path)
        return fingerprint

    def assert_still_serving(self, fingerprint):
        self.assertTrue(self.node.running(), self.node.log_tail())
        self.assertTrue(self.node.healthy())
        self.assertEqual(self.fingerprint_now(), fingerprint)

    # --- tests -----------------------------------------------------------------------------

    def test_sighup_reloads_certificate_and_keeps_old_one_when_new_files_are_broken(self):
        pid = self.node.pid
        fingerprint_a = fingerprint_of_file(self.certificate_path)
        self.assertEqual(self.fingerprint_now(), fingerprint_a)

        # A session opened before the reload, mid-transaction when it happens.
        before = open_starttls(self.node.smtp_port, client_context())
        self.addCleanup(before.close)
        self.assertEqual(served_fingerprint(before), fingerprint_a)
        self.assertEqual(before.command("MAIL FROM:<sender@ext.test>").code, 250)
        self.assertEqual(before.command("RCPT TO:<alice@example.test>").code, 250)

        # Certificate B replaces A; SIGHUP; new sessions get B (bounded poll, no sleep).
        fingerprint_b = self.install(os.path.join(self.node.workdir, "b"))
        self.assertNotEqual(fingerprint_b, fingerprint_a)
        self.sighup_and_wait_for_log(RELOADED_MESSAGE)
        waiting.wait_until(lambda: self.fingerprint_now() == fingerprint_b,
                           RELOAD_TIMEOUT_SECONDS, "a new STARTTLS session served certificate B",
                           interval_seconds=RELOAD_POLL_SECONDS)

        # The old session keeps its context (SSL_CTX is reference-counted) and delivers.
        self.assertEqual(before.command("DATA").code, 354)
        before.send(smtp_wire.message("tls-reload-open-session") + ".\r\n")
        delivered = before.reply()
        self.assertEqual(delivered.code, 250, delivered)
        self.assertEqual(served_fingerprint(before), fingerprint_a)
        self.assertEqual(before.command("QUIT").code, 221)
        self.wait_for_subject("alice@example.test", "tls-reload-open-session")

        # A broken certificate file: the reload fails, B keeps serving, the log says why.
        with open(self.certificate_path, "w", encoding="ascii") as out:
            out.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        failed = self.sighup_and_wait_for_log(RELOAD_FAILED_MESSAGE)
        self.assertEqual(failed.get("level"), "error", failed)
        self.assertIn(f"certificate chain '{self.certificate_path}'", failed.get("error", ""),
                      failed)
        self.assert_still_serving(fingerprint_b)

        # A certificate whose key was not copied (key B stays): refused too, B keeps serving.
        os.makedirs(os.path.join(self.node.workdir, "c"))
        certificate_c, private_key_c = tls_cert.make_self_signed(
            os.path.join(self.node.workdir, "c"))
        os.replace(certificate_c, self.certificate_path)
        failed = self.sighup_and_wait_for_log(RELOAD_FAILED_MESSAGE)
        # OpenSSL checks the pair when the key is loaded (SSL_CTX_use_PrivateKey_file).
        self.assertIn(f"private key '{self.private_key_path}'", failed.get("error", ""), failed)
        self.assertIn("mismatch", failed.get("error", ""), failed)
        self.assert_still_serving(fingerprint_b)

        # Its key arrives: the next SIGHUP takes certificate C. Same process all along.
        os.replace(private_key_c, self.private_key_path)
        fingerprint_c = fingerprint_of_file(self.certificate_path)
        self.sighup_and_wait_for_log(RELOADED_MESSAGE)
        waiting.wait_until(lambda: self.fingerprint_now() == fingerprint_c,
                           RELOAD_TIMEOUT_SECONDS, "a new STARTTLS session served certificate C",
                           interval_seconds=RELOAD_POLL_SECONDS)
        self.assertEqual(self.node.pid, pid)
        self.assertTrue(self.node.running())

    def test_tls_1_2_and_1_3_are_accepted(self):
        for version, name in ((ssl.TLSVersion.TLSv1_2, "TLSv1.2"),
                              (ssl.TLSVersion.TLSv1_3, "TLSv1.3")):
            with self.subTest(version=name):
                with open_starttls(self.node.smtp_port, client_context(version)) as wire:
                    self.assertEqual(wire.sock.version(), name)
                    self.assertEqual(wire.command("MAIL FROM:<sender@ext.test>").code, 250)
                    self.assertEqual(wire.command("QUIT").code, 221)

    def test_tls_1_1_is_refused(self):
        # Control: this client completes a TLS 1.1 handshake with a server that allows it.
        control_dir = os.path.join(self.node.workdir, "tls11-control")
        os.makedirs(control_dir, exist_ok=True)
        control = Tls11Server(*tls_cert.make_self_signed(control_dir))
        self.addCleanup(control.close)
        with socket.create_connection(("127.0.0.1", control.port),
                                      timeout=HANDSHAKE_TIMEOUT_SECONDS) as raw:
            with client_context(ssl.TLSVersion.TLSv1_1).wrap_socket(
                    raw, server_hostname="localhost") as tls:
                self.assertEqual(tls.version(), "TLSv1.1")
                tls.send(b"x")
        # The node refuses it after its 220 to STARTTLS with the protocol_version alert that
        # RFC 8446 4.2.1 and RFC 5246 7.2.2 ask for, not a bare close (the client would see EOF).
        with self.assertRaises(ssl.SSLError) as refused:
            open_starttls(self.node.smtp_port, client_context(ssl.TLSVersion.TLSv1_1)).close()
        self.assertRegex(str(refused.exception), r"TLSV1_ALERT_PROTOCOL_VERSION")
        # And the node is fine afterwards.
        self.assertTrue(self.node.running())
        self.fingerprint_now()


if __name__ == "__main__":
    smtp_case.main()
