#!/usr/bin/env bash
# Makes a throwaway CA and a certificate it signed for localhost / 127.0.0.1 in DIR, for the
# HTTPS end-to-end test (a ctest fixture runs it first, so Node can be started with
# NODE_EXTRA_CA_CERTS=DIR/ca.crt). Also writes DIR/spki.txt, the base64 SHA-256 of the server
# key, which Chromium is told to trust (--ignore-certificate-errors-spki-list pins exactly it).
set -euo pipefail
dir=${1:?usage: make-test-ca.sh DIR}
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 2 -subj "/CN=presence e2e CA" 2>/dev/null
openssl req "${ec[@]}" -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
    -days 2 -extfile server.ext 2>/dev/null
openssl x509 -in server.crt -pubkey -noout | openssl pkey -pubin -outform der \
    | openssl dgst -sha256 -binary | base64 > spki.txt
echo "test CA and server certificate in $dir"
