#!/usr/bin/env bash
# The secured metrics endpoint end to end (CTest web.tls; no root, no BPF):
# lifetrace_web_test_server builds the endpoint exactly as `lifetrace daemon`
# does from --web.config.file; openssl makes the certificates here; curl
# scrapes over TLS with right, wrong and missing credentials, plain HTTP, a
# too-old TLS version, a cipher suite not allowed and client certificates (with
# and without an allowed SAN); a
# real Prometheus (if installed) scrapes it with tls_config and basic_auth; the
# server serving TLS has one thread and does not wake while no client is
# connected, and a flood of idle connections from one address does not keep a
# scrape from another address out.
#
#   tests/web/run.sh build/lifetrace_web_test_server
set -euo pipefail
server=$(realpath "${1:?usage: run.sh PATH/TO/lifetrace_web_test_server}")
for tool in openssl curl python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is needed (scripts/install-deps.sh --tests)"; exit 1; }
done
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# A CA, a server certificate for localhost/127.0.0.1 signed by it (EC P-256, so the
# ECDSA suites apply), and a client certificate signed by it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=lifetrace-test-ca -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
  -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
  -extfile san.ext -out server.crt 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=prometheus \
  -keyout client.key -out client.csr 2>/dev/null
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
  -out client.crt 2>/dev/null

