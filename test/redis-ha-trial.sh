#!/bin/sh
# infra/k8s/redis.yaml's Redis + Sentinel and redis-proxy.yaml's proxy, for real, on one machine: three "pods"
# on 127.0.0.10-12 under their Kubernetes names (a private /etc/hosts), each running the
# ConfigMaps' render-acl.sh and ha.sh and then redis-server and Sentinel with the
# manifest's arguments, HAProxy with the manifest's configuration on 127.0.0.20 as
# loadline-redis; then the master is killed, and later started again.
# Run as root in private namespaces (ports and /etc/hosts stay private):
#   unshare --mount --net sh test/redis-ha-trial.sh
# Needs redis-server (>= 7), redis-cli, haproxy, openssl, node. Prints what it sees as
# `key: value` lines (test/infra-redis-ha.test.ts reads them).
# Changes from the manifests, each for this one machine: the pods' directories instead of
# /etc/redis-*, a `bind` per pod (three share the ports here), the proxy's address, and
# no runtime DNS for HAProxy (/etc/hosts at start instead); maxconn within this shell's
# file limit.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
cleanup() {
  for f in "$T"/pod*/redis.pid "$T"/pod*/sentinel.pid "$T"/haproxy.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 1
  rm -rf "$T"
}
trap cleanup EXIT
ip link set lo up
peers=loadline-redis-headless.loadline.svc.cluster.local
{
  echo "127.0.0.1 localhost"
  for n in 0 1 2; do echo "127.0.0.1$n loadline-redis-$n.$peers"; done
  echo "127.0.0.20 loadline-redis"
} >"$T/hosts"
mount --bind "$T/hosts" /etc/hosts
sh "$repo/infra/tls/make-certs.sh" "$T/certs" loadline-redis \
  "DNS:loadline-redis,DNS:*.$peers" >/dev/null 2>&1
