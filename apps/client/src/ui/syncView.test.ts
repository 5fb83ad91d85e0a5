import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { SETTLE_MS, type StatusReportView, type SyncInputs, syncView, viewWhileEditing } from "./syncView.js"

const NOW = 1_700_000_000_000

const live: StatusReportView = {
  state: "live",
  online: true,
  pending: 0,
  lastSyncedAt: NOW - 2_000,
  error: undefined,
}

const base: SyncInputs = {
  registered: true,
  fatal: undefined,
  report: live,
  outbox: 0,
  rejected: 0,
  oldestPendingAt: undefined,
  unsaved: 0,
  network: true,
  workerFailed: false,
  saveFailed: false,
  now: NOW,
}

const view = (patch: Partial<SyncInputs>) => syncView({ ...base, ...patch })

describe("[U2] syncView: one source of truth for the status bar", () => {
  it("[U2] each state has its own words", () => {
    const cases: Array<[Partial<SyncInputs>, string, string]> = [
      [{}, "upToDate", "Up to date"],
      [{ report: undefined }, "starting", "Starting sync…"],
      [
        { report: { ...live, state: "catchingUp", error: { kind: "Unavailable", message: "x" } } },
        "catchingUp",
        "Catching up…",
      ],
      [{ report: { ...live, state: "idle" } }, "starting", "Starting sync…"],
      [{ report: { ...live, state: "connecting" } }, "connecting", "Connecting…"],
      [{ report: { ...live, state: "catchingUp" } }, "catchingUp", "Catching up…"],
      [{ outbox: 3 }, "uploading", "Uploading changes…"],
      [{ network: false }, "offline", "Offline"],
      [{ network: false, report: undefined }, "offline", "Offline"],
      [{ report: { ...live, state: "offline", online: false } }, "unreachable", "Can't reach the server"],
      [
        { report: { ...live, state: "connecting", error: { kind: "Unavailable", message: "x" } } },
        "unreachable",
        "Can't reach the server",
      ],
      [{ registered: false, report: undefined }, "unregistered", "Not on the server yet"],
      [{ fatal: { kind: "Unauthorized", message: "token revoked" } }, "revoked", "Access revoked"],
      [{ fatal: { kind: "Unauthorized", message: "token expired" } }, "expired", "Link expired"],
      [{ fatal: { kind: "Unauthorized", message: "unknown token" } }, "badLink", "Link not accepted"],
      [{ fatal: { kind: "Forbidden", message: "viewers cannot push" } }, "viewOnly", "View-only link"],
      [{ fatal: { kind: "Forbidden", message: "this token is not valid" } }, "noAccess", "No access"],
      [{ fatal: { kind: "NotFound", message: "workspace not found" } }, "gone", "Workspace not on the server"],
      [{ fatal: { kind: "ClientTooOld", message: "protocol 3+ required" } }, "appTooOld", "App out of date"],
      [{ report: { ...live, state: "stopped" } }, "stopped", "Sync stopped"],
      [{ workerFailed: true }, "workerFailed", "Sync not running"],
      [{ saveFailed: true }, "notSaved", "Not saved on this device"],
    ]
    for (const [patch, state, headline] of cases) {
      const v = view(patch)
      expect([v.state, v.headline]).toEqual([state, headline])
    }
  })

  it("[U2] the server's own words never reach the screen", () => {
    const v = view({ fatal: { kind: "Unauthorized", message: "invalid token: bad signature xyz" } })
    expect(`${v.headline} ${v.detail}`).not.toContain("xyz")
    const u = view({ report: { ...live, state: "offline", error: { kind: "Internal", message: "TypeError: boom" } } })
    expect(`${u.headline} ${u.detail}`).not.toContain("boom")
    const r = view({
      registered: false,
      report: { ...live, state: "unregistered", error: { kind: "Unavailable", message: "503" } },
    })
    expect(r.detail).toContain("can't reach the server")
  })

  it("[U2] pending counts every source; the oldest change's age is shown", () => {
    expect(view({}).pendingText).toBe("All changes uploaded")
    expect(view({ unsaved: 1 }).pendingText).toBe("1 change waiting to upload")
    const v = view({ outbox: 2, report: { ...live, pending: 121, oldestPendingAt: NOW - 120_000 } })
    expect(v.pendingText).toBe("121 changes waiting to upload · oldest 2 min ago")
    expect(view({ outbox: 1, oldestPendingAt: NOW - 30_000 }).pendingText).toBe(
      "1 change waiting to upload · oldest 30 s ago",
    )
    expect(view({ rejected: 2 }).refusedText).toBe("2 changes not uploaded")
    expect(view({ report: { ...live, rejected: 1 } }).refusedText).toBe("1 change not uploaded")
    expect(view({ report: undefined }).lastSyncedText).toBeUndefined()
    expect(view({}).lastSyncedText).toBe("Last synced just now")
  })

  it("[U2] never 'Up to date' while anything is pending (any inputs)", () => {
    const report = fc.option(
      fc.record({
        state: fc.constantFrom("idle", "connecting", "catchingUp", "live", "offline", "stopped", "unregistered"),
        online: fc.boolean(),
        pending: fc.nat(5),
        lastSyncedAt: fc.option(fc.integer({ min: NOW - 1e7, max: NOW }), { nil: undefined }),
        error: fc.option(fc.record({ kind: fc.constantFrom("Unavailable", "Internal"), message: fc.string() }), {
          nil: undefined,
        }),
      }),
      { nil: undefined },
    )
    fc.assert(
      fc.property(
        report,
        fc.option(fc.nat(5), { nil: undefined }),
        fc.nat(3),
        fc.boolean(),
        fc.boolean(),
        fc.nat(2),
        (r, outbox, unsaved, network, registered, storedSinceCount) => {
          const v = view({ report: r, outbox, unsaved, network, registered, storedSinceCount })
          // At least IndexedDB's last count with what this tab stored since, at least the
          // leader's count, plus what is not in IndexedDB yet.
          const pending = Math.max((outbox ?? 0) + storedSinceCount, r?.pending ?? 0) + unsaved
          expect(v.pending).toBe(pending)
          if (pending > 0) {
            expect(v.headline).not.toBe("Up to date")
            expect(v.pendingText).toMatch(/waiting to upload/)
          } else expect(v.pendingText).toBe("All changes uploaded")
          if (!network) expect(v.tone).not.toBe("ok")
        },
      ),
    )
  })
})

