#!/bin/sh
# The one-shot `redis-init` service of infra/compose.yaml: everything Redis needs to serve
# TLS with ACL users, made from infra/ and infra/.env on every `docker compose up`.
#
#   sh compose-init.sh CA_DIR REDIS_DIR TRUST_DIR
#
# CA_DIR     the private authority and Redis's certificate (infra/tls/make-certs.sh: made
#            once, renewed when about to expire); mounted here only, ca.key never leaves it
# REDIS_DIR  what redis-server reads: redis.crt, redis.key, ca.crt, users.acl (rendered by
#            render-acl.sh from users.acl.template); owned by REDIS_UID (default 999, the
#            redis image's user), readable by it alone
# TRUST_DIR  ca.crt alone, for control and agents (LOADLINE_REDIS_CA)
#
# Runs as root in the Loadline image (it has openssl, the redis image does not), with no
# network. Needs LOADLINE_NAMESPACE, REDIS_CONTROL_PASSWORD and REDIS_AGENT_PASSWORD.
set -eu
umask 077

[ "$#" -eq 3 ] || {
  echo "usage: compose-init.sh CA_DIR REDIS_DIR TRUST_DIR" >&2
  exit 2
}
ca_dir=$1
redis_dir=$2
trust_dir=$3
here=$(dirname "$0")
uid=${REDIS_UID:-999}

# "redis" is the service's name on the compose network: the name in control's and the
# agents' REDIS_URL, which Node checks against the certificate.
sh "$here/../tls/make-certs.sh" "$ca_dir" redis DNS:redis,DNS:localhost,IP:127.0.0.1

sh "$here/render-acl.sh" "$here/users.acl.template" "$redis_dir/users.acl.new"
for file in redis.crt redis.key ca.crt; do
  cp "$ca_dir/$file" "$redis_dir/$file.new"
done
for file in users.acl redis.crt redis.key ca.crt; do
  chown "$uid:$uid" "$redis_dir/$file.new"
  chmod 0400 "$redis_dir/$file.new"
  mv -f "$redis_dir/$file.new" "$redis_dir/$file"
done

cp "$ca_dir/ca.crt" "$trust_dir/ca.crt.new"
chmod 0444 "$trust_dir/ca.crt.new"
mv -f "$trust_dir/ca.crt.new" "$trust_dir/ca.crt"
echo "redis-init: TLS and ACL ready (namespace ${LOADLINE_NAMESPACE:-loadline})" >&2
