"""TLS certificates for the node's STARTTLS: a self-signed one (EC P-256, CN=localhost), or a test
CA and a server certificate it issues, shaped like one a public CA would issue (for scanners such
as testssl, which judge the chain, the names and the revocation pointers as well as the TLS)."""

import os
import secrets
import subprocess

from . import dependencies

# Long enough for any test run, short enough that a leaked key is worthless.
CERTIFICATE_DAYS = 2
# A CA-issued test certificate lives as long as an ACME (Let's Encrypt) one: scanners rate a
# certificate that expires within 60 days MEDIUM, within 30 days HIGH (testssl DAYS2WARN1/2), as
# they would a deployed node that missed its renewal. Its key still dies with the test directory.
ISSUED_CERTIFICATE_DAYS = 90
OPENSSL_TIMEOUT_SECONDS = 30
# Where the test CA says its CRL is (RFC 5280 4.2.1.13). Data only: nothing fetches it (testssl
# fetches CRLs with --phone-out alone); a public CA's certificates carry one or an OCSP URI.
TEST_CA_CRL_URI = "http://ca.example.test/lifeboat-test-ca.crl"
SERIAL_BYTES = 16  # CA/Browser Forum baseline requirements: at least 64 random bits


def _openssl(*arguments):
    subprocess.run([dependencies.require("openssl"), *arguments], check=True,
                   capture_output=True, timeout=OPENSSL_TIMEOUT_SECONDS)


def make_self_signed(directory):
    """Writes cert.pem and key.pem into `directory`; returns their absolute paths."""
    certificate = os.path.join(directory, "cert.pem")
    private_key = os.path.join(directory, "key.pem")
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
             "-days", str(CERTIFICATE_DAYS), "-keyout", private_key, "-out", certificate)
    return certificate, private_key


def make_test_ca(directory):
    """Writes a root CA (EC P-256) as test-ca.pem and test-ca-key.pem into `directory`; returns
    their absolute paths. Clients trust it by the certificate file alone."""
    certificate = os.path.join(directory, "test-ca.pem")
    private_key = os.path.join(directory, "test-ca-key.pem")
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-subj", "/O=Lifeboat tests/CN=Lifeboat Test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-days", str(ISSUED_CERTIFICATE_DAYS), "-keyout", private_key, "-out", certificate)
    return certificate, private_key


def issue_server_certificate(ca, directory, host_name):
    """Issues, from `ca` (the pair make_test_ca returned), a TLS server certificate for
    `host_name` (EC P-256, SHA-256, subjectAltName = the name: RFC 6125 6.4.4 ignores the CN when
    a SAN is present). Writes server-cert.pem and server-key.pem into `directory` and returns
    their absolute paths. The chain is the leaf alone: a client has the root, and a server that
    sends a root makes scanners say so."""
    ca_certificate, ca_private_key = ca
    certificate = os.path.join(directory, "server-cert.pem")
    private_key = os.path.join(directory, "server-key.pem")
    request = os.path.join(directory, "server.csr")
    extensions = os.path.join(directory, "server-extensions.cnf")
    with open(extensions, "w", encoding="ascii") as out:
        out.write("basicConstraints = critical, CA:FALSE\n"
                  "keyUsage = critical, digitalSignature\n"
                  "extendedKeyUsage = serverAuth\n"
                  f"subjectAltName = DNS:{host_name}\n"
                  "subjectKeyIdentifier = hash\n"
                  "authorityKeyIdentifier = keyid:always\n"
                  f"crlDistributionPoints = URI:{TEST_CA_CRL_URI}\n")
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-subj", f"/CN={host_name}", "-keyout", private_key, "-out", request)
    _openssl("x509", "-req", "-in", request, "-CA", ca_certificate, "-CAkey", ca_private_key,
             "-set_serial", "0x" + secrets.token_hex(SERIAL_BYTES), "-sha256",
             "-days", str(ISSUED_CERTIFICATE_DAYS), "-extfile", extensions, "-out", certificate)
    return certificate, private_key
