import { describe, expect, it } from "vitest"
import { defaultHealthConfig as cfg } from "./HealthConfig.js"
import { type Check, judge, type Observed, worst } from "./judge.js"

const now = 1_000_000
const healthy: Observed = {
  database: { ok: true },
  listen: { up: true, since: now - 60_000 },
  projection: { lag: 3, lagSeconds: 1, failingDocs: 0, at: now },
  feed: { status: "streaming", lagBytes: 1024, lagSeconds: 0, retainedBytes: 4096, walStatus: "reserved" },
  pushQueueHigh: 2,
  recycles: [],
}
const check = (o: Partial<Observed>, name: Check["name"]) =>
  judge({ ...healthy, ...o }, cfg, now).find((c) => c.name === name)!

describe("readiness judge", () => {
  it("[O1] all ok when every figure is within its threshold", () => {
    const checks = judge(healthy, cfg, now)
    expect(checks.map((c) => c.name)).toEqual(["database", "listen", "projection", "feed", "pool"])
    expect(worst(checks)).toBe("ok")
  })

  it("[O1] no database or no LISTEN is unavailable (503), with the cause", () => {
    const db = check({ database: { ok: false, error: "connect ECONNREFUSED 127.0.0.1:5432" } }, "database")
    expect(db).toMatchObject({ status: "unavailable", reason: expect.stringContaining("ECONNREFUSED") })
    const listen = check({ listen: { up: false, since: now - 7_000 } }, "listen")
    expect(listen).toMatchObject({ status: "unavailable", reason: expect.stringContaining("down for 7 s") })
    expect(worst(judge({ ...healthy, listen: { up: false, since: now } }, cfg, now))).toBe("unavailable")
  })

  it("[O1] projection lag past its thresholds (updates or seconds) is degraded", () => {
    expect(
      check({ projection: { lag: cfg.projectionLag + 1, lagSeconds: 0, failingDocs: 0, at: now } }, "projection")
        .status,
    ).toBe("degraded")
    const slow = check({ projection: { lag: 1, lagSeconds: 95, failingDocs: 2, at: now } }, "projection")
    expect(slow).toMatchObject({
      status: "degraded",
      reason: expect.stringMatching(/oldest 95 s.*2 document\(s\) failing/),
    })
    expect(check({ projection: undefined }, "projection").status).toBe("ok")
  })

  it("[O1] a stalled or absent feed consumer, slot lag, retained WAL and feed lag are degraded", () => {
    const feed = healthy.feed!
    expect(check({ feed: { ...feed, status: "down" } }, "feed").reason).toContain("no WAL consumer")
    expect(check({ feed: { ...feed, status: "stalled" } }, "feed").status).toBe("degraded")
    expect(check({ feed: { ...feed, lagBytes: cfg.slotLagBytes + 1 } }, "feed").reason).toContain("slot lag")
    expect(check({ feed: { ...feed, retainedBytes: cfg.walRetainedBytes + 1 } }, "feed").reason).toContain(
      "WAL retained",
    )
    expect(check({ feed: { ...feed, walStatus: "unreserved" } }, "feed").status).toBe("degraded")
    expect(check({ feed: { ...feed, lagSeconds: cfg.feedLagSeconds + 1 } }, "feed").reason).toContain("feed lag")
    expect(check({ feed: { ...feed, status: "standby" } }, "feed").status).toBe("ok")
  })

  it("[O1] a saturated or repeatedly recycling pool is degraded, naming the last recycle", () => {
    expect(check({ pushQueueHigh: cfg.pushQueue }, "pool").reason).toContain("saturated")
    const recycle = {
      at: now,
      pool: "push" as const,
      cause: "timeout" as const,
      reason: "a Load call ran past its budget",
      docs: ["w1/main"],
    }
    const recycles = Array.from({ length: cfg.poolRecycles }, () => recycle)
    expect(check({ recycles }, "pool")).toMatchObject({
      status: "degraded",
      reason: expect.stringContaining("on w1/main"),
    })
    expect(check({ recycles: recycles.slice(1) }, "pool").status).toBe("ok")
  })
})
