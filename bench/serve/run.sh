#!/usr/bin/env bash
# Serving benchmark (issue 5): a topic feed from `feedloom serve` against
# nginx serving the same bytes as a static file, under wrk, in one run; and
# against bench/serve/gostatic, the least a Go net/http server can do with
# the same bytes (what Go's HTTP server costs by itself). feedloom is
# measured twice, on each server.engine: net/http (the default) and
# fasthttp, from copies of the same polled store.
#
#   bench/serve/run.sh [TOPIC_PATH]     (default topics/everything.atom)
#
# Needs wrk, nginx and curl (Debian packages) and Go. Loopback only.
# Environment: DURATION (default 10s), ROUNDS (default 2), CONNS (50),
# THREADS (2), KEEP=1 to keep the run directory.
#
# It copies the README's demo (examples/demo) into a temporary directory,
# polls it once, serves it on a free port, fetches the topic feed, writes
# those bytes under an unprivileged nginx on another free port, then runs
# `wrk -t2 -c50 -d10s --latency` against each server, for 200s and for
# 304s (If-None-Match with each server's own ETag), alternating feedloom
# (net/http), feedloom (fasthttp), nginx and gostatic, ROUNDS times. It
# prints requests/s and the ratios of each to nginx. It also reads each
# server's CPU time (user+system, from /proc, nginx's workers included)
# around each wrk run and prints requests per CPU-second: on a shared,
# loaded machine, requests/s mostly says how much CPU a server got, while
# requests per CPU-second says what a request costs it.
set -euo pipefail
cd "$(dirname "$0")/../.."

topic=${1:-topics/everything.atom}
duration=${DURATION:-10s}
rounds=${ROUNDS:-2}
conns=${CONNS:-50}
threads=${THREADS:-2}

for tool in wrk nginx curl go; do
  command -v "$tool" >/dev/null || { echo "serve bench: $tool not found (apt-get install -y wrk nginx curl)" >&2; exit 1; }
done

RUN=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${KEEP:-}" = 1 ]; then echo "kept $RUN" >&2; else rm -rf "$RUN"; fi
}
trap cleanup EXIT

