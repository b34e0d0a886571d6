#!/usr/bin/env bash
# A one-function code change deployed to a local moto server: `ferry deploy
# --hotswap --no-build` beside a plain `ferry deploy --no-build` of the same
# change, whole process, median of RUNS (default 10) each, interleaved.
#
# The app: one function (`api`) and one table. Each round writes a new
# stand-in zip for `api` (moto does not run code), then deploys it one way;
# the next round writes another zip and deploys it the other way, so that
# each deploy has exactly one changed function. The AWS calls of one hotswap
# are counted from moto's request log (one line per request).
#
# Needs: `./scripts/setup` (moto in .venv), a built ferry (cargo build
# --release). Run from the repository: benches/compare-hotswap.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
RUNS="${RUNS:-10}"
FERRY="${FERRY:-$PWD/target/release/ferry}"
[ -x "$FERRY" ] || cargo build --release --quiet
PORT="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
WORK="$(mktemp -d)"
LOG="$WORK/moto.log"
moto_server -H 127.0.0.1 -p "$PORT" > "$LOG" 2>&1 &
MOTO=$!
trap 'kill $MOTO 2>/dev/null; rm -rf "$WORK"' EXIT
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
ENDPOINT="http://localhost:$PORT"
until curl -s "$ENDPOINT/moto-api/" > /dev/null; do sleep 0.2; done
curl -s -X POST "$ENDPOINT/moto-api/config" -d '{"lambda": {"use_docker": false}}' > /dev/null

cd "$WORK"
cat > ferry.yaml <<'EOF'
app: bench
tables:
  items: { partition_key: id, deletion_protection: false }
functions:
  api:
    environment: { TABLE: "${tables.items.name}" }
    access: { tables: { items: read_write } }
EOF
# A stand-in zip for `api` (seeded) and its record in .ferry/build.
zip_for() {
  mkdir -p .ferry/build
  python - "$1" <<'EOF'
import hashlib, io, json, sys, zipfile
b = io.BytesIO()
with zipfile.ZipFile(b, "w") as z:
    info = zipfile.ZipInfo("bootstrap", (1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o755 << 16
    z.writestr(info, "stand-in binary " + sys.argv[1])
data = b.getvalue()
open(".ferry/build/api.zip", "wb").write(data)
rec = {"functions": {"api": {"path": ".ferry/build/api.zip", "size": len(data),
       "sha256": hashlib.sha256(data).hexdigest(), "architecture": "arm64"}}, "layers": {}}
json.dump(rec, open(".ferry/build/artifacts.json", "w"))
EOF
}
ferry() { "$FERRY" --endpoint-url "$ENDPOINT" -q "$@"; }

zip_for 0
ferry deploy --no-build --yes > /dev/null
python -c "import boto3; boto3.client('lambda', endpoint_url='$ENDPOINT').create_alias(FunctionName='bench-dev-api', Name='live', FunctionVersion='\$LATEST')"

seconds() { local s; s=$(date +%s.%N); "$@" > /dev/null; echo "$(date +%s.%N) - $s" | bc; }
hot=(); plain=(); round=0
for i in $(seq "$RUNS"); do
  round=$((round + 1)); zip_for "$round"
  before=$(wc -l < "$LOG")
  hot+=("$(seconds ferry deploy --no-build --hotswap --yes)")
  calls=$(tail -n +"$((before + 1))" "$LOG" | grep -c '"POST\|"GET\|"PUT\|"HEAD' || true)
  round=$((round + 1)); zip_for "$round"
  plain+=("$(seconds ferry deploy --no-build --yes)")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "runs: $RUNS"
echo "deploy --hotswap --no-build: median $(median "${hot[@]}") s"
echo "deploy --no-build (change set): median $(median "${plain[@]}") s"
echo "requests of the last hotswap deploy (all services, moto's log): $calls"
