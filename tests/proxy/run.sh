#!/usr/bin/env bash
# The demo behind a real nginx: per-client rate limits through a trusted proxy
# (AUTH_TRUSTED_PROXIES), forged X-Forwarded-For, forged X-Forwarded-Host.
# Usage (from anywhere):  bash tests/proxy/run.sh
#
# nginx listens on 127.0.0.1 and passes `X-Forwarded-For $proxy_add_x_forwarded_for` (and,
# as a naive configuration does, whatever X-Forwarded-Host the client sent) to the demo,
# which trusts 127.0.0.1/32. Clients come from other loopback addresses (127.0.0.0/8 is
# all loopback) with `curl --interface`, so each is a different client to nginx.
#
# Env: DEMO_BIN   demo binary (default: <target>/debug/demo, built by scripts/test.sh)
#      NGINX_BIN  nginx (default: nginx on PATH or /usr/sbin/nginx; Debian's `nginx` is
#                 installed with apt-get when missing)
#      CI=true    a missing nginx is an error instead of a SKIP
#      PROXY_VERBOSE=1  print the demo's and nginx's logs at the end
#      PROXY_TRUSTED    the demo's AUTH_TRUSTED_PROXIES (default 127.0.0.1/32; set it empty
#                 to watch the per-client cases fail as they did before trusted proxies)
#
# Each case is a function `case_…` run by `main` against the stack `main` starts (ORIGIN,
# DEMO_LOG), with its own client addresses (the demo keeps its buckets for the whole run);
# add a case by writing one and listing it in CASES. A case that needs the demo configured
# otherwise starts its own stack: `start_stack <name> VAR=value …` (see there).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

skip_or_fail() {
  if [[ "${CI:-}" == "true" ]]; then
    echo "proxy: ERROR: $1" >&2
    exit 1
  fi
  echo "================================================================"
  echo "proxy: SKIP: $1"
  [ -n "${TESSERA_TEST_SKIPS:-}" ] && printf '%s\t%s\n' "tests/proxy/run.sh" "$1" >>"$TESSERA_TEST_SKIPS"
  echo "proxy: (set CI=true to make this an error)"
  echo "================================================================"
  exit 0
}

# --- tools -----------------------------------------------------------------------
command -v curl >/dev/null 2>&1 || skip_or_fail "curl not found"
NGINX_BIN="${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}"
if [[ ! -x "$NGINX_BIN" ]]; then
  echo "proxy: nginx not found; installing Debian's nginx"
  SUDO=""
  if [[ "$(id -u)" != "0" ]] && command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi
  if command -v apt-get >/dev/null 2>&1; then
    $SUDO apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null || true
  fi
  NGINX_BIN="$(command -v nginx || echo /usr/sbin/nginx)"
  [[ -x "$NGINX_BIN" ]] || skip_or_fail "nginx not found and could not be installed (apt-get install -y nginx)"
fi

DEMO_BIN="${DEMO_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/demo}"
if [[ ! -x "$DEMO_BIN" ]]; then
  echo "proxy: ERROR: demo binary not found: $DEMO_BIN (cargo build -p demo, or set DEMO_BIN)" >&2
  exit 1
fi