freeport() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# feedloom on the demo.
go build -o "$RUN/feedloom" ./cmd/feedloom
go build -o "$RUN/gostatic" ./bench/serve/gostatic
cp -r examples/demo "$RUN/demo"
rm -f "$RUN/demo/feedloom.db"
fport=$(freeport)
sed -i -e "s|^listen:.*|listen: 127.0.0.1:$fport|" -e "s|^base_url:.*|base_url: http://127.0.0.1:$fport/|" "$RUN/demo/feedloom.yaml"
"$RUN/feedloom" poll -config "$RUN/demo/feedloom.yaml" >"$RUN/poll.log" 2>&1
# The same config and a copy of the store on the fasthttp engine, on
# another port. The config stays in the same directory: the demo's
# file: sources are resolved against it, and another directory would make
# other sources of them.
xport=$(freeport)
cp "$RUN/demo/feedloom.db" "$RUN/demo/fast.db"
sed -e "s|^listen:.*|listen: 127.0.0.1:$xport|" -e "s|^store:.*|store: fast.db|" "$RUN/demo/feedloom.yaml" >"$RUN/demo/fast.yaml"
printf '\nserver:\n  engine: fasthttp\n' >>"$RUN/demo/fast.yaml"
"$RUN/feedloom" serve -config "$RUN/demo/fast.yaml" >"$RUN/servefast.log" 2>&1 &
pids+=($!)
xpid=$!
X=http://127.0.0.1:$xport/$topic
"$RUN/feedloom" serve -config "$RUN/demo/feedloom.yaml" >"$RUN/serve.log" 2>&1 &
pids+=($!)
fpid=$!
F=http://127.0.0.1:$fport/$topic
for _ in $(seq 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$fport/healthz" && break
  sleep 0.1
done
for _ in $(seq 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$xport/healthz" && break
  sleep 0.1
done
curl -sf -D "$RUN/f.headers" -o "$RUN/feed" "$F"
curl -sf -D "$RUN/x.headers" -o "$RUN/xfeed" "$X"
cmp -s "$RUN/feed" "$RUN/xfeed" || { echo "serve bench: the two engines serve other bytes" >&2; exit 1; }

# nginx with the same bytes, as a static file.
nport=$(freeport)
mkdir -p "$RUN/www/$(dirname "$topic")" "$RUN/logs"
cp "$RUN/feed" "$RUN/www/$topic"
# Run as root, nginx's workers drop to an unprivileged user: they must be
# able to read the file.
chmod 755 "$RUN"
chmod -R a+rX "$RUN/www"
cat >"$RUN/nginx.conf" <<EOF
worker_processes auto;
pid $RUN/nginx.pid;
error_log $RUN/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $RUN/tmp_body;
  proxy_temp_path $RUN/tmp_proxy;
  fastcgi_temp_path $RUN/tmp_fastcgi;
  uwsgi_temp_path $RUN/tmp_uwsgi;
  scgi_temp_path $RUN/tmp_scgi;
  types { application/atom+xml atom; application/rss+xml rss; application/feed+json json; }
  server {
    listen 127.0.0.1:$nport;
    root $RUN/www;
  }
}
EOF
nginx -p "$RUN" -c "$RUN/nginx.conf" -g 'daemon off;' &
pids+=($!)
npid=$!
N=http://127.0.0.1:$nport/$topic
for _ in $(seq 100); do
  curl -sf -o /dev/null "$N" && break
  sleep 0.1
done
curl -sf -D "$RUN/n.headers" -o "$RUN/nfeed" "$N"
cmp -s "$RUN/feed" "$RUN/nfeed" || { echo "serve bench: nginx serves other bytes" >&2; exit 1; }

# gostatic with the same bytes and feedloom's ETag.
gport=$(freeport)
"$RUN/gostatic" -listen "127.0.0.1:$gport" -file "$RUN/feed" -etag "$(grep -i '^etag:' "$RUN/f.headers" | head -1 | cut -d' ' -f2- | tr -d '\r')" \
  -type "$(grep -i '^content-type:' "$RUN/f.headers" | head -1 | cut -d' ' -f2- | tr -d '\r')" &
pids+=($!)
gpid=$!
G=http://127.0.0.1:$gport/$topic
for _ in $(seq 100); do
  curl -sf -o /dev/null "$G" && break
  sleep 0.1
done

etag() { grep -i '^etag:' "$1" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
fetag=$(etag "$RUN/f.headers")
netag=$(etag "$RUN/n.headers")
for pair in "$F|$fetag" "$X|$fetag" "$N|$netag" "$G|$fetag"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: ${pair#*|}" "${pair%%|*}")
  [ "$code" = 304 ] || { echo "serve bench: ${pair%%|*} answered $code to its own ETag ${pair#*|}" >&2; exit 1; }
done

echo "topic feed: /$topic, $(wc -c <"$RUN/feed") bytes; feedloom ETag $fetag, nginx ETag $netag"
echo "wrk -t$threads -c$conns -d$duration --latency; $(nproc) CPUs; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# cputicks PID: user+system clock ticks of PID and its child processes
# (nginx's workers).
cputicks() {
  local t=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}

# rps PID URL [HEADER]: runs wrk against URL, prints requests/s, p50/p99
# latency and requests per CPU-second of the server PID.
rps() {
  local out pid=$1 before after
  shift
  before=$(cputicks "$pid")
  if [ $# -gt 1 ]; then
    out=$(wrk -t"$threads" -c"$conns" -d"$duration" --latency -H "$2" "$1")
  else
    out=$(wrk -t"$threads" -c"$conns" -d"$duration" --latency "$1")
  fi
  after=$(cputicks "$pid")
  if grep -q 'Non-2xx or 3xx' <<<"$out"; then
    echo "serve bench: errors from $1:" >&2
    echo "$out" >&2
    exit 1
  fi
  local r p50 p99 n
  r=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  echo "$r $p50 $p99 $(awk -v n="$n" -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.0f", (t > 0 ? n * hz / t : 0) }')"
}

printf '| round | status | feedloom net/http req/s | feedloom fasthttp req/s | nginx req/s | gostatic req/s | net/http/nginx | fasthttp/nginx | gostatic/nginx | req per CPU-s net/http, fasthttp, nginx, gostatic | per CPU-s fasthttp/nginx | p50 / p99 net/http, fasthttp, nginx, gostatic |\n'
printf '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n'
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
for round in $(seq "$rounds"); do
  for status in 200 304; do
    if [ "$status" = 200 ]; then
      read -r fr fp50 fp99 fc < <(rps "$fpid" "$F")
      read -r xr xp50 xp99 xc < <(rps "$xpid" "$X")
      read -r nr np50 np99 nc < <(rps "$npid" "$N")
      read -r gr gp50 gp99 gc < <(rps "$gpid" "$G")
    else
      read -r fr fp50 fp99 fc < <(rps "$fpid" "$F" "If-None-Match: $fetag")
      read -r xr xp50 xp99 xc < <(rps "$xpid" "$X" "If-None-Match: $fetag")
      read -r nr np50 np99 nc < <(rps "$npid" "$N" "If-None-Match: $netag")
      read -r gr gp50 gp99 gc < <(rps "$gpid" "$G" "If-None-Match: $fetag")
    fi
    printf '| %s | %s | %.0f | %.0f | %.0f | %.0f | %s | **%s** | %s | %s, %s, %s, %s | **%s** | %s / %s, %s / %s, %s / %s, %s / %s |\n' "$round" "$status" "$fr" "$xr" "$nr" "$gr" \
      "$(ratio "$fr" "$nr")" "$(ratio "$xr" "$nr")" "$(ratio "$gr" "$nr")" "$fc" "$xc" "$nc" "$gc" "$(ratio "$xc" "$nc")" \
      "$fp50" "$fp99" "$xp50" "$xp99" "$np50" "$np99" "$gp50" "$gp99"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
