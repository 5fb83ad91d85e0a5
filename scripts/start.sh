#!/usr/bin/env bash
# `npm start`: installs what is missing, builds the web app, and runs VibeStack
# (server + web app on one origin; embedded Postgres in ./.vibestack unless DATABASE_URL is set).
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
bash scripts/ensure.sh
npx turbo run build --filter=@vibestack/client --output-logs=errors-only
exec node apps/server/bin/vibestack.mjs serve