# bcrypt hashes made by another implementation than the server's check (Python's crypt
# module calls libxcrypt too, but the salt and cost are chosen here): alice as htpasswd
# writes them ($2y$), bob as $2b$.
hash() {
  python3 -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024)))' "$1"
}
alice=$(hash 's3cret alice')
alice=\$2y\$${alice#\$2b\$}
bob=$(hash 'bob pw')
[[ $alice == \$2y\$10\$* && ${#alice} == 60 ]] || { echo "FAIL: could not make a bcrypt hash: $alice"; exit 1; }

# start NAME CONFIG: starts a server, sets $port; its stdin is a fifo held open by fd 9.
start() {
  local name=$1 config=$2
  rm -f "$name.in"
  mkfifo "$name.in"
  "$server" --web.config.file "$config" <"$name.in" >"$name.out" 2>"$name.err" &
  pids+=($!)
  exec 9>"$name.in"
  for _ in $(seq 100); do
    if grep -q '^port ' "$name.out" 2>/dev/null; then break; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      echo "FAIL: $name exited before listening:"
      cat "$name.err"
      return 1
    fi
    sleep 0.1
  done
  port=$(awk '/^port /{print $2}' "$name.out")
  [[ -n $port ]] || { echo "FAIL: $name did not start"; cat "$name.err"; return 1; }
  echo "$name listening on $port ($(awk '/^port /{print $3}' "$name.out"))"
}
stop() { exec 9>&-; wait "${pids[-1]}" || true; }

# code URL [curl args]: the HTTP status ("000" when no HTTP answer came).
code() {
  local url=$1
  shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 20 --cacert ca.crt "$@" "$url" || true
}
expect() {  # expect WANT WHAT GOT
  if [[ $3 == "$1" ]]; then ok "$2: $3"; else bad "$2: got $3, want $1"; fi
}

# --- 1. TLS + basic auth; relative file names are taken from the config's directory.
mkdir conf
cp server.crt server.key conf/
cat >conf/web.yml <<YAML
tls_server_config:
  cert_file: server.crt
  key_file: server.key
basic_auth_users:
  alice: '$alice'
  bob: '$bob'
YAML
start auth conf/web.yml
base=https://localhost:$port
expect 200 "right credentials, /metrics" "$(code $base/metrics -u 'alice:s3cret alice')"
expect 200 "second user (\$2b\$), /metrics" "$(code $base/metrics -u 'bob:bob pw')"
expect 401 "wrong password" "$(code $base/metrics -u 'alice:wrong')"
expect 401 "unknown user" "$(code $base/metrics -u 'mallory:s3cret alice')"
expect 401 "no credentials, /metrics" "$(code $base/metrics)"
expect 401 "no credentials, landing page /" "$(code $base/)"
expect 401 "no credentials, other path" "$(code $base/nothing-here)"
expect 200 "right credentials, landing page /" "$(code $base/ -u 'alice:s3cret alice')"
body=$(curl -s --cacert ca.crt -u "alice:s3cret alice" $base/metrics || true)
if grep -q '^lifetrace_build_info{' <<<"$body"; then ok "the scrape has lifetrace's metrics"; else bad "no lifetrace_build_info in the scrape"; fi
h=$(curl -s -D - -o /dev/null --cacert ca.crt $base/metrics || true)
if grep -qi '^WWW-Authenticate: Basic realm="lifetrace"' <<<"$h"; then
  ok "401 asks for basic auth"
else
  bad "no WWW-Authenticate on 401"
fi
expect 000 "plain HTTP to the TLS port" "$(code http://localhost:$port/metrics -u 'alice:s3cret alice')"
expect 000 "a client that does not trust the server's CA" \
  "$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 -u 'alice:s3cret alice' $base/metrics || true)"
curl -sv --cacert ca.crt -u 'alice:s3cret alice' $base/metrics -o /dev/null 2>curl-v.txt || true
grep -E '^\* +(SSL connection|ALPN|Server certificate|subject|issuer|SSL certificate verify)|^< HTTP|^< WWW|^> Authorization' curl-v.txt |
  sed 's/^> Authorization: Basic .*/> Authorization: Basic (redacted)/' || true
stop

# --- 2. min_version TLS13, headers, http2 false: TLS 1.2 is refused.
cat >strict.yml <<YAML
tls_server_config:
  cert_file: $work/server.crt
  key_file: $work/server.key
  min_version: TLS13
  max_version: TLS13
http_server_config:
  http2: false
  headers:
    X-Content-Type-Options: nosniff
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  alice: '$alice'
YAML
start strict strict.yml
base=https://localhost:$port
expect 000 "TLS 1.2 client against min_version TLS13" "$(code $base/metrics -u 'alice:s3cret alice' --tls-max 1.2)"
expect 200 "TLS 1.3 client" "$(code $base/metrics -u 'alice:s3cret alice' --tlsv1.3)"
for path in /metrics /; do
  h=$(curl -s -D - -o /dev/null --cacert ca.crt -u 'alice:s3cret alice' $base$path || true)
  if grep -qi '^X-Content-Type-Options: nosniff' <<<"$h" && grep -qi '^Strict-Transport-Security: max-age=31536000' <<<"$h" &&
    grep -qi '^X-Frame-Options: deny' <<<"$h"; then
    ok "configured headers on $path"
  else
    bad "configured headers missing on $path: $h"
  fi
done
h=$(curl -s -D - -o /dev/null --cacert ca.crt $base/metrics || true)
if grep -qi '^X-Content-Type-Options: nosniff' <<<"$h"; then
  ok "configured headers on a 401"
else
  bad "configured headers missing on a 401"
fi
body=$(curl -s --cacert ca.crt -u 'alice:s3cret alice' $base/metrics || true)
if grep -q '^lifetrace_build_info{' <<<"$body"; then
  ok "the metrics served with headers are lifetrace's"
else
  bad "no lifetrace_build_info when headers are configured"
fi
stop

# --- 3. cipher_suites: only the listed TLS 1.2 suite is accepted.
cat >ciphers.yml <<YAML
tls_server_config:
  cert_file: $work/server.crt
  key_file: $work/server.key
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]
YAML
start ciphers ciphers.yml
base=https://localhost:$port
expect 200 "the listed suite (TLS 1.2)" "$(code $base/metrics --tls-max 1.2 --ciphers ECDHE-ECDSA-AES256-GCM-SHA384)"
expect 000 "a suite not listed (TLS 1.2)" "$(code $base/metrics --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256)"
stop

# --- 4. client certificates: RequireAndVerifyClientCert.
cat >mtls.yml <<YAML
tls_server_config:
  cert_file: $work/server.crt
  key_file: $work/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: $work/ca.crt
YAML
start mtls mtls.yml
base=https://localhost:$port
expect 200 "with a client certificate from the CA" "$(code $base/metrics --cert client.crt --key client.key)"
expect 000 "without a client certificate" "$(code $base/metrics)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=stranger \
  -keyout stranger.key -out stranger.crt 2>/dev/null
expect 000 "with a self-signed client certificate" "$(code $base/metrics --cert stranger.crt --key stranger.key)"
stop

# ... and client_allowed_sans: the CA's certificate must also name an allowed SAN.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=scraper \
  -keyout scraper.key -out scraper.csr 2>/dev/null
printf 'subjectAltName=DNS:prometheus.example,IP:10.0.0.7\n' >scraper.ext
openssl x509 -req -in scraper.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
  -extfile scraper.ext -out scraper.crt 2>/dev/null
for allowed in prometheus.example 10.0.0.7; do
  cat >sans.yml <<YAML
tls_server_config:
  cert_file: $work/server.crt
  key_file: $work/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: $work/ca.crt
  client_allowed_sans: [other.example, $allowed]
YAML
  start sans sans.yml
  base=https://localhost:$port
  expect 200 "a client certificate with the allowed SAN $allowed" "$(code $base/metrics --cert scraper.crt --key scraper.key)"
  expect 000 "a client certificate from the CA without an allowed SAN" "$(code $base/metrics --cert client.crt --key client.key)"
  stop
done

# --- 5. bad config files stop start-up with the file, the key and a HINT.
# refuse NAME WANT_IN_MESSAGE: writes NAME.yml from stdin and expects exit 1 and the text.
refuse() {
  local name=$1 want=$2 rc=0
  cat >"$name.yml"
  "$server" --web.config.file "$name.yml" </dev/null >/dev/null 2>"$name.err" || rc=$?
  if [[ $rc == 1 ]] && grep -qF "web config $name.yml: $want" "$name.err" && grep -q '^HINT: ' "$name.err"; then
    ok "refused $name: $(head -1 "$name.err")"
  else
    bad "$name: rc=$rc, want 1 and \"$want\": $(cat "$name.err")"
  fi
}
refuse unknown-key 'tls_server_config.cert_flie is not a web configuration key' <<YAML
tls_server_config:
  cert_flie: $work/server.crt
  key_file: $work/server.key
YAML
refuse bad-hash 'basic_auth_users.alice is not a bcrypt hash' <<'YAML'
basic_auth_users:
  alice: plaintext
YAML
refuse missing-key-file 'tls_server_config.key_file cannot read' <<YAML
tls_server_config:
  cert_file: $work/server.crt
  key_file: $work/nonexistent.key
YAML
refuse unsupported 'rate_limit is not supported by lifetrace' <<YAML
tls_server_config:
  cert_file: $work/server.crt
  key_file: $work/server.key
rate_limit:
  interval: 1s
YAML
refuse bad-yaml 'not valid YAML' <<'YAML'
tls_server_config: [unclosed
YAML
rc=0
"$server" --web.config.file "$work/nonexistent.yml" </dev/null 2>missing.err >/dev/null || rc=$?
if [[ $rc == 1 ]] && grep -q "cannot read web config $work/nonexistent.yml" missing.err; then
  ok "refused a missing config file: $(head -1 missing.err)"
else
  bad "missing config file: rc=$rc $(cat missing.err)"
fi
# A key that does not belong to the certificate: the server cannot start.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other \
  -keyout other.key -out other.crt 2>/dev/null
printf 'tls_server_config:\n  cert_file: %s\n  key_file: %s\n' "$work/server.crt" "$work/other.key" >mismatch.yml
rc=0
"$server" --web.config.file mismatch.yml </dev/null >/dev/null 2>mismatch.err || rc=$?
if [[ $rc == 1 ]] && grep -q 'cannot serve metrics over TLS' mismatch.err; then
  ok "refused a key that does not match the certificate: $(head -1 mismatch.err)"
else
  bad "mismatched key: rc=$rc $(cat mismatch.err)"
fi

# --- 6. A real Prometheus scrapes the endpoint with tls_config and basic_auth, as an SRE
# would configure it; a second job with a wrong password must be down (401).
if command -v prometheus >/dev/null; then
  start prom conf/web.yml
  metrics_port=$port
  prom_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf 's3cret alice' >prom-password
  cat >prometheus.yml <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: lifetrace
    scheme: https
    tls_config:
      ca_file: $work/ca.crt
      server_name: localhost
    basic_auth:
      username: alice
      password_file: $work/prom-password
    static_configs:
      - targets: ['127.0.0.1:$metrics_port']
  - job_name: lifetrace-wrong-password
    scheme: https
    tls_config: {ca_file: $work/ca.crt, server_name: localhost}
    basic_auth: {username: alice, password: wrong}
    static_configs:
      - targets: ['127.0.0.1:$metrics_port']
YML
  timeout -k 5 120 prometheus --config.file=prometheus.yml --storage.tsdb.path=tsdb \
    --web.listen-address="127.0.0.1:$prom_port" >prometheus.log 2>&1 &
  pids+=($!)
  api=http://127.0.0.1:$prom_port/api/v1
  up="" wrong="" info=""
  for _ in $(seq 90); do
    up=$(curl -sf --max-time 5 --get "$api/query" --data-urlencode 'query=up{job="lifetrace"}' | sed -n 's/.*"value":\[[0-9.]*,"\([0-9]*\)"\].*/\1/p' || true)
    wrong=$(curl -sf --max-time 5 --get "$api/query" --data-urlencode 'query=up{job="lifetrace-wrong-password"}' | sed -n 's/.*"value":\[[0-9.]*,"\([0-9]*\)"\].*/\1/p' || true)
    [[ $up == 1 && -n $wrong ]] && break
    sleep 1
  done
  info=$(curl -sf --max-time 5 --get "$api/query" --data-urlencode 'query=lifetrace_build_info' || true)
  targets=$(curl -sf --max-time 5 "$api/targets" || true)
  expect 1 "Prometheus scraping over TLS with basic_auth: up" "$up"
  expect 0 "Prometheus with a wrong password: up" "$wrong"
  if grep -q '"version":"0.0.0-test"' <<<"$info"; then ok "Prometheus stored lifetrace_build_info"; else bad "lifetrace_build_info not in Prometheus: $info"; fi
  grep -o '"lastError":"[^"]*401[^"]*"' <<<"$targets" | head -1 || true
  kill "${pids[-1]}" 2>/dev/null || true
  wait "${pids[-1]}" 2>/dev/null || true
  unset 'pids[-1]'
  stop
else
  echo "skipped: a real Prometheus scrape (prometheus is not installed)"
fi

# --- 7. The event loop's promise (docs/daemon.md): one thread, no wake-up while no client is
# connected (libmicrohttpd runs from the loop; a timer exists only while a connection is open),
# and bounded connections: one address holding more idle connections than the whole limit (64,
# kEndpointMaxConnections) gets only its share (32 per address), so a scrape from another
# address still gets in (without the share it would wait in the backlog for the idle timeout).
start loop conf/web.yml
server_pid=${pids[-1]}
base=https://localhost:$port
expect 200 "a scrape before going idle" "$(code $base/metrics -u 'alice:s3cret alice')"
threads=$(ls /proc/"$server_pid"/task | wc -l)
expect 1 "threads of the server serving TLS" "$threads"
sleep 6  # past the idle timeout (kEndpointIdleTimeoutSeconds, 5 s) of any connection left
switches() { awk '/^(voluntary|nonvoluntary)_ctxt_switches/ {n += $2} END {print n}' /proc/"$server_pid"/status; }
before=$(switches)
sleep 3
after=$(switches)
expect 0 "wake-ups in 3 s without a client" "$((after - before))"
python3 -c '
import socket, sys, time
held = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(70)]
print("holding", len(held), flush=True)
time.sleep(20)
' "$port" >hold.out 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q holding hold.out 2>/dev/null && break; sleep 0.1; done
t0=$(date +%s%N)
got=$(code "$base/metrics" -u 'alice:s3cret alice' --interface 127.0.0.2 --max-time 4)
ms=$((($(date +%s%N) - t0) / 1000000))
expect 200 "a scrape from 127.0.0.2 while 127.0.0.1 opened 70 idle connections (${ms} ms)" "$got"
kill "${pids[-1]}" 2>/dev/null || true
wait "${pids[-1]}" 2>/dev/null || true
unset 'pids[-1]'
stop

if ((fails)); then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all web checks passed"
