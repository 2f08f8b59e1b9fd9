#!/usr/bin/env bash
# Builds Switchboard, starts it on a free loopback port with a fresh data dir (demo tenant on),
# waits for /healthz, runs test.js (the published @apigrate/autotask-restapi client against it)
# and stops the server on every exit. Needs only go, node and npm; run `npm ci` here first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [ ! -d "$here/node_modules/@apigrate/autotask-restapi" ]; then
  echo "compat: node_modules missing: run 'npm ci' in $here first" >&2
  exit 1
fi

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "compat: building switchboard"
(cd "$root" && go build -o "$tmp/switchboard" ./cmd/switchboard)

port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
url="http://127.0.0.1:$port"
mkdir -p "$tmp/data"
"$tmp/switchboard" serve --addr "127.0.0.1:$port" --data-dir "$tmp/data" --public-url "$url" \
  >"$tmp/server.log" 2>&1 &
server_pid=$!

ready=""
for _ in $(seq 1 120); do
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  if node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$url/healthz"; then
    ready=1
    break
  fi
  sleep 0.5
done
if [ -z "$ready" ]; then
  echo "compat: switchboard did not become healthy at $url/healthz; its log:" >&2
  cat "$tmp/server.log" >&2
  echo "compat: 0 passed, 1 failed"
  exit 1
fi
echo "compat: switchboard is up at $url (pid $server_pid)"

status=0
SWITCHBOARD_URL="$url" SWITCHBOARD_DATA_DIR="$tmp/data" node "$here/test.js" || status=$?
if [ "$status" -ne 0 ]; then
  echo "compat: switchboard log (last 40 lines):" >&2
  tail -n 40 "$tmp/server.log" >&2
fi
exit "$status"