describe("viewWhileEditing (the bar settles while edits come in quick succession)", () => {
  const waiting = view({ outbox: 1 })
  const upToDate = view({ outbox: 0 })
  it("[U2] keeps saying changes wait between keystrokes, and settles once the edits pause", () => {
    expect(waiting.pending).toBe(1)
    expect(upToDate.headline).toBe("Up to date")
    expect(viewWhileEditing(waiting, upToDate, 40)).toBe(waiting)
    expect(viewWhileEditing(waiting, view({ outbox: 2 }), 40)).toBe(waiting)
    expect(viewWhileEditing(waiting, upToDate, SETTLE_MS)).toBe(upToDate)
  })
  it("[U2] shows a refusal or a stop at once, and never holds 'Up to date' over waiting changes", () => {
    expect(viewWhileEditing(waiting, view({ outbox: 1, rejected: 1 }), 40).refused).toBe(1)
    expect(viewWhileEditing(waiting, view({ outbox: 1, network: false }), 40).state).not.toBe(waiting.state)
    fc.assert(
      fc.property(fc.nat(3), fc.nat(3), fc.nat(600), (shownOutbox, nextOutbox, since) => {
        const next = view({ outbox: nextOutbox })
        const shownView = viewWhileEditing(view({ outbox: shownOutbox }), next, since)
        if (next.pending > 0) expect(shownView.pending).toBeGreaterThan(0)
        if (since >= SETTLE_MS) expect(shownView).toBe(next)
      }),
    )
  })
})