# --- scratch space, and stopping what we start -------------------------------------
TMP="$(mktemp -d "${TMPDIR:-/tmp}/tessera-proxy.XXXXXX")"
chmod 755 "$TMP" # nginx's workers may run as another user
PIDS=()   # every demo and nginx started, stopped by PID at exit
STACKS=() # the stacks started, for their logs
cleanup() {
  local status=$?
  set +e
  local pid name
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [[ "${PROXY_VERBOSE:-}" == "1" || $status -ne 0 ]]; then
    for name in "${STACKS[@]}"; do
      echo "--- $name: demo log (tail) ---" >&2
      tail -n 40 "$TMP/$name/demo.log" >&2 2>/dev/null
      echo "--- $name: nginx error log (tail) ---" >&2
      tail -n 20 "$TMP/$name/nginx/error.log" >&2 2>/dev/null
    done
  fi
  rm -rf "$TMP"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free TCP port on 127.0.0.1 (the kernel picks; a tiny race with other programs is
# accepted).
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  else
    local p
    while :; do
      p=$((20000 + RANDOM % 20000))
      (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
  fi
}

TRUSTED="${PROXY_TRUSTED-127.0.0.1/32}"

# start_stack <name> [VAR=value ...]: the demo behind its own nginx, in $TMP/<name>. The
# demo gets NEXTAUTH_URL = nginx's origin, AUTH_TRUSTED_PROXIES=$TRUSTED, a SQLite file,
# JWT sessions and no EMAIL_SERVER (links go to its log); the VAR=value arguments come
# last and win. Sets ORIGIN (nginx's origin) and DEMO_LOG, and waits until it answers.
start_stack() {
  local name="$1"
  shift
  local dir="$TMP/$name" nginx_port demo_port
  mkdir -p "$dir/nginx/temp"
  chmod 755 "$dir" "$dir/nginx" "$dir/nginx/temp"
  nginx_port="$(free_port)"
  demo_port="$(free_port)"
  while [[ "$demo_port" == "$nginx_port" ]]; do demo_port="$(free_port)"; done
  ORIGIN="http://127.0.0.1:$nginx_port"
  DEMO_LOG="$dir/demo.log"
  STACKS+=("$name")
  # @HOST@ in a VAR=value argument stands for nginx's host:port (known only now).
  local args=() a
  for a in "$@"; do args+=("${a//@HOST@/127.0.0.1:$nginx_port}"); done
  set -- "${args[@]}"

  (
    cd "$dir"
    exec env PORT="$demo_port" \
      NEXTAUTH_URL="$ORIGIN" \
      NEXTAUTH_SECRET="proxy-test-secret-$RANDOM$RANDOM$RANDOM" \
      AUTH_TRUSTED_PROXIES="$TRUSTED" \
      DATABASE_URL="$dir/demo.db" \
      DEMO_SESSION_STRATEGY=jwt \
      EMAIL_SERVER= \
      RUST_LOG=warn \
      "$@" \
      "$DEMO_BIN"
  ) >"$DEMO_LOG" 2>&1 &
  local demo_pid=$!
  PIDS+=("$demo_pid")

  cat >"$dir/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $dir/nginx/temp/body;
  proxy_temp_path $dir/nginx/temp/proxy;
  fastcgi_temp_path $dir/nginx/temp/fastcgi;
  uwsgi_temp_path $dir/nginx/temp/uwsgi;
  scgi_temp_path $dir/nginx/temp/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://127.0.0.1:$demo_port;
      proxy_set_header Host ${NGINX_HOST_HEADER:-\$host};
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      # Client headers such as X-Forwarded-Host pass through unchanged (nginx's default).
    }
  }
}
EOF
  "$NGINX_BIN" -p "$dir/nginx/" -e "$dir/nginx/error.log" -c "$dir/nginx/nginx.conf" -g 'daemon off;' &
  local nginx_pid=$!
  PIDS+=("$nginx_pid")

  for _ in $(seq 1 100); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' "$ORIGIN/health" 2>/dev/null)" == "200" ]]; then
      echo "proxy: [$name] nginx $("$NGINX_BIN" -v 2>&1 | sed 's#.*/##') on $ORIGIN -> demo on :$demo_port" \
        "(AUTH_TRUSTED_PROXIES=$TRUSTED${*:+ $*})"
      return 0
    fi
    kill -0 "$demo_pid" 2>/dev/null || { echo "proxy: ERROR: [$name] the demo exited" >&2; exit 1; }
    kill -0 "$nginx_pid" 2>/dev/null || { echo "proxy: ERROR: [$name] nginx exited" >&2; exit 1; }
    sleep 0.1
  done
  echo "proxy: ERROR: [$name] $ORIGIN/health did not answer 200" >&2
  exit 1
}

# --- a client: curl from one loopback address, with its own cookie jar ---------------------
PASSED=0
FAILED=0

expect() { # expect <what> <expected> <got>
  if [[ "$2" == "$3" ]]; then
    PASSED=$((PASSED + 1))
    echo "  ok: $1: expected $2, got $3"
  else
    FAILED=$((FAILED + 1))
    echo "  FAIL: $1: expected $2, got $3"
  fi
}

# curl as client <ip> (cookie jar per client); extra curl arguments follow.
client_curl() {
  local ip="$1"
  shift
  curl -s --interface "$ip" -b "$TMP/jar-$ip" -c "$TMP/jar-$ip" "$@"
}

# The CSRF token of client <ip> (sets its CSRF cookie).
csrf_token() {
  client_curl "$1" "$ORIGIN/api/auth/csrf" | sed -n 's/.*"csrfToken":"\([^"]*\)".*/\1/p'
}

# A credentials sign-in as client <ip>; prints the HTTP status. Extra curl arguments follow
# <username> <password>.
sign_in() {
  local ip="$1" user="$2" pass="$3"
  shift 3
  local token
  token="$(csrf_token "$ip")"
  client_curl "$ip" -o /dev/null -w '%{http_code}' "$@" \
    --data-urlencode "csrfToken=$token" --data-urlencode "username=$user" \
    --data-urlencode "password=$pass" --data-urlencode "json=true" \
    "$ORIGIN/api/auth/callback/credentials"
}

# expect_link_origin <email>: the sign-in link the demo printed for <email> (its dev mailer
# writes it to DEMO_LOG) has origin ORIGIN.
expect_link_origin() {
  local pattern="${1//./\\.}" link=""
  for _ in $(seq 1 50); do
    link="$(sed -n "s/.*sign-in link for $pattern: \([^ ]*\).*/\1/p" "$DEMO_LOG" | tail -n 1)"
    [[ -n "$link" ]] && break
    sleep 0.1
  done
  expect "the origin of the link printed for $1 (link: ${link%%\?*}?…)" "$ORIGIN" \
    "$(printf '%s' "$link" | sed -n 's#^\(https\{0,1\}://[^/]*\).*#\1#p')"
}

# The demo's limit: 20 failed credentials attempts per client per 15 minutes.
PER_CLIENT=20

