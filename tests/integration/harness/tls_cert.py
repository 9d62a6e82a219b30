"""A self-signed TLS certificate for the node's STARTTLS (EC P-256, CN=localhost)."""

import os
import subprocess

from . import dependencies

# Long enough for any test run, short enough that a leaked key is worthless.
CERTIFICATE_DAYS = 2
OPENSSL_TIMEOUT_SECONDS = 30


def make_self_signed(directory):
    """Writes cert.pem and key.pem into `directory`; returns their absolute paths."""
    openssl = dependencies.require("openssl")
    certificate = os.path.join(directory, "cert.pem")
    private_key = os.path.join(directory, "key.pem")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-days", str(CERTIFICATE_DAYS), "-keyout", private_key, "-out", certificate],
        check=True, capture_output=True, timeout=OPENSSL_TIMEOUT_SECONDS)
    return certificate, private_key
