import type { LoroDoc } from "loro-crdt"
import type { CommentId, MemberId, ProjectId, TaskId } from "./ids.js"
import { addComment } from "./mapping/comments.js"
import { upsertMember } from "./mapping/members.js"
import { createProject } from "./mapping/projects.js"
import { createTask } from "./mapping/tasks.js"
import type { TaskPriority, TaskStatus } from "./Task.js"

/** mulberry32: small, fast, seeded; good enough for fixtures (not for ids that must be secret). */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const VERBS = ["Fix", "Add", "Refactor", "Document", "Test", "Design", "Review", "Ship", "Remove", "Migrate", "Profile"]
const THINGS = [
  "login flow",
  "sync worker",
  "task list",
  "settings page",
  "billing export",
  "search index",
  "onboarding",
  "API client",
  "offline mode",
  "dark theme",
  "comment editor",
  "share links",
]
const DETAILS = [
  "on mobile",
  "for large workspaces",
  "after reconnect",
  "in Safari",
  "behind a flag",
  "for viewers",
  "",
  "",
  "",
]
const PROJECTS = ["Website", "Mobile app", "Platform", "Design system", "Growth", "Infrastructure", "Support", "Docs"]
const PEOPLE = [
  "Ada",
  "Grace",
  "Linus",
  "Margaret",
  "Ken",
  "Barbara",
  "Dennis",
  "Frances",
  "Alan",
  "Radia",
  "Tim",
  "Joan",
]
const COMMENTS = [
  "Looks good to me.",
  "Can we split this up?",
  "Blocked on the API change.",
  "I can take this one.",
  "Done on my side, please review.",
  "Reproduced it locally.",
  "Let's discuss in standup.",
]
const COLORS = ["#e11d48", "#f97316", "#eab308", "#22c55e", "#06b6d4", "#3b82f6", "#8b5cf6", "#ec4899"]
const STATUSES: ReadonlyArray<TaskStatus> = [
  "todo",
  "todo",
  "todo",
  "in_progress",
  "in_progress",
  "in_review",
  "done",
  "done",
  "done",
  "canceled",
]
const PRIORITIES: ReadonlyArray<TaskPriority> = ["none", "none", "low", "medium", "medium", "high", "urgent"]

export interface SeedOptions {
  readonly projects: number
  readonly tasks: number
  /** Default: one per ten tasks. */
  readonly comments?: number
  /** Default: 8. */
  readonly members?: number
  readonly seed: number
  /** Base timestamp (epoch ms); default 2025-01-01. Everything is deterministic given seed and now. */
  readonly now?: number
  /** Writes per commit; default 2,000. */
  readonly chunk?: number
  /**
   * Write one part of a larger workspace: only tasks (numbered from `offset`) and their
   * comments, in these existing projects and by these members (a large workspace is seeded
   * in parts, each in a small document, because Loro writes get slower as a document grows).
   */
  readonly part?: {
    readonly offset: number
    readonly projectIds: ReadonlyArray<ProjectId>
    readonly memberIds: ReadonlyArray<MemberId>
  }
}

export interface SeedResult {
  readonly projectIds: ReadonlyArray<ProjectId>
  readonly taskIds: ReadonlyArray<TaskId>
  readonly commentIds: ReadonlyArray<CommentId>
  readonly memberIds: ReadonlyArray<MemberId>
}

const DAY = 86_400_000

/** Fills `doc` with realistic, valid, deterministic data through the typed write helpers. */
export const seedWorkspace = (doc: LoroDoc, options: SeedOptions): SeedResult => {
  const part = options.part
  const random = seededRandom(part === undefined ? options.seed : options.seed + part.offset)
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(random() * xs.length)]!
  const id = (prefix: string, i: number) => `${prefix}${options.seed.toString(36)}_${i.toString(36)}`
  const base = options.now ?? Date.UTC(2025, 0, 1)
  const chunk = options.chunk ?? 2000
  let pending = 0
  const wrote = () => {
    if (++pending >= chunk) {
      doc.commit({ message: "seed" })
      pending = 0
    }
  }

  const memberIds: Array<MemberId> = [...(part?.memberIds ?? [])]
  for (let i = 0; i < (part === undefined ? (options.members ?? 8) : 0); i++) {
    const name = PEOPLE[i % PEOPLE.length]! + (i >= PEOPLE.length ? ` ${Math.floor(i / PEOPLE.length) + 1}` : "")
    memberIds.push(upsertMember(doc, { id: id("m", i), name, color: pick(COLORS) }).id)
    wrote()
  }
  const projectIds: Array<ProjectId> = [...(part?.projectIds ?? [])]
  for (let i = 0; i < (part === undefined ? options.projects : 0); i++) {
    const name =
      PROJECTS[i % PROJECTS.length]! + (i >= PROJECTS.length ? ` ${Math.floor(i / PROJECTS.length) + 1}` : "")
    projectIds.push(createProject(doc, { id: id("p", i), name, color: pick(COLORS) }, { now: base + i * 1000 }).id)
    wrote()
  }
  const taskIds: Array<TaskId> = []
  const lastInProject = new Map<string, string>()
  const firstTask = part?.offset ?? 0
  for (let i = firstTask; i < firstTask + options.tasks && projectIds.length > 0; i++) {
    const projectId = pick(projectIds)
    const detail = pick(DETAILS)
    const now = base + DAY + i * 60_000
    const due =
      random() < 0.4 ? new Date(now + Math.floor(random() * 60 - 10) * DAY).toISOString().slice(0, 10) : undefined
    const assignee = random() < 0.7 && memberIds.length > 0 ? pick(memberIds) : undefined
    const task = createTask(
      doc,
      {
        id: id("t", i),
        projectId,
        title: `${pick(VERBS)} ${pick(THINGS)}${detail ? ` ${detail}` : ""}`,
        description: random() < 0.3 ? `Steps:\n1. Open the ${pick(THINGS)}\n2. ${pick(COMMENTS)}` : "",
        status: pick(STATUSES),
        priority: pick(PRIORITIES),
        ...(assignee !== undefined ? { assigneeId: assignee } : {}),
        ...(due !== undefined ? { dueDate: due } : {}),
        position: { after: lastInProject.get(projectId) ?? null, before: null },
      },
      { now, random },
    )
    lastInProject.set(projectId, task.id)
    taskIds.push(task.id)
    wrote()
  }
  const commentIds: Array<CommentId> = []
  const comments = options.comments ?? Math.floor(options.tasks / 10)
  const firstComment = Math.floor(firstTask / 10)
  for (let i = firstComment; i < firstComment + comments && taskIds.length > 0 && memberIds.length > 0; i++) {
    const comment = addComment(
      doc,
      { id: id("c", i), taskId: pick(taskIds), authorId: pick(memberIds), body: pick(COMMENTS) },
      { now: base + 2 * DAY + i * 30_000 },
    )
    commentIds.push(comment.id)
    wrote()
  }
  doc.commit({ message: "seed" })
  return { projectIds, taskIds, commentIds, memberIds }
}