# --- cases ------------------------------------------------------------------------------------
case_two_clients_have_their_own_buckets() {
  echo "case: client A exhausting its bucket does not block client B (A=127.0.0.2, B=127.0.0.3)"
  local i got
  for i in $(seq 1 "$PER_CLIENT"); do
    got="$(sign_in 127.0.0.2 "nobody$i" wrong)"
    [[ "$got" == "401" ]] || { expect "A's failure $i" 401 "$got"; return; }
  done
  expect "A's $PER_CLIENT failures" 401 401
  expect "A with the right password after $PER_CLIENT failures" 429 "$(sign_in 127.0.0.2 demo demo)"
  expect "B with the right password" 200 "$(sign_in 127.0.0.3 demo demo)"
}

case_forged_left_most_x_forwarded_for() {
  echo "case: a client forging left-most X-Forwarded-For entries stays in its own bucket (127.0.0.4)"
  local i got
  for i in $(seq 1 "$PER_CLIENT"); do
    got="$(sign_in 127.0.0.4 "forger$i" wrong -H "X-Forwarded-For: 127.0.0.5, 198.51.100.$i")"
    [[ "$got" == "401" ]] || { expect "forged failure $i" 401 "$got"; return; }
  done
  expect "$PER_CLIENT failures with forged entries" 401 401
  expect "the forger with a fresh forged entry and the right password" 429 \
    "$(sign_in 127.0.0.4 demo demo -H "X-Forwarded-For: 203.0.113.77")"
  expect "the client whose address was forged (127.0.0.5)" 200 "$(sign_in 127.0.0.5 demo demo)"
}

case_forged_x_forwarded_host_never_reaches_a_magic_link() {
  echo "case: a forged X-Forwarded-Host never reaches a magic link (127.0.0.6)"
  local token reply
  token="$(csrf_token 127.0.0.6)"
  reply="$(client_curl 127.0.0.6 -w ' %{http_code}' \
    -H "X-Forwarded-Host: evil.example" \
    --data-urlencode "csrfToken=$token" --data-urlencode "email=victim@example.com" \
    --data-urlencode "json=true" "$ORIGIN/api/auth/signin/email")"
  expect "POST /signin/email status (reply: ${reply% *})" 200 "${reply##* }"
  expect_link_origin victim@example.com
}

# Trust-host mode (no NEXTAUTH_URL; the origin comes from the request) with an allow-list:
# its own stack, whose nginx passes the client's Host with its port ($http_host) and, as a
# naive configuration does, the client's X-Forwarded-Host.
case_trust_host_links_use_only_allowed_hosts() {
  echo "case: trust-host mode: links only for AUTH_ALLOWED_HOSTS, 400 for a forged Host or X-Forwarded-Host (127.0.0.7)"
  NGINX_HOST_HEADER='$http_host' start_stack trusthost NEXTAUTH_URL= AUTH_TRUST_HOST=1 AUTH_ALLOWED_HOSTS=@HOST@
  local ip=127.0.0.7 token reply
  ask_link() { # ask_link <email> [curl args]: prints "<body> <status>"
    local email="$1"
    shift
    token="$(csrf_token "$ip")"
    client_curl "$ip" -w ' %{http_code}' "$@" \
      --data-urlencode "csrfToken=$token" --data-urlencode "email=$email" \
      --data-urlencode "json=true" "$ORIGIN/api/auth/signin/email"
  }
  reply="$(ask_link forged-xfh@example.com -H "X-Forwarded-Host: evil.example")"
  expect "POST /signin/email with X-Forwarded-Host: evil.example (reply: ${reply% *})" 400 "${reply##* }"
  reply="$(ask_link forged-host@example.com -H "Host: evil.example")"
  expect "POST /signin/email with Host: evil.example (reply: ${reply% *})" 400 "${reply##* }"
  reply="$(ask_link allowed@example.com)"
  expect "POST /signin/email on the allowed host (reply: ${reply% *})" 200 "${reply##* }"
  expect_link_origin allowed@example.com
  expect "links mailed for the forged hosts" 0 "$(grep -c 'sign-in link for forged' "$DEMO_LOG" || true)"
}

CASES=(
  case_two_clients_have_their_own_buckets
  case_forged_left_most_x_forwarded_for
  case_forged_x_forwarded_host_never_reaches_a_magic_link
  case_trust_host_links_use_only_allowed_hosts
)

main() {
  # Loopback aliases: 127.0.0.0/8 is all loopback on Linux; check one is usable.
  local rc=0
  curl -s -o /dev/null --interface 127.0.0.2 "http://127.0.0.1:1/" 2>/dev/null || rc=$?
  # 7 = could not connect (fine: nothing listens on port 1); 45 = could not bind.
  if [[ $rc -eq 45 ]]; then
    skip_or_fail "cannot bind 127.0.0.2 (loopback aliases unavailable)"
  fi
  start_stack main
  local c main_origin="$ORIGIN" main_log="$DEMO_LOG"
  for c in "${CASES[@]}"; do
    ORIGIN="$main_origin" DEMO_LOG="$main_log" "$c"
  done
  echo "proxy: $PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 ]]
}

main "$@"
