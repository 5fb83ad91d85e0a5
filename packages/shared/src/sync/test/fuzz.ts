import type { DocId, WorkspaceId } from "@vibestack/schema"
import type { SeqBlob } from "../../protocol/updatesBody.js"
import { nextRandom } from "../backoff.js"
import { ManualClock } from "../Clock.js"
import type { Transport } from "../Transport.js"
import { Peer } from "./Peer.js"

/** A fault a backend can inject into one peer's next request. */
export type FuzzFault = "failBeforeCommit" | "dropAfterCommit" | "garbageBody" | "garbageBlob" | "closeSocket"

/** What the fuzz needs from a server: the in-memory one now, the real one through a proxy later. */
export interface FuzzBackend {
  readonly workspaceId: WorkspaceId
  readonly docId: DocId
  readonly token: string
  readonly connect: (peer: number, random: () => number) => FuzzLink
  /** The committed log in seq order. */
  readonly log: () => Promise<ReadonlyArray<SeqBlob>>
  /** One round of letting IO happen; a real network needs real time (default: one macrotask). */
  readonly pause?: () => Promise<void>
}

export interface FuzzLink {
  readonly transport: Transport
  readonly setOnline: (online: boolean) => void
  readonly inject: (fault: FuzzFault) => void
}

export const seededRandom = (seed: number): (() => number) => {
  let s = seed
  return () => {
    const r = nextRandom(s)
    s = r.seed
    return r.value
  }
}

const FAULTS: ReadonlyArray<FuzzFault> = [
  "failBeforeCommit",
  "dropAfterCommit",
  "garbageBody",
  "garbageBlob",
  "closeSocket",
]

export interface FuzzOptions {
  readonly seed: number
  readonly peers: number
  readonly steps: number
  readonly backend: FuzzBackend
  /**
   * Some edits write `tasks.bad`, which a backend refusing it (a server rule) refuses: the
   * refusal path (set aside, rebase, C14) runs among the faults.
   */
  readonly refusals?: boolean
}

export interface FuzzWorld {
  readonly peers: ReadonlyArray<Peer>
  readonly clock: ManualClock
  readonly links: ReadonlyArray<FuzzLink>
  readonly started: ReadonlyArray<boolean>
}

/** Lets IO settle: real macrotask turns (bounded), moving the manual clock so backoff timers fire. */
export const settle = async (
  clock: ManualClock,
  rounds: number,
  stepMs: number,
  pause: () => Promise<void> = () => new Promise((r) => setTimeout(r, 0)),
): Promise<void> => {
  for (let i = 0; i < rounds; i++) {
    await pause()
    clock.advance(stepMs)
  }
}

/**
 * Runs `steps` random actions over `peers` clients: edits to a few maps and texts,
 * network flaps, restarts from the persisted store, injected faults, and time passing.
 * The last peer joins halfway through, as a new device. Returns the world, healed and quiesced.
 */
export const runFuzz = async (o: FuzzOptions): Promise<FuzzWorld> => {
  const random = seededRandom(o.seed)
  const clock = new ManualClock()
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(random() * xs.length)]!
  const links = Array.from({ length: o.peers }, (_, i) => o.backend.connect(i, seededRandom(o.seed * 31 + i)))
  const peers = links.map(
    (link, i) =>
      new Peer({
        name: `s${o.seed}p${i}`,
        transport: link.transport,
        workspaceId: o.backend.workspaceId,
        docId: o.backend.docId,
        token: o.backend.token,
        clock,
        random: seededRandom(o.seed * 17 + i),
      }),
  )
  const started = peers.map(() => false)
  const online = peers.map(() => true)
  const startPeer = async (i: number) => {
    await peers[i]!.start()
    started[i] = true
  }
  for (let i = 0; i < o.peers - 1; i++) await startPeer(i)

  for (let step = 0; step < o.steps; step++) {
    if (step === Math.floor(o.steps / 2)) await startPeer(o.peers - 1)
    const i = pick(peers.map((_, k) => k).filter((k) => started[k]))
    const peer = peers[i]!
    const roll = random()
    if (roll < 0.55) {
      const n = Math.floor(random() * 1000)
      const kind = o.refusals && random() < 0.08 ? "bad" : pick(["map", "text", "del", "list"] as const)
      await peer.edit((d) => {
        if (kind === "bad") d.getMap("tasks").set("bad", n)
        else if (kind === "map") d.getMap(pick(["tasks", "projects"])).set(`k${n % 5}`, n)
        else if (kind === "text") d.getText("notes").insert(Math.min(d.getText("notes").length, n % 7), `${i}`)
        else if (kind === "del" && d.getText("notes").length > 0) d.getText("notes").delete(0, 1)
        else d.getList("log").push(n)
      })
    } else if (roll < 0.65) {
      online[i] = !online[i]
      links[i]!.setOnline(online[i]!)
      peer.engine.setOnline(online[i]!)
    } else if (roll < 0.7) {
      await peer.restart()
      peer.engine.setOnline(online[i]!)
    } else if (roll < 0.82) {
      links[i]!.inject(pick(FAULTS))
    } else {
      await settle(clock, 1 + Math.floor(random() * 4), Math.floor(random() * 3000), o.backend.pause)
    }
  }

  // Heal and quiesce: everyone online, then let timers and IO run until every engine is idle.
  for (let i = 0; i < o.peers; i++) {
    links[i]!.setOnline(true)
    if (!started[i]) await startPeer(i)
    peers[i]!.engine.setOnline(true)
  }
  for (let round = 0; round < 400; round++) {
    await settle(clock, 1, 30_000, o.backend.pause)
    const head = (await o.backend.log()).length
    if (peers.every((p) => isQuiet(p, head))) break
  }
  return { peers, clock, links, started }
}

const isQuiet = (p: Peer, head: number): boolean => {
  const s = p.engine.getStatus()
  return s.state === "live" && s.pending === 0 && p.engine.cursor === head
}
