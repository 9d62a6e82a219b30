"""A raw SMTP client over a socket, for what smtplib will not send: bare CR/LF, pipelined
bytes in one packet, over-long lines. Replies are parsed per RFC 5321 4.2.1 (multiline replies
repeat the code with "-" after it on all lines but the last)."""

import socket
import ssl

# A reply from a local node comes in milliseconds; a commit (fsync) in well under a second.
REPLY_TIMEOUT_SECONDS = 15
READ_CHUNK_BYTES = 65536


class ConnectionClosed(AssertionError):
    """The server closed the connection where a reply was expected."""


class Reply:
    def __init__(self, code, lines):
        self.code = code
        self.lines = lines  # texts after "NNN-" / "NNN "

    @property
    def enhanced(self):
        """The RFC 3463 enhanced status code of the first line ("5.7.1"), or ""."""
        first = self.lines[0].split(" ", 1)[0] if self.lines and self.lines[0] else ""
        parts = first.split(".")
        if len(parts) == 3 and all(part.isdigit() for part in parts):
            return first
        return ""

    @property
    def text(self):
        return "\n".join(self.lines)

    def __repr__(self):
        return f"Reply({self.code}, {self.lines!r})"


class SmtpWire:
    """One SMTP connection to 127.0.0.1:`port`. Use as a context manager."""

    def __init__(self, port, host="127.0.0.1", timeout_seconds=REPLY_TIMEOUT_SECONDS):
        self.sock = socket.create_connection((host, port), timeout=timeout_seconds)
        self.timeout_seconds = timeout_seconds
        self.buffer = b""
        self.peer_closed = False
        self.last_sent = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("ascii")
        self.last_sent = data if len(data) <= 80 else data[:40] + b"..." + data[-30:]
        self.sock.sendall(data)

    def _fill(self):
        """Reads more bytes; returns False at EOF (or a reset, which is a close as well)."""
        try:
            chunk = self.sock.recv(READ_CHUNK_BYTES)
        except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
            chunk = b""
        except socket.timeout as timeout:
            raise AssertionError(
                f"no reply within {self.timeout_seconds} s after sending {self.last_sent!r}"
            ) from timeout
        if not chunk:
            self.peer_closed = True
            return False
        self.buffer += chunk
        return True

    def _line(self):
        while b"\r\n" not in self.buffer:
            if not self._fill():
                raise ConnectionClosed(f"connection closed; unread bytes {self.buffer!r}")
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def reply(self):
        """The next complete reply; raises ConnectionClosed at EOF."""
        lines = []
        while True:
            line = self._line()
            if len(line) < 3 or not line[:3].isdigit() or (len(line) > 3 and line[3] not in " -"):
                raise AssertionError(f"malformed reply line {line!r}")
            lines.append(line[4:])
            if len(line) == 3 or line[3] == " ":
                return Reply(int(line[:3]), lines)

    def replies_until_close(self, limit=1000):
        """Every reply until the server closes the connection."""
        replies = []
        while len(replies) < limit:
            try:
                replies.append(self.reply())
            except ConnectionClosed:
                return replies
        raise AssertionError(f"more than {limit} replies without a close")

    def command(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def wait_closed(self):
        """True once the server has closed (bounded by the socket timeout)."""
        while not self.peer_closed:
            if not self._fill():
                return True
        return True

    def starttls(self, server_hostname="localhost"):
        """TLS handshake on the current socket (after a 220 to STARTTLS). Trusts any certificate:
        the node's is self-signed and the tests check the protocol, not the PKI."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        assert not self.buffer, f"plaintext bytes left before the handshake: {self.buffer!r}"
        self.sock = context.wrap_socket(self.sock, server_hostname=server_hostname)

    def greet(self, hello="client.example.net"):
        banner = self.reply()
        if banner.code != 220:
            raise AssertionError(f"banner {banner!r}")
        ehlo = self.command(f"EHLO {hello}")
        if ehlo.code != 250:
            raise AssertionError(f"EHLO answered {ehlo!r}")
        return ehlo


def message(subject, body="test body", sender="sender@ext.test", recipient="alice@example.test"):
    """An RFC 5322 message with CRLF line ends (dot-stuffing is the caller's business)."""
    return (f"From: <{sender}>\r\nTo: <{recipient}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject}@it.example.net>\r\n\r\n{body}\r\n")
