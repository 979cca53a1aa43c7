#!/usr/bin/env bash
# skiff's memory over time on compare.sh's job (../shared/bench: synth.plugin,
# DIMS dimensions every second, Graphite averages every 10 s to a loopback
# sink), alone: RSS, anonymous RSS, malloc's [heap] and CPU ticks every
# STEP seconds for DUR seconds. Run from the checkout:
#
#   DUR=4200 bash scripts/rss_trend.sh > rss.log
#
# MAIN names what runs (default main.ts): `deno task bundle`, then
# `MAIN=dist/skiff.js DUR=80 STEP=80 bash scripts/rss_trend.sh` measures the
# bundle `deno task install` installs at compare.sh's moment (80 s), run with
# `--no-config` as the installed shim runs it (main.ts takes this checkout's
# deno.json, as compare.sh runs it).
#
# netdata's own hour is `DUR=3600 ../shared/bench/netdata-side.sh`.
set -eu
DIMS=${DIMS:-10000}; DUR=${DUR:-4200}; STEP=${STEP:-60}; MAIN=${MAIN:-main.ts}
BENCH=${BENCH:-$(cd "$(dirname "$0")/../../shared/bench" && pwd)}
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/plugins" "$T/run"
cp "$BENCH/synth.plugin" "$T/plugins/"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
cat > "$T/skiff.conf" <<CONF
[global]
    hostname = perfhost
    update every = 1
    history = 3600
[directories]
    plugins = $T/plugins
    run = $T/run
[plugins]
    proc = no
    synth = yes
[plugin:synth]
    command options = $DIMS
[backend]
    enabled = yes
    type = graphite
    destination = 127.0.0.1:$port
    data source = average
    prefix = netdata
    update every = 10
CONF
python3 "$BENCH/sink.py" "$port" /dev/null &
DENO=${DENO:-$(command -v deno || echo "npx -y deno@2.9.6")}
NO_CONFIG=()
[ "$MAIN" = main.ts ] || NO_CONFIG=(--no-config)
$DENO run -A --quiet "${NO_CONFIG[@]}" "$MAIN" run --config "$T/skiff.conf" > "$T/out" 2> "$T/err" &
# the deno process itself (npx runs it as a child)
for _ in $(seq 50); do
  for p in $(pgrep -f "$MAIN run --config $T/skiff.conf" || true); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = deno ] && pid=$p
  done
  [ -n "${pid:-}" ] && break
  sleep 0.2
done
[ -n "${pid:-}" ] || { echo "skiff did not start"; cat "$T/err"; exit 1; }
a=$(awk '{print $14+$15}' "/proc/$pid/stat")
for ((t = STEP; t <= DUR; t += STEP)); do
  sleep "$STEP"
  rss=$(awk '/^VmRSS/{printf "%.1f", $2/1024}' "/proc/$pid/status")
  anon=$(awk '/^RssAnon/{printf "%.1f", $2/1024}' "/proc/$pid/status")
  file=$(awk '/^RssFile/{printf "%.1f", $2/1024}' "/proc/$pid/status")
  heap=$(awk '/\[heap\]/{h=1;next} /^[0-9a-f]+-/{h=0} h && /^Rss:/{printf "%.1f", $2/1024}' "/proc/$pid/smaps")
  echo "$t s: rss $rss anon $anon file $file heap ${heap:-0} MiB cpu_ticks $(( $(awk '{print $14+$15}' "/proc/$pid/stat") - a ))"
done
