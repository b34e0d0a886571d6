# Source this (bash) to put the project's tools on PATH: .tools/bin (the zig
# wrapper, or cargo-zigbuild when built with cargo) and .venv/bin (cfn-lint,
# moto_server, python with jsonschema, cargo-zigbuild). scripts/setup
# installs them.
FERRY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
for _ferry_dir in "$FERRY_ROOT/.venv/bin" "$FERRY_ROOT/.tools/bin"; do
  case ":$PATH:" in
    *":$_ferry_dir:"*) ;;
    *) PATH="$_ferry_dir:$PATH" ;;
  esac
done
unset _ferry_dir
export PATH FERRY_ROOT
