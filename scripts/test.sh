#!/usr/bin/env bash
# `npm test`: installs what is missing, runs every suite once, and ends with one line
# `N passed, N failed` summing all of them. Exits non-zero on any failure.
#   --faults  also the full fault tier (*.faults.test.ts)
set -uo pipefail
export TURBO_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."

bash scripts/ensure.sh --browser --pgtools --faketime || { echo "0 passed, 1 failed"; exit 1; }

for arg in "$@"; do
  case "$arg" in
    --faults) export VIBESTACK_FAULTS=1 ;;
  esac
done

mkdir -p .tmp
report=.tmp/vitest-report.json
rm -f "$report"
rm -rf .tmp/browser-failures

# Typecheck and lint count as suites of their own: a red tree is a failed test.
checks_passed=0
checks_failed=0
if npx turbo run typecheck --output-logs=errors-only; then checks_passed=$((checks_passed + 1)); else checks_failed=$((checks_failed + 1)); echo "typecheck failed"; fi
if npx biome check . >/dev/null 2>&1; then checks_passed=$((checks_passed + 1)); else checks_failed=$((checks_failed + 1)); npx biome check . 2>&1 | tail -40; echo "lint failed"; fi

npx vitest run --reporter=default --reporter=json --outputFile.json="$report"
status=$?

node -e '
const fs = require("fs")
const [report, cp, cf, status] = process.argv.slice(1)
let passed = Number(cp), failed = Number(cf), skipped = 0
if (fs.existsSync(report)) {
  const r = JSON.parse(fs.readFileSync(report, "utf8"))
  passed += r.numPassedTests
  failed += r.numFailedTests
  skipped += r.numPendingTests + r.numTodoTests
  // A file that failed to load has no tests but must still count as a failure, and so does
  // one whose hooks failed while its tests passed (teardown, an unhandled error).
  const fileLevel = r.testResults.filter(
    (f) => f.status === "failed" && !f.assertionResults.some((t) => t.status === "failed"),
  )
  failed += fileLevel.length
  // The tail of this output is often all that is kept: name every failure once more, briefly.
  const firstLine = (m) => String(m ?? "").split("\n").find((l) => l.trim() !== "")?.slice(0, 200) ?? ""
  const rel = (name) => name.replace(process.cwd() + "/", "")
  for (const f of fileLevel) console.log(`FAILED FILE ${rel(f.name)}: ${firstLine(f.message)}`)
  for (const f of r.testResults)
    for (const t of f.assertionResults.filter((t) => t.status === "failed"))
      console.log(`FAILED ${rel(f.name)} > ${t.title}: ${firstLine(t.failureMessages?.[0])}`)
  // What the pages showed when a browser test failed (apps/client/test/pagesOnFailure.ts),
  // including attempts that a retry then passed: those are named as flaky, never hidden.
  const shots = ".tmp/browser-failures"
  if (fs.existsSync(shots))
    for (const f of fs.readdirSync(shots))
      console.log(fs.readFileSync(`${shots}/${f}`, "utf8").split("\n").slice(0, 16).map((l) => l.slice(0, 400)).join("\n"))
} else failed += 1
if (Number(status) !== 0 && failed === 0) failed = 1
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""))
process.exit(failed === 0 ? 0 : 1)
' "$report" "$checks_passed" "$checks_failed" "$status"
