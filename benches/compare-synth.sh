#!/usr/bin/env bash
# Side-by-side timing of template synthesis: ferry vs the AWS SAM transform
# (aws-sam-translator) vs `serverless package` (Serverless Framework v3).
#
# The app, for N functions: each function fN has
#   - an HTTP route POST /fN (one shared HTTP API, CORS origins "*"),
#   - an SQS trigger on its own queue qN (visibility timeout 60 s),
#   - a 10 s timeout and env TABLE = the name of its own table tN,
#   - write access to its own DynamoDB table tN (on-demand, partition key `id`).
# ferry.yaml is generated exactly like `ferry::fixtures::app(n)`
# (src/fixtures.rs), which the criterion bench benches/synth.rs also uses.
#
# What is timed: the wall time of one process that reads the input and writes
# CloudFormation, i.e.
#   ferry       `ferry synth -f ferry.yaml -o DIR`          (median of RUNS)
#   SAM         `python sam_transform.py template.yaml out.json`: PyYAML load +
#               samtranslator transform + JSON dump; the same work `sam build`
#               / `sam validate` / the AWS::Serverless transform do, without
#               the SAM CLI around it (median of PEER_RUNS)
#   Serverless  `serverless package` with a prebuilt artifact zip, so no code
#               is zipped by any tool (median of PEER_RUNS)
# Wall time is reported with the CPU time (user + sys, children included) and
# the peak RSS: on a shared machine the CPU time moves less than the wall time.
# No tool builds or uploads code, and none talks to AWS: every run happens in
# a fresh network namespace with no network at all (`unshare -n`, root only;
# without it the runs still use fake credentials and SAM's managed-policy map
# is stubbed, so nothing is called, but that is then not enforced).
#
# Tools are installed by this script, pinned, under target/compare:
#   target/compare/venv   python venv: aws-sam-translator, PyYAML
#   target/compare/sls    npm prefix:  serverless@3
# A second run reuses them (a stamp file records the pins).
#
# Usage (from anywhere):
#   benches/compare-synth.sh
# Environment knobs:
#   SIZES       ferry sizes              (default "10 100 500 1000")
#   PEER_SIZES  SAM/Serverless sizes     (default "10 100 500"; add 1000 if
#               you have a few minutes: the SAM transform grows quadratically)
#   RUNS        ferry runs per size, median reported (default 3)
#   PEER_RUNS   SAM/Serverless runs per size (default 1)
#   PEER_TIMEOUT seconds before a SAM/Serverless run is abandoned (default 600)
#   FERRY       a ferry binary to use instead of building target/release/ferry
#   OUT         where the markdown table is written
#               (default target/compare/results.md)
# Needs: bash, cargo, python3 (venv), node + npm, /usr/bin/time (for peak RSS).
set -euo pipefail

SAM_TRANSLATOR_VERSION=1.115.0
PYYAML_VERSION=6.0.3
SERVERLESS_VERSION=3.40.0

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$ROOT/target/compare"
SIZES="${SIZES:-10 100 500 1000}"
PEER_SIZES="${PEER_SIZES:-10 100 500}"
RUNS="${RUNS:-3}"
PEER_RUNS="${PEER_RUNS:-1}"
PEER_TIMEOUT="${PEER_TIMEOUT:-600}"
OUT="${OUT:-$WORK/results.md}"
mkdir -p "$WORK"

