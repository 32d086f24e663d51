#!/usr/bin/env bash
# Compares the hot read path and publishes of notary-server with nginx and the Go server, on
# this machine, with the same TLS certificate and the same bytes:
#
#   1. nginx serving a copy of a real `timestamp.json` as a static file over TLS (keep-alive);
#   2. our notary-server (release build) on PostgreSQL, with our notary-signer (release, mTLS,
#      on PostgreSQL);
#   3. the Go /usr/bin/notary-server on PostgreSQL with the Go /usr/bin/notary-signer (mTLS,
#      on PostgreSQL)  (GO=0 skips it).
#
# GET: `wrk -t T -c CONNS -d DURATION --latency` on the current timestamp.json of a repository
# created with the bench tool (`server_bench --phases none`), for each T in WRK_THREADS; the
# file nginx serves is the one our server returned. Publishes: `server_bench --phases publish`
# (PUBLISHERS clients). Prints req/s, p50/p99 and each server's resident set (VmRSS, and VmHWM
# = peak). Everything started here is killed and every database dropped on exit.
#
# Usage:  notary-server/benches/compare-nginx.sh
# Knobs (environment): DURATION=10  CONNS=32  WRK_THREADS="1 2"  ROUNDS=1  PUBLISHERS=4
#   GO=1  PUBLISH=1  OURS_STORAGE=postgres|sqlite  PIN=0 (1: servers on CPU 0, wrk on CPU 1)
#   BASELINE_BIN=DIR: also measure the notary-server + notary-signer release binaries in DIR
#   (built from another revision) as target `base`, side by side with this tree's (`ours`).
# Needs: nginx, wrk (Debian packages nginx-light / wrk), psql and PostgreSQL on 127.0.0.1:5432
# (user postgres, trust auth), curl, cargo.
set -euo pipefail

DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
WRK_THREADS=${WRK_THREADS:-"1 2"}
ROUNDS=${ROUNDS:-1}
PUBLISHERS=${PUBLISHERS:-4}
GO=${GO:-1}
BASELINE_BIN=${BASELINE_BIN:-}
PUBLISH=${PUBLISH:-1}
OURS_STORAGE=${OURS_STORAGE:-postgres}
PIN=${PIN:-0}
PG="postgres://postgres@127.0.0.1:5432"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/notary-compare.XXXXXX)
chmod 755 "$WORK"
PIDS=()
DBS=()
TAG="bench_$$"

cleanup() {
    local status=$?
    set +e
    if [ "$status" != 0 ]; then
        for f in "$WORK"/*.log; do
            log "---- tail of $f"; tail -n 30 "$f" >&2
        done
    fi
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    for db in "${DBS[@]}"; do
        psql -q -h 127.0.0.1 -U postgres -d postgres \
            -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() { # port pid logfile
    for _ in $(seq 1 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        if ! kill -0 "$2" 2>/dev/null; then
            log "process $2 died:"; cat "$3" >&2; exit 1
        fi
        sleep 0.1
    done
    log "port $1 never opened:"; cat "$3" >&2; exit 1
}

# Run in the background with `&`: exec keeps $! the server's own pid.
on_server_cpu() { if [ "$PIN" = 1 ]; then exec taskset -c 0 "$@"; else exec "$@"; fi; }
on_client_cpu() { if [ "$PIN" = 1 ]; then taskset -c 1 "$@"; else "$@"; fi; }

new_db() { # name [migration dir]
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $1" >/dev/null
    DBS+=("$1")
    if [ -n "${2:-}" ]; then
        for f in "$2"/*/up.sql; do
            psql -q -h 127.0.0.1 -U postgres -d "$1" -v ON_ERROR_STOP=1 -f "$f" >/dev/null
        done
    fi
}