# The ConfigMaps' files, as the pods mount them.
(cd "$repo" && node --input-type=module -e "
import { parseAllDocuments } from 'yaml';
import { readFileSync, writeFileSync } from 'node:fs';
for (const file of ['redis.yaml', 'redis-proxy.yaml']) {
  for (const d of parseAllDocuments(readFileSync('infra/k8s/' + file, 'utf8'))) {
    const o = d.toJS();
    if (o?.kind === 'ConfigMap') for (const [k, v] of Object.entries(o.data)) writeFileSync('$T/' + k, v);
  }
}")
pw() { openssl rand -hex 32; }
export LOADLINE_NAMESPACE=loadline REDIS_SET=loadline-redis REDIS_PODS=3 REDIS_PEERS=$peers
export REDIS_MASTER_NAME=loadline REDIS_CONTROL_PASSWORD=$(pw) REDIS_AGENT_PASSWORD=$(pw)
export REDIS_REPLICATION_PASSWORD=$(pw) REDIS_FAILOVER_PASSWORD=$(pw) REDIS_MONITOR_PASSWORD=$(pw)
export REDIS_SENTINEL_PASSWORD=$(pw)

start_pod() { # N
  n=$1 p="$T/pod$1" ip=127.0.0.1$1
  mkdir -p "$p/run" "$p/tls" "$p/data" "$p/tmp"
  rm -f "$p/run/"*
  cp "$T/certs/loadline-redis.crt" "$p/tls/tls.crt"
  cp "$T/certs/loadline-redis.key" "$p/tls/tls.key"
  cp "$T/certs/ca.crt" "$p/tls/ca.crt"
  sed -e "s#/etc/redis-#$p/#g" "$T/ha.sh" >"$p/ha.sh"
  sh "$T/render-acl.sh" "$T/users.acl.template" "$p/run/users.acl"
  HOSTNAME=loadline-redis-$n sh "$p/ha.sh" 2>&1 | sed "s/^redis-ha: /ha pod$n: /"
  echo "bind $ip" >>"$p/run/sentinel.conf"
  sed -i "s#^dir /tmp#dir $p/tmp#" "$p/run/sentinel.conf"
  # redis.sh puts the file ha.sh wrote first; then the manifest's args.
  (cd "$p/data" && sed -e "s#/etc/redis-#$p/#g" "$T/redis.sh" >"$p/redis.sh" &&
    sh "$p/redis.sh" --port 0 --tls-port 6380 --tls-cert-file "$p/tls/tls.crt" \
      --tls-key-file "$p/tls/tls.key" --tls-ca-cert-file "$p/tls/ca.crt" --tls-auth-clients no \
      --aclfile "$p/run/users.acl" --appendonly yes --maxmemory 64mb --maxmemory-policy noeviction \
      --bind "$ip" --daemonize yes --pidfile "$p/redis.pid" --logfile "$p/redis.log")
  redis-server "$p/run/sentinel.conf" --sentinel --daemonize yes --pidfile "$p/sentinel.pid" \
    --logfile "$p/sentinel.log"
}
cli() { # HOST PORT USER PASSWORD COMMAND...
  host=$1 port=$2 user=$3 password=$4
  shift 4
  REDISCLI_AUTH=$password redis-cli --tls --cacert "$T/certs/ca.crt" -h "$host" -p "$port" \
    --user "$user" --no-auth-warning "$@" 2>&1 | tr -d '\r'
}
pod() { echo "loadline-redis-$1.$peers"; }
role() { # N
  cli "$(pod "$1")" 6380 monitor "$REDIS_MONITOR_PASSWORD" INFO replication |
    grep -E '^(role|master_host|master_link_status):' | sed 's/\..*//' | tr '\n' ' '
}
master() { cli "$(pod "$1")" 26380 default "$REDIS_SENTINEL_PASSWORD" SENTINEL get-master-addr-by-name loadline | head -n 1 | sed 's/\..*//'; }
control() { cli loadline-redis 6380 control "$REDIS_CONTROL_PASSWORD" "$@"; }

for n in 0 1 2; do start_pod "$n"; done
sleep 9 # a full sync waits repl-diskless-sync-delay (5 s) for more replicas
for n in 0 1 2; do echo "started pod$n: $(role "$n")"; done
echo "sentinel master: $(master 2)"
echo "monitor LLEN wait: $(cli "$(pod 0)" 6380 monitor "$REDIS_MONITOR_PASSWORD" LLEN bull:loadline-shards:wait)"
echo "monitor SET: $(cli "$(pod 0)" 6380 monitor "$REDIS_MONITOR_PASSWORD" SET bull:loadline-shards:wait x)"
echo "monitor LLEN results: $(cli "$(pod 0)" 6380 monitor "$REDIS_MONITOR_PASSWORD" LLEN loadline:results)"
echo "sentinel without password: $(cli "$(pod 1)" 26380 default wrong-password SENTINEL masters)"

sed -e "s#bind :6380#bind 127.0.0.20:6380#" -e "s#/etc/redis-tls/ca.crt#$T/certs/ca.crt#" \
  -e "s# resolvers cluster##" -e "s#maxconn 20000#maxconn 5000#" "$T/haproxy.cfg" >"$T/haproxy.local.cfg"
haproxy -q -c -f "$T/haproxy.local.cfg" && echo "haproxy config: valid"
haproxy -q -D -p "$T/haproxy.pid" -f "$T/haproxy.local.cfg"
sleep 4
echo "proxy SET: $(control SET loadline:probe one)"

kill -9 "$(cat "$T/pod0/redis.pid")"
i=0
while [ "$(master 1)" = loadline-redis-0 ] && [ "$i" -lt 30 ]; do
  sleep 1
  i=$((i + 1))
done
echo "failover seconds: $i"
echo "sentinel master: $(master 1)"
sleep 4 # the proxy's checks (every second, 2 rises) and the other replica's resync
for n in 1 2; do echo "after failover pod$n: $(role "$n")"; done
echo "proxy GET: $(control GET loadline:probe)"
echo "proxy SET: $(control SET loadline:probe two)"

kill "$(cat "$T/pod0/sentinel.pid")"
sleep 1
start_pod 0
sleep 9
echo "restarted pod0: $(role 0)"
echo "pod0 GET: $(cli "$(pod 0)" 6380 control "$REDIS_CONTROL_PASSWORD" GET loadline:probe)"
