#!/usr/bin/env bash
# Starts etcd + kube-apiserver on 127.0.0.1 (free ports), state and logs in DIR, and writes DIR/env plus one
# kubeconfig per test user (admin, reader, limited). Idempotent: exits at once when DIR's API server already answers.
# Usage: up.sh DIR
set -eu
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# lib.sh asks go for its proxy; running the cached binaries must not need a Go toolchain.
command -v go >/dev/null 2>&1 || go() { :; }
source "$here/lib.sh"
set -o pipefail

[[ $# -eq 1 && -n "$1" ]] || die "usage: up.sh DIR"
mkdir -p "$1"
dir="$(cd "$1" && pwd)"

kubectl="$(k8s_dir)/bin/kubectl"
apiserver="$(k8s_dir)/bin/kube-apiserver"
etcd="$(etcd_dir)/bin/etcd"
for b in "$apiserver" "$kubectl" "$etcd"; do
  [[ -x "$b" ]] || die "$b is missing: build it first with tests/testenv/build.sh k8s etcd"
done

# Two test processes may bring up the same DIR at once; only one may start servers.
exec 9>"$dir/.up.lock"
flock 9

readyz() { curl -sk --max-time 2 "https://127.0.0.1:$1/readyz" 2>/dev/null; }

if [[ -s "$dir/env" ]]; then
  port="$(sed -n 's/^APISERVER_PORT=//p' "$dir/env")"
  if [[ -n "$port" && "$(readyz "$port")" == ok ]]; then
    log "API server already up at https://127.0.0.1:$port ($dir)"
    exit 0
  fi
  log "stale $dir/env: stopping leftovers and starting afresh"
fi
"$here/down.sh" "$dir" >/dev/null 2>&1 || true
rm -f "$dir/env"

started=$SECONDS
ok=0
# On any failure, leave no half-started servers behind (the logs stay for diagnosis).
trap '[[ $ok == 1 ]] || "$here/down.sh" "$dir" >/dev/null 2>&1 || true' EXIT

# --- ports: bind all three at once so they are distinct; the tiny race until the servers bind is accepted.
read -r etcd_port peer_port api_port < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

# --- PKI and tokens: kept across restarts of the same DIR so kubeconfigs handed out earlier stay valid.
pki="$dir/pki"
mkdir -p "$pki"
if [[ ! -s "$pki/apiserver.crt" || ! -s "$pki/sa.pub" ]]; then
  cat >"$pki/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 -config "$pki/openssl.cnf" \
    -extensions ca -subj "/CN=mekhanikube-testenv-ca" -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  openssl req -new -newkey rsa:2048 -nodes -sha256 -config "$pki/openssl.cnf" -subj "/CN=kube-apiserver" \
    -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" 2>/dev/null
  openssl x509 -req -sha256 -days 3650 -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -CAcreateserial -extfile "$pki/openssl.cnf" -extensions server -out "$pki/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  chmod 600 "$pki"/*.key
fi
if [[ ! -s "$dir/tokens.csv" ]]; then
  # token,user,uid,"groups"
  {
    echo "$(openssl rand -hex 16),admin,admin-uid,\"system:masters\""
    echo "$(openssl rand -hex 16),reader,reader-uid"
    echo "$(openssl rand -hex 16),limited,limited-uid"
  } >"$dir/tokens.csv"
  chmod 600 "$dir/tokens.csv"
fi
token_of() { awk -F, -v u="$1" '$2 == u { print $1 }' "$dir/tokens.csv"; }

# Everything the CLI's users do is recorded; secrets with the response, so a test can prove only metadata came back.
# The admin (fixture loading) is left out to keep the log small.
cat >"$dir/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: RequestResponse
    users: [reader, limited, "system:serviceaccount:mekhanikube:mekhanikube"]
    resources: [{group: "", resources: [secrets]}]
  - level: Metadata
    users: [reader, limited, "system:serviceaccount:mekhanikube:mekhanikube"]
  - level: None
EOF

# Starts a server in its own session so it outlives this script and the caller's terminal; the wrapper shell
# records its own PID and then becomes the server, so the PID file names the server itself.
start_daemon() {
  local name="$1"; shift
  printf '\n==== %s start %s\n' "$name" "$(date -Is)" >>"$dir/$name.log"
  rm -f "$dir/$name.pid"
  # shellcheck disable=SC2016 # $$, $0 and $@ are the inner shell's: it writes its own pid, then becomes the server.
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$dir/$name.pid" "$@" >>"$dir/$name.log" 2>&1 </dev/null 9>&- &
  for _ in $(seq 50); do [[ -s "$dir/$name.pid" ]] && break; sleep 0.1; done
  [[ -s "$dir/$name.pid" ]] || die "$name did not start"
}
alive() { local p; p="$(cat "$dir/$1.pid" 2>/dev/null)" && [[ -r /proc/$p/stat ]] \
  && [[ "$(sed 's/.*) //' "/proc/$p/stat" | cut -c1)" != Z ]]; }
fail_with_log() { log "$1; last lines of $dir/$2.log:"; tail -n 40 "$dir/$2.log" >&2; exit 1; }

# --- etcd: fresh data on every start keeps runs deterministic; fsync off because the data is throwaway.
rm -rf "$dir/etcd"
start_daemon etcd "$etcd" --name t0 --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "t0=http://127.0.0.1:$peer_port" --unsafe-no-fsync \
  --log-level warn
for _ in $(seq 150); do
  curl -s --max-time 1 "http://127.0.0.1:$etcd_port/health" 2>/dev/null | grep -q '"health":"true"' && break
  alive etcd || fail_with_log "etcd exited" etcd
  sleep 0.2
done
curl -s --max-time 1 "http://127.0.0.1:$etcd_port/health" | grep -q '"health":"true"' \
  || fail_with_log "etcd not healthy after 30 s" etcd
log "etcd ready on 127.0.0.1:$etcd_port in $((SECONDS - started)) s"

# --- kube-apiserver. Admission plugins that would need a controller (ServiceAccount, TaintNodesByCondition) or
# that rewrite or reject fixture objects (defaults injected into specs, quotas with no usage computed, webhooks and
# policies from fixtures pointing at nothing) are off: the test bed stores objects exactly as written.
api_start=$SECONDS
start_daemon apiserver "$apiserver" \
  --etcd-servers="http://127.0.0.1:$etcd_port" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
  --cert-dir="$pki" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" --token-auth-file="$dir/tokens.csv" --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$pki/sa.pub" \
  --service-account-signing-key-file="$pki/sa.key" --service-cluster-ip-range=10.0.0.0/16 \
  --disable-admission-plugins=ServiceAccount,TaintNodesByCondition,DefaultStorageClass,DefaultIngressClass,DefaultTolerationSeconds,LimitRanger,ResourceQuota,PodSecurity,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy,MutatingAdmissionPolicy \
  --endpoint-reconciler-type=none --allow-privileged=true --enable-priority-and-fairness=false \
  --profiling=false \
  --audit-policy-file="$dir/audit-policy.yaml" --audit-log-path="$dir/audit.log" --audit-log-format=json
for _ in $(seq 450); do
  [[ "$(readyz "$api_port")" == ok ]] && break
  alive apiserver || fail_with_log "kube-apiserver exited" apiserver
  sleep 0.2
done
[[ "$(readyz "$api_port")" == ok ]] || fail_with_log "kube-apiserver not ready after 90 s" apiserver
log "kube-apiserver ready on https://127.0.0.1:$api_port in $((SECONDS - api_start)) s"

# --- kubeconfigs: CA embedded and token auth, so they work from any working directory.
ca_data="$(base64 -w0 "$pki/ca.crt")"
write_kubeconfig() { # user context file
  cat >"$3.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: testenv
    cluster:
      server: https://127.0.0.1:$api_port
      certificate-authority-data: $ca_data
users:
  - name: $1
    user:
      token: $(token_of "$1")
contexts:
  - name: $2
    context: {cluster: testenv, user: $1, namespace: default}
current-context: $2
EOF
  chmod 600 "$3.tmp"
  mv "$3.tmp" "$3"
}
write_kubeconfig admin testenv-admin "$dir/admin.kubeconfig"
write_kubeconfig reader testenv "$dir/reader.kubeconfig"
write_kubeconfig limited testenv-limited "$dir/limited.kubeconfig"

"$kubectl" --kubeconfig "$dir/admin.kubeconfig" apply -f "$here/rbac.yaml" >"$dir/rbac-apply.log" 2>&1 \
  || fail_with_log "applying rbac.yaml failed" rbac-apply

# Written last and atomically: its presence means "up and usable".
cat >"$dir/env.tmp" <<EOF
APISERVER_URL=https://127.0.0.1:$api_port
APISERVER_PORT=$api_port
ETCD_PORT=$etcd_port
ADMIN_KUBECONFIG=$dir/admin.kubeconfig
READER_KUBECONFIG=$dir/reader.kubeconfig
LIMITED_KUBECONFIG=$dir/limited.kubeconfig
AUDIT_LOG=$dir/audit.log
KUBECTL=$kubectl
APISERVER_PID=$(cat "$dir/apiserver.pid")
ETCD_PID=$(cat "$dir/etcd.pid")
EOF
mv "$dir/env.tmp" "$dir/env"
ok=1
log "test cluster up in $((SECONDS - started)) s: KUBECONFIG=$dir/reader.kubeconfig $kubectl get pods -A"
