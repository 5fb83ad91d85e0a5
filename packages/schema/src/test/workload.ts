import fc from "fast-check"
import type { LoroDoc } from "loro-crdt"
import { addComment, deleteComment } from "../mapping/comments.js"
import { InvalidWrite } from "../mapping/InvalidWrite.js"
import { deleteMember, upsertMember } from "../mapping/members.js"
import { createProject, deleteProject, updateProject } from "../mapping/projects.js"
import { readWorkspace } from "../mapping/read.js"
import { createTask, deleteTask, moveTask, setTaskDescription, taskDescription, updateTask } from "../mapping/tasks.js"
import { seededRandom } from "../seed.js"

/**
 * Random user actions on several devices, through the schema's write helpers only: what an
 * honest client can send. `pick` values choose among the entities a device currently sees.
 */
export type Action =
  | {
      readonly _tag: "Edit"
      readonly peer: number
      readonly kind: number
      readonly pick: number
      readonly text: string
    }
  | {
      readonly _tag: "Type"
      readonly peer: number
      readonly pick: number
      readonly at: number
      readonly del: number
      readonly text: string
    }
  | { readonly _tag: "Sync"; readonly from: number; readonly to: number }
  | { readonly _tag: "Push"; readonly peer: number }

export const actionArb = (peers: number): fc.Arbitrary<Action> => {
  const peer = fc.nat(peers - 1)
  const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("🦜", "é🦜x", "line\nbreak", ""))
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({ _tag: fc.constant("Edit" as const), peer, kind: fc.nat(13), pick: fc.nat(), text }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        _tag: fc.constant("Type" as const),
        peer,
        pick: fc.nat(),
        at: fc.nat(),
        del: fc.integer({ min: -3, max: 3 }),
        text,
      }),
    },
    { weight: 2, arbitrary: fc.record({ _tag: fc.constant("Sync" as const), from: peer, to: peer }) },
    { weight: 2, arbitrary: fc.record({ _tag: fc.constant("Push" as const), peer }) },
  )
}

const COLORS = ["#e11d48", "#3b82f6", "#22c55e"]
const STATUSES = ["todo", "in_progress", "in_review", "done", "canceled"] as const

/** Applies one `Edit` or `Type` action; a helper refusing (InvalidWrite) is a no-op, as in the app. */
export const applyEdit = (doc: LoroDoc, a: Extract<Action, { _tag: "Edit" | "Type" }>): void => {
  const view = readWorkspace(doc)
  const pick = <A>(xs: ReadonlyArray<A>): A | undefined => (xs.length === 0 ? undefined : xs[a.pick % xs.length])
  const project = pick(view.projects)
  const task = pick(view.tasks)
  const random = seededRandom(a.pick)
  const title = a.text.trim() === "" ? "untitled" : a.text.replace(/[\n\r]/g, " ")
  try {
    if (a._tag === "Type") {
      if (task === undefined) return
      const text = taskDescription(doc, task.id)
      const chars = [...text.toString()]
      let at = a.at % (chars.length + 1)
      const offset = (i: number) => chars.slice(0, i).join("").length
      // Backspace-like deletes, one character at a time backwards, as an editor sends them.
      for (let i = 0; i < -a.del && at > 0; i++, at--) text.delete(offset(at - 1), chars[at - 1]!.length)
      for (let i = 0; i < a.del && at + i < chars.length; i++) text.delete(offset(at), chars[at + i]!.length)
      if (a.del === 0 && a.text !== "") text.insert(offset(at), a.text)
    } else
      switch (a.kind) {
        case 0:
          createProject(doc, { name: title, color: COLORS[a.pick % 3]! })
          break
        case 1:
        case 2:
          if (project !== undefined)
            createTask(doc, { projectId: project.id, title, description: a.kind === 2 ? a.text : "" }, { random })
          break
        case 3:
          if (task !== undefined)
            updateTask(doc, task.id, {
              title,
              status: STATUSES[a.pick % 5]!,
              dueDate: a.pick % 2 ? "2025-02-28" : null,
            })
          break
        case 4:
          if (task !== undefined)
            moveTask(doc, task.id, { after: null, before: pick(view.tasks)?.id ?? null }, { random })
          break
        case 5:
          if (task !== undefined) setTaskDescription(doc, task.id, a.text)
          break
        case 6:
          if (task !== undefined) deleteTask(doc, task.id)
          break
        case 7:
          if (project !== undefined) deleteProject(doc, project.id)
          break
        case 8:
          if (project !== undefined) updateProject(doc, project.id, { name: title, archived: a.pick % 2 === 0 })
          break
        case 9:
          upsertMember(doc, { id: `m${a.pick % 4}`, name: title, color: COLORS[a.pick % 3]! })
          break
        case 10:
          if (view.members.length > 0) deleteMember(doc, pick(view.members)!.id)
          break
        case 11:
          if (task !== undefined && view.members.length > 0)
            addComment(doc, { taskId: task.id, authorId: pick(view.members)!.id, body: title })
          break
        case 12:
          if (view.comments.length > 0) deleteComment(doc, pick(view.comments)!.id)
          break
        default:
          if (task !== undefined && view.members.length > 0)
            updateTask(doc, task.id, { assigneeId: pick(view.members)!.id, priority: "high" })
      }
  } catch (e) {
    if (!(e instanceof InvalidWrite)) throw e
  }
  doc.commit()
}
