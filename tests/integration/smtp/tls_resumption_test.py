"""A STARTTLS session ended in order (QUIT, 221, close_notify) can be resumed by the next
connection, on TLS 1.2 (session id) and TLS 1.3 (ticket): sending MTAs cache sessions (Postfix's
smtp_tls_session_cache_database), and a resumed handshake costs the node no signature.
A connection cut without close_notify must not be resumable (RFC 5246 7.2.1: a session ended
without it is not resumed), and OpenSSL drops such sessions from its cache.
"""

import socket
import ssl
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import smtp_case  # noqa: E402


def client_context(version):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the node's demo certificate is self-signed
    context.minimum_version = version
    context.maximum_version = version
    return context


class TlsResumptionTest(smtp_case.NodeTestCase):

    def session_over_starttls(self, context, session=None):
        """EHLO, STARTTLS, handshake (offering `session`), EHLO again. Returns the wire."""
        wire = self.wire()
        wire.greet()
        ready = wire.command("STARTTLS")
        self.assertEqual(ready.code, 220, ready)
        wire.sock = context.wrap_socket(wire.sock, server_hostname="localhost", session=session)
        self.assertEqual(wire.command("EHLO client.example.net").code, 250)
        return wire

    def quit_in_order(self, wire):
        """QUIT, the 221, then the node's close; returns the session the client holds."""
        self.assertEqual(wire.command("QUIT").code, 221)
        self.assertTrue(wire.wait_closed())
        return wire.sock.session

    def assert_resumes(self, version):
        context = client_context(version)
        first = self.session_over_starttls(context)
        self.assertFalse(first.sock.session_reused)
        session = self.quit_in_order(first)
        self.assertIsNotNone(session)
        second = self.session_over_starttls(context, session)
        self.assertTrue(second.sock.session_reused,
                        f"{version.name}: a session ended with QUIT was not resumed")
        self.quit_in_order(second)

    def test_tls_1_2_session_ended_with_quit_is_resumed(self):
        self.assert_resumes(ssl.TLSVersion.TLSv1_2)

    def test_tls_1_3_session_ended_with_quit_is_resumed(self):
        self.assert_resumes(ssl.TLSVersion.TLSv1_3)

    def test_tls_1_2_session_cut_without_close_notify_is_not_resumed(self):
        context = client_context(ssl.TLSVersion.TLSv1_2)
        first = self.session_over_starttls(context)
        session = first.sock.session
        # TCP ends under TLS: no close_notify, no QUIT (SSLSocket.shutdown drops the TLS layer).
        first.sock.shutdown(socket.SHUT_RDWR)
        self.wait_sessions_closed()
        second = self.session_over_starttls(context, session)
        self.assertFalse(second.sock.session_reused)
        self.quit_in_order(second)


if __name__ == "__main__":
    smtp_case.main()