# KiB of resident memory of a process and its children: "rss peak".
rss() {
    local total=0 peak=0 p
    for p in $1 $(pgrep -P "$1" || true); do
        total=$((total + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status")))
        peak=$((peak + $(awk '/^VmHWM/ {print $2}' "/proc/$p/status")))
    done
    echo "$total $peak"
}

# ---------------------------------------------------------------------------------------------
log "== building (release)"
(cd "$ROOT" && cargo build -q --release -p notary-server --bin notary-server \
    -p notary-signer --bin notary-signer -p notary-devcerts --bin gen-certs)
(cd "$ROOT" && cargo bench -q -p notary-server --bench server_bench --no-run 2>/dev/null)
BIN="$ROOT/target/release"
bench() { (cd "$ROOT" && cargo bench -q -p notary-server --bench server_bench -- "$@"); }

"$BIN/gen-certs" "$WORK/pki" >/dev/null
PKI="$WORK/pki"
CA="$PKI/root-ca.crt"

start_signer() { # name kind(rust|base|go) port db_url
    local cfg="$WORK/$1.json" bin=/usr/bin/notary-signer
    [ "$2" = rust ] && bin="$BIN/notary-signer"
    [ "$2" = base ] && bin="$BASELINE_BIN/notary-signer"
    cat >"$cfg" <<EOF
{"server": {"grpc_addr": "127.0.0.1:$3", "tls_cert_file": "$PKI/notary-signer.crt",
  "tls_key_file": "$PKI/notary-signer.key", "client_ca_file": "$PKI/ca-bundle.crt"},
 "storage": {"backend": "postgres", "db_url": "$4", "default_alias": "benchalias"},
 "logging": {"level": "error"}}
EOF
    NOTARY_SIGNER_BENCHALIAS=bench-passphrase on_server_cpu "$bin" -config "$cfg" \
        >"$WORK/$1.log" 2>&1 &
    PIDS+=($!)
    wait_port "$3" $! "$WORK/$1.log"
}

start_server() { # name bin port backend db_url signer_port -> sets SERVER_PID
    local cfg="$WORK/$1.json"
    cat >"$cfg" <<EOF
{"server": {"http_addr": "127.0.0.1:$3", "tls_cert_file": "$PKI/notary-server.crt",
  "tls_key_file": "$PKI/notary-server.key"},
 "trust_service": {"type": "remote", "hostname": "127.0.0.1", "port": "$6",
  "tls_ca_file": "$CA", "key_algorithm": "ecdsa",
  "tls_client_cert": "$PKI/notary-server.crt", "tls_client_key": "$PKI/notary-server.key"},
 "storage": {"backend": "$4", "db_url": "$5"},
 "logging": {"level": "error"}}
EOF
    on_server_cpu "$2" -config "$cfg" >"$WORK/$1.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=($!)
    wait_port "$3" $! "$WORK/$1.log"
}

# ---------------------------------------------------------------------------------------------
log "== starting our notary-server ($OURS_STORAGE) + our notary-signer (PostgreSQL)"
new_db "${TAG}_ours_signer"
OURS_SIGNER_PORT=$(free_port)
start_signer ours-signer rust "$OURS_SIGNER_PORT" "$PG/${TAG}_ours_signer?sslmode=disable"
OURS_PORT=$(free_port)
if [ "$OURS_STORAGE" = sqlite ]; then
    start_server ours "$BIN/notary-server" "$OURS_PORT" sqlite3 "$WORK/ours.db" "$OURS_SIGNER_PORT"
else
    new_db "${TAG}_ours"
    start_server ours "$BIN/notary-server" "$OURS_PORT" postgres \
        "$PG/${TAG}_ours?sslmode=disable" "$OURS_SIGNER_PORT"
fi
OURS_PID=$SERVER_PID
OURS_URL="https://127.0.0.1:$OURS_PORT"
GUN=$(bench --url "$OURS_URL" --ca "$CA" --publishers 1 --phases none | awk '/^repository:/ {print $2}')
TS_PATH="/v2/$GUN/_trust/tuf/timestamp.json"

log "== starting nginx serving the same timestamp.json"
mkdir -p "$WORK/www$(dirname "$TS_PATH")" "$WORK/nginx-tmp"
curl -sf --cacert "$CA" "$OURS_URL$TS_PATH" -o "$WORK/www$TS_PATH"
NGINX_PORT=$(free_port)
cat >"$WORK/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 4096; }
http {
    access_log off;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 100000000;
    client_body_temp_path $WORK/nginx-tmp/body;
    proxy_temp_path $WORK/nginx-tmp/proxy;
    fastcgi_temp_path $WORK/nginx-tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx-tmp/uwsgi;
    scgi_temp_path $WORK/nginx-tmp/scgi;
    default_type "text/plain; charset=utf-8";
    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        ssl_certificate $PKI/notary-server.crt;
        ssl_certificate_key $PKI/notary-server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        root $WORK/www;
        etag on;
        add_header Cache-Control "public, max-age=300, s-maxage=300, must-revalidate";
    }
}
EOF
on_server_cpu nginx -p "$WORK" -e "$WORK/nginx-error.log" -c "$WORK/nginx.conf" \
    >"$WORK/nginx.log" 2>&1 &
NGINX_PID=$!
PIDS+=($!)
wait_port "$NGINX_PORT" $NGINX_PID "$WORK/nginx-error.log"
cmp <(curl -sf --cacert "$CA" "https://127.0.0.1:$NGINX_PORT$TS_PATH") "$WORK/www$TS_PATH"

declare -A URLS PIDOF
URLS[nginx]="https://127.0.0.1:$NGINX_PORT$TS_PATH"
PIDOF[nginx]=$NGINX_PID
URLS[ours]="$OURS_URL$TS_PATH"
PIDOF[ours]=$OURS_PID
TARGETS="nginx ours"

if [ -n "$BASELINE_BIN" ]; then
    log "== starting the baseline notary-server + notary-signer from $BASELINE_BIN (PostgreSQL)"
    new_db "${TAG}_base_signer"
    BASE_SIGNER_PORT=$(free_port)
    start_signer base-signer base "$BASE_SIGNER_PORT" "$PG/${TAG}_base_signer?sslmode=disable"
    new_db "${TAG}_base"
    BASE_PORT=$(free_port)
    start_server base "$BASELINE_BIN/notary-server" "$BASE_PORT" postgres \
        "$PG/${TAG}_base?sslmode=disable" "$BASE_SIGNER_PORT"
    BASE_URL="https://127.0.0.1:$BASE_PORT"
    BASE_GUN=$(bench --url "$BASE_URL" --ca "$CA" --publishers 1 --phases none | awk '/^repository:/ {print $2}')
    URLS[base]="$BASE_URL/v2/$BASE_GUN/_trust/tuf/timestamp.json"
    PIDOF[base]=$SERVER_PID
    TARGETS="$TARGETS base"
fi

if [ "$GO" = 1 ]; then
    log "== starting Go notary-server + Go notary-signer (PostgreSQL)"
    new_db "${TAG}_go_signer" "$ROOT/migrations/signer/postgresql"
    GO_SIGNER_PORT=$(free_port)
    start_signer go-signer go "$GO_SIGNER_PORT" "$PG/${TAG}_go_signer?sslmode=disable"
    new_db "${TAG}_go" "$ROOT/migrations/server/postgresql"
    GO_PORT=$(free_port)
    start_server go /usr/bin/notary-server "$GO_PORT" postgres \
        "$PG/${TAG}_go?sslmode=disable" "$GO_SIGNER_PORT"
    GO_PID=$SERVER_PID
    GO_URL="https://127.0.0.1:$GO_PORT"
    GO_GUN=$(bench --url "$GO_URL" --ca "$CA" --publishers 1 --phases none | awk '/^repository:/ {print $2}')
    URLS[go]="$GO_URL/v2/$GO_GUN/_trust/tuf/timestamp.json"
    PIDOF[go]=$GO_PID
    TARGETS="$TARGETS go"
fi

# ---------------------------------------------------------------------------------------------
echo "machine: $(nproc) cores, $(uname -r); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "GET current timestamp.json ($(stat -c %s "$WORK/www$TS_PATH") bytes), $CONNS keep-alive TLS connections, ${DURATION}s per run, PIN=$PIN"
# cpu% = server CPU time / wall time (100 = one core); us/req = server CPU microseconds per
# request (independent of how the 2 cores were shared with wrk and anything else running).
printf '%-6s %-8s %-6s %10s %9s %9s %6s %7s %10s %10s\n' round target wrk-t req/s p50 p99 cpu% us/req rss_KiB peak_KiB
for round in $(seq 1 "$ROUNDS"); do
    for t in $WRK_THREADS; do
        for target in $TARGETS; do
            pid=${PIDOF[$target]}
            ticks0=$(awk '{print $14+$15}' "/proc/$pid/stat")
            for c in $(pgrep -P "$pid" || true); do ticks0=$((ticks0 + $(awk '{print $14+$15}' "/proc/$c/stat"))); done
            out=$(on_client_cpu wrk -t"$t" -c"$CONNS" -d"${DURATION}s" --latency "${URLS[$target]}")
            ticks1=$(awk '{print $14+$15}' "/proc/$pid/stat")
            for c in $(pgrep -P "$pid" || true); do ticks1=$((ticks1 + $(awk '{print $14+$15}' "/proc/$c/stat"))); done
            cpu=$(( (ticks1 - ticks0) * 100 / $(getconf CLK_TCK) / DURATION ))
            if grep -q 'Non-2xx' <<<"$out"; then log "$target answered non-2xx:"; log "$out"; exit 1; fi
            rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
            p50=$(awk '$1=="50%" {print $2}' <<<"$out")
            p99=$(awk '$1=="99%" {print $2}' <<<"$out")
            usreq=$(awk -v t=$((ticks1 - ticks0)) -v hz="$(getconf CLK_TCK)" -v r="$rps" -v d="$DURATION" \
                'BEGIN { printf "%.1f", t / hz * 1e6 / (r * d) }')
            read -r r peak < <(rss "$pid")
            printf '%-6s %-8s %-6s %10s %9s %9s %6s %7s %10s %10s\n' "$round" "$target" "$t" "$rps" "$p50" "$p99" "$cpu" "$usreq" "$r" "$peak"
        done
    done
done

if [ "$PUBLISH" = 1 ]; then
    echo "publishes: $PUBLISHERS clients, ${DURATION}s, each publish = one new targets.json; server signs snapshot+timestamp"
    for target in ours base go; do
        [ "$target" = go ] && [ "$GO" != 1 ] && continue
        [ "$target" = base ] && [ -z "$BASELINE_BIN" ] && continue
        url=$OURS_URL
        [ "$target" = go ] && url=$GO_URL
        [ "$target" = base ] && url=$BASE_URL
        line=$(bench --url "$url" --ca "$CA" --publishers "$PUBLISHERS" --seconds "$DURATION" --phases publish | grep '^publish:')
        read -r r peak < <(rss "${PIDOF[$target]}")
        echo "$target: $line; server rss ${r} KiB, peak ${peak} KiB"
    done
fi
