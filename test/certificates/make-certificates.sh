#!/usr/bin/env bash
# Makes the test certificates of the certificate policies with openssl: a CA, a SHA-1 root, and
# leaves that are good, expired, not yet valid, short-lived, weak-keyed or SHA-1/MD5-signed.
# Usage: make-certificates.sh OUTDIR  (writes NAME.pem files; private keys stay in OUTDIR/keys).
# test/certificates/x509.test.ts runs it at test time; the policy fixtures hold its output.
set -euo pipefail
out="$1"
mkdir -p "$out/keys" "$out/ca-db"
cd "$out"
: >ca-db/index.txt
echo 1000 >ca-db/serial
cat >ca.cnf <<'CNF'
[ ca ]
default_ca = test_ca
[ test_ca ]
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
policy = anything
unique_subject = no
copy_extensions = copy
email_in_dn = no
[ anything ]
commonName = supplied
organizationName = optional
[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
CNF

quiet() { "$@" >/dev/null 2>&1 || { "$@"; exit 1; }; }

# A CA and a SHA-1 root, both self-signed trust anchors.
quiet openssl req -x509 -newkey rsa:2048 -sha256 -nodes -keyout keys/ca.key -out ca.pem -days 36500 \
  -subj "/O=Acme/CN=Acme Test CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
quiet openssl req -x509 -newkey rsa:2048 -sha1 -nodes -keyout keys/root-sha1.key -out root-sha1.pem -days 36500 \
  -subj "/O=Acme/CN=Acme Legacy Root" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# leaf NAME KEYSPEC DIGEST SANS [openssl ca date options...]
leaf() {
  local name="$1" keyspec="$2" digest="$3" sans="$4"
  shift 4
  quiet openssl req -new -newkey "$keyspec" -nodes -keyout "keys/$name.key" -out "$name.csr" \
    -subj "/O=Acme/CN=${sans%%,*}" -addext "subjectAltName=$(echo "$sans" | sed 's/\([^,]*\)/DNS:\1/g')"
  quiet openssl ca -batch -config ca.cnf -extensions leaf -cert ca.pem -keyfile keys/ca.key -md "$digest" \
    -in "$name.csr" -out "$name.full.pem" "$@"
  openssl x509 -in "$name.full.pem" -out "$name.pem"
  rm -f "$name.csr" "$name.full.pem"
}

leaf good rsa:2048 sha256 "shop.example.com,www.shop.example.com,*.api.example.com" -days 36500
leaf ec ec:<(openssl ecparam -name prime256v1) sha256 "ec.example.com" -days 36500
leaf expired rsa:2048 sha256 "old.example.com" -startdate 20200101000000Z -enddate 20210101000000Z
leaf not-yet-valid rsa:2048 sha256 "later.example.com" -startdate 21200101000000Z -enddate 21250101000000Z
leaf ten-years rsa:2048 sha256 "decade.example.com" -days 3650
leaf soon rsa:2048 sha256 "soon.example.com" -days 10
leaf rsa1024 rsa:1024 sha256 "legacy.example.com" -days 36500
leaf p224 ec:<(openssl ecparam -name secp224r1) sha256 "small-curve.example.com" -days 36500
leaf sha1 rsa:2048 sha1 "sha1.example.com" -days 36500
leaf md5 rsa:2048 md5 "md5.example.com" -days 36500
leaf ed25519 ed25519 default "ed.example.com" -days 36500

# Self-signed leaves for the other signature algorithms.
quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -sha1 -nodes -keyout keys/ecdsa-sha1.key \
  -out ecdsa-sha1.pem -days 36500 -subj "/CN=ecdsa.example.com" -addext "subjectAltName=DNS:ecdsa.example.com"
quiet openssl req -x509 -newkey rsa:2048 -sha384 -sigopt rsa_padding_mode:pss -nodes -keyout keys/pss.key \
  -out pss.pem -days 36500 -subj "/CN=pss.example.com" -addext "subjectAltName=DNS:pss.example.com,IP:10.0.0.7"
rm -rf ca-db ca.cnf
