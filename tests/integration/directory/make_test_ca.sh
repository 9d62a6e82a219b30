#!/bin/sh
# make_test_ca.sh DIR: a throwaway CA and a server certificate for 127.0.0.1 (and "localhost") in DIR
# (ca.pem, server.pem, server.key), so the tests verify TLS for real instead of turning it off.
set -eu
D=$1
cd "$D"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Lifeboat test CA" \
  -keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr \
  2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile server.ext -out server.pem 2>/dev/null
chmod 600 server.key ca.key
# Connect by IP: libldap replaces the host name "localhost" by the machine's FQDN before it checks
# the certificate, so "localhost" never verifies.