log() { printf 'compare-synth: %s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------

VENV="$WORK/venv"
SLS_PREFIX="$WORK/sls"
STAMP="$WORK/.pins"
PINS="sam=$SAM_TRANSLATOR_VERSION pyyaml=$PYYAML_VERSION serverless=$SERVERLESS_VERSION"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$PINS" ]; then
  log "installing $PINS into $WORK"
  rm -rf "$VENV" "$SLS_PREFIX"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "aws-sam-translator==$SAM_TRANSLATOR_VERSION" "PyYAML==$PYYAML_VERSION"
  mkdir -p "$SLS_PREFIX"
  npm install --prefix "$SLS_PREFIX" --no-audit --no-fund --loglevel=error \
    "serverless@$SERVERLESS_VERSION" >&2
  printf '%s' "$PINS" > "$STAMP"
fi
SLS="$SLS_PREFIX/node_modules/.bin/serverless"

if [ -z "${FERRY:-}" ]; then
  log "cargo build --release"
  (cd "$ROOT" && cargo build --release --quiet)
  FERRY="$ROOT/target/release/ferry"
fi

# Offline, fake credentials, no telemetry, no update checks.
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export SLS_TELEMETRY_DISABLED=1 SLS_TRACKING_DISABLED=1 SLS_NOTIFICATIONS_MODE=off
export SLS_DEPRECATION_DISABLE='*' SLS_INTERACTIVE_SETUP_DISABLE=1 CI=1
unset AWS_PROFILE AWS_SESSION_TOKEN 2>/dev/null || true
NETNS=()
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
  NETNS=(unshare -n)
  OFFLINE="enforced: every run in its own empty network namespace (unshare -n)"
else
  log "warning: cannot unshare the network namespace; runs are offline by configuration only"
  OFFLINE="by configuration only (fake credentials, no telemetry); not enforced"
fi

# --- the SAM transform, offline --------------------------------------------

cat > "$WORK/sam_transform.py" <<'PY'
"""Run the AWS::Serverless-2016-10-31 transform offline: template.yaml -> JSON.

The ManagedPolicyLoader would list AWS managed policies through IAM; it is
only consulted for policy *names* in `Policies`, which this app does not use,
so an empty map stands in for it and no AWS call is made.
"""
import json
import sys
import time

import yaml
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform


class OfflineManagedPolicies(ManagedPolicyLoader):
    def __init__(self):
        super().__init__(iam_client=None)

    def load(self):
        return {}


src, dst = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
with open(src) as f:
    template = yaml.safe_load(f)
t1 = time.perf_counter()
out = transform(template, {}, OfflineManagedPolicies())
t2 = time.perf_counter()
with open(dst, "w") as f:
    json.dump(out, f, indent=1)
print(f"parse={t1 - t0:.3f}s transform={t2 - t1:.3f}s", file=sys.stderr)
PY

# --- the three equivalent inputs --------------------------------------------

# Mirrors ferry::fixtures::app(n) byte for byte.
gen_ferry() {
  local n=$1 i
  printf 'app: bench\nhttp:\n  cors: { origins: ["*"] }\ntables:\n'
  for ((i = 0; i < n; i++)); do printf '  t%d: { partition_key: id }\n' "$i"; done
  printf 'queues:\n'
  for ((i = 0; i < n; i++)); do printf '  q%d: { visibility_timeout: 60s }\n' "$i"; done
  printf 'functions:\n'
  for ((i = 0; i < n; i++)); do
    printf '  f%d:\n    timeout: 10s\n    environment:\n      TABLE: ${tables.t%d.name}\n    access:\n      tables: { t%d: write }\n    triggers:\n      - http: POST /f%d\n      - queue: q%d\n' \
      "$i" "$i" "$i" "$i" "$i"
  done
}

# Tables and queues as in ferry's output (on-demand, SSE, 60 s visibility);
# the DynamoDBWritePolicy template scopes each role to its own table.
gen_sam() {
  local n=$1 i
  cat <<'YAML'
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: provided.al2023
    Handler: bootstrap
    CodeUri: s3://bench-artifacts/bench/bootstrap.zip
  HttpApi:
    CorsConfiguration:
      AllowOrigins: ["*"]
Resources:
YAML
  for ((i = 0; i < n; i++)); do
    cat <<YAML
  T${i}Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
      KeySchema: [{ AttributeName: id, KeyType: HASH }]
      SSESpecification: { SSEEnabled: true }
  Q${i}Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
      SqsManagedSseEnabled: true
  F${i}Function:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 10
      Environment:
        Variables:
          TABLE: { Ref: T${i}Table }
      Policies:
        - DynamoDBWritePolicy: { TableName: { Ref: T${i}Table } }
      Events:
        Http:
          Type: HttpApi
          Properties: { Path: /f${i}, Method: POST }
        Queue:
          Type: SQS
          Properties: { Queue: { "Fn::GetAtt": [Q${i}Queue, Arn] } }
YAML
  done
}

# Serverless v3 idiom: one shared execution role (provider.iam.role.statements)
# listing every table; serverless adds the SQS and log permissions itself.
# Per-function roles need a plugin (serverless-iam-roles-per-function), which
# is not used here.
gen_serverless() {
  local n=$1 i
  cat <<'YAML'
service: bench
frameworkVersion: "3"
provider:
  name: aws
  runtime: provided.al2023
  region: us-east-1
  stage: dev
  httpApi:
    cors:
      allowedOrigins: ["*"]
  iam:
    role:
      statements:
        - Effect: Allow
          Action: [dynamodb:PutItem, dynamodb:UpdateItem, dynamodb:DeleteItem, dynamodb:BatchWriteItem]
          Resource:
YAML
  for ((i = 0; i < n; i++)); do
    printf '            - { "Fn::GetAtt": [T%dTable, Arn] }\n' "$i"
  done
  cat <<'YAML'
package:
  artifact: bootstrap.zip
functions:
YAML
  for ((i = 0; i < n; i++)); do
    cat <<YAML
  f${i}:
    handler: bootstrap
    timeout: 10
    environment:
      TABLE: { Ref: T${i}Table }
    events:
      - httpApi: "POST /f${i}"
      - sqs: { arn: { "Fn::GetAtt": [Q${i}Queue, Arn] } }
YAML
  done
  printf 'resources:\n  Resources:\n'
  for ((i = 0; i < n; i++)); do
    cat <<YAML
    T${i}Table:
      Type: AWS::DynamoDB::Table
      Properties:
        BillingMode: PAY_PER_REQUEST
        AttributeDefinitions: [{ AttributeName: id, AttributeType: S }]
        KeySchema: [{ AttributeName: id, KeyType: HASH }]
        SSESpecification: { SSEEnabled: true }
    Q${i}Queue:
      Type: AWS::SQS::Queue
      Properties:
        VisibilityTimeout: 60
        SqsManagedSseEnabled: true
YAML
  done
}

# --- measuring --------------------------------------------------------------

# run_timed DIR CMD... : runs CMD in DIR (offline, see NETNS), prints
# "<wall s> <CPU s (user+sys)> <peak RSS MiB>", or "timeout" / "failed".
# The tool's output goes to DIR/log. `timeout --foreground` keeps the tool in
# this script's process group, so stopping the script stops the tool too.
run_timed() {
  local dir=$1 start end rc=0
  shift
  start=$(date +%s%N)
  (cd "$dir" && /usr/bin/time -f '%M %U %S' -o "$dir/.time" \
    timeout --foreground "$PEER_TIMEOUT" "${NETNS[@]}" "$@" >"$dir/log" 2>&1) || rc=$?
  end=$(date +%s%N)
  if [ "$rc" = 124 ]; then echo timeout; return; fi
  if [ "$rc" != 0 ]; then echo failed; return; fi
  tail -1 "$dir/.time" | awk -v s="$start" -v e="$end" \
    '{ printf "%.3f %.2f %.0f\n", (e - s) / 1e9, $2 + $3, $1 / 1024 }'
}

# median of "wall cpu rss" lines on stdin (by wall time); a failure wins.
median() {
  local lines ok='^[0-9.]+ [0-9.]+ [0-9]+$'
  lines=$(cat)
  if grep -qvE "$ok" <<<"$lines"; then grep -vE "$ok" <<<"$lines" | head -1; return; fi
  sort -n <<<"$lines" | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'
}

# count_resources FILE... : total resources, number of templates, largest
# template's count, as "total templates max".
count_resources() {
  "$VENV/bin/python" - "$@" <<'PY'
import json, sys
counts = [len(json.load(open(p)).get("Resources", {})) for p in sys.argv[1:]]
print(sum(counts), len(counts), max(counts))
PY
}

bytes_of() { cat "$@" | wc -c | awk '{ printf "%.0f", $1 / 1024 }'; }

# limit_note MAX NOTE: NOTE, plus a warning when one template is over
# CloudFormation's 500 resources (the stack would be rejected at deploy).
limit_note() {
  local note=$2
  if [ "$1" -gt 500 ]; then note="${note:+$note; }over the 500-resource limit"; fi
  printf '%s' "$note"
}

ROWS=()
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
row() { ROWS+=("$*"); log "$*"; }

for n in $SIZES; do
  d="$WORK/n$n"
  rm -rf "$d" && mkdir -p "$d/ferry" "$d/sam" "$d/serverless"

  # ferry
  gen_ferry "$n" > "$d/ferry/ferry.yaml"
  results=""
  for ((r = 0; r < RUNS; r++)); do
    rm -rf "$d/ferry/out"
    results+="$(run_timed "$d/ferry" "$FERRY" synth -f ferry.yaml -o out)"$'\n'
  done
  m=$(median <<<"${results%$'\n'}")
  if [[ "$m" =~ ^[0-9] ]]; then
    read -r wall cpu rss <<<"$m"
    read -r total tpls max <<<"$(count_resources "$d"/ferry/out/*.json)"
    note=""
    if [ "$tpls" -gt 1 ]; then note="root + $((tpls - 1)) nested stacks"; fi
    row "| $n | ferry | $wall | $cpu | $rss | $total | $tpls | $max | $(bytes_of "$d"/ferry/out/*.json) | $(limit_note "$max" "$note") |"
  else
    row "| $n | ferry | $m | | | | | | | |"
  fi

  [[ " $PEER_SIZES " == *" $n "* ]] || continue

  # SAM transform
  gen_sam "$n" > "$d/sam/template.yaml"
  results=""
  for ((r = 0; r < PEER_RUNS; r++)); do
    results+="$(run_timed "$d/sam" "$VENV/bin/python" "$WORK/sam_transform.py" template.yaml out.json)"$'\n'
  done
  m=$(median <<<"${results%$'\n'}")
  if [[ "$m" =~ ^[0-9] ]]; then
    read -r wall cpu rss <<<"$m"
    read -r total tpls max <<<"$(count_resources "$d/sam/out.json")"
    note="in-process: $(tail -1 "$d/sam/log" | sed 's/=/ /g')"
    row "| $n | SAM transform | $wall | $cpu | $rss | $total | $tpls | $max | $(bytes_of "$d/sam/out.json") | $(limit_note "$max" "$note") |"
  else
    row "| $n | SAM transform | $m | | | | | | | |"
  fi

  # serverless package
  gen_serverless "$n" > "$d/serverless/serverless.yml"
  "$VENV/bin/python" -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], "w"); z.writestr("bootstrap", "#!/bin/sh\n"); z.close()' \
    "$d/serverless/bootstrap.zip"
  results=""
  for ((r = 0; r < PEER_RUNS; r++)); do
    rm -rf "$d/serverless/.serverless"
    results+="$(run_timed "$d/serverless" "$SLS" package)"$'\n'
  done
  m=$(median <<<"${results%$'\n'}")
  f="$d/serverless/.serverless/cloudformation-template-update-stack.json"
  if [[ "$m" =~ ^[0-9] ]] && [ -f "$f" ]; then
    read -r wall cpu rss <<<"$m"
    read -r total tpls max <<<"$(count_resources "$f")"
    row "| $n | serverless package | $wall | $cpu | $rss | $total | $tpls | $max | $(bytes_of "$f") | $(limit_note "$max" "") |"
  else
    row "| $n | serverless package | $m | | | | | | | |"
  fi
done

# --- report -----------------------------------------------------------------

{
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -m), $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "ferry: $("$FERRY" --version 2>/dev/null || echo unknown) ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo "aws-sam-translator $SAM_TRANSLATOR_VERSION (PyYAML $PYYAML_VERSION, $("$VENV/bin/python" --version))"
  echo "serverless $("$SLS" --version 2>/dev/null | grep -m1 -o 'Framework Core: [0-9.]*' || echo "$SERVERLESS_VERSION") (node $(node --version))"
  echo "Network: $OFFLINE"
  echo "Load average when the run started: $LOAD0 (other work on the machine skews the figures)"
  echo "ferry: median of $RUNS runs; SAM/Serverless: median of $PEER_RUNS run(s)"
  echo
  echo "| N | tool | wall s | CPU s | peak RSS MiB | resources | templates | most resources in one template | output KiB | notes |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${ROWS[@]}"
} > "$OUT"
cat "$OUT"
log "inputs and outputs are under $WORK/n<N>/; table written to $OUT"
