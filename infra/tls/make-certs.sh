#!/bin/sh
# A private certificate authority and a server certificate signed by it, for Redis's and
# control's TLS when no other authority (cert-manager, a company CA) is at hand.
#
#   sh infra/tls/make-certs.sh DIR NAME SUBJECT_ALT_NAMES
#   sh infra/tls/make-certs.sh infra/certs loadline-redis \
#     DNS:loadline-redis.loadline.svc,DNS:loadline-redis,DNS:localhost,IP:127.0.0.1
#
# DIR/ca.crt, DIR/ca.key   the authority (ECDSA P-256, 10 years), made once and then kept:
#                          clients trust ca.crt (LOADLINE_REDIS_CA, NODE_EXTRA_CA_CERTS);
#                          ca.key signs, keep it away from every server.
# DIR/NAME.crt, NAME.key   the server's (ECDSA P-256, 397 days), made when missing or when
#                          it expires within 30 days. Servers read them when they start:
#                          restart Redis or control after a renewal.
# The names clients connect to must be in SUBJECT_ALT_NAMES (Node checks them; delete
# NAME.crt to make it again with other names). Needs openssl; exit 2 on bad usage.
set -eu

fail() {
  echo "make-certs: $*" >&2
  exit 2
}

[ "$#" -eq 3 ] || fail "usage: make-certs.sh DIR NAME SUBJECT_ALT_NAMES (e.g. DNS:redis,IP:127.0.0.1)"
dir=$1
name=$2
sans=$3
case $name in
'' | *[!A-Za-z0-9_.-]* | ca) fail "NAME \"$name\" may hold only A-Z a-z 0-9 . _ - (and is not \"ca\")" ;;
esac
case $sans in
DNS:* | IP:*) ;;
*) fail "SUBJECT_ALT_NAMES \"$sans\" must be a list like DNS:redis,IP:127.0.0.1" ;;
esac
command -v openssl >/dev/null || fail "openssl is not installed"

umask 077
mkdir -p "$dir"
cd "$dir"

if [ ! -s ca.key ] || [ ! -s ca.crt ]; then
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout ca.key -out ca.crt -days 3650 -subj "/CN=Loadline private CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  chmod 0644 ca.crt
  echo "make-certs: made the authority $dir/ca.crt" >&2
fi

if [ -s "$name.crt" ] && [ -s "$name.key" ] &&
  openssl x509 -in "$name.crt" -noout -checkend 2592000 >/dev/null; then
  exit 0
fi

cat >"$name.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
subjectAltName=$sans
EOF
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$name.key.new" -out "$name.csr" -subj "/CN=$name" 2>/dev/null
openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
  -days 397 -extfile "$name.ext" -out "$name.crt.new" 2>/dev/null
mv -f "$name.key.new" "$name.key"
mv -f "$name.crt.new" "$name.crt"
chmod 0644 "$name.crt"
rm -f "$name.csr" "$name.ext"
echo "make-certs: made $dir/$name.crt for $sans" >&2
