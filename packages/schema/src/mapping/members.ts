import type { LoroDoc } from "loro-crdt"
import { type MemberId, newId } from "../ids.js"
import { Member } from "../Member.js"
import { createEntityMap, entityMap, writeFields } from "./entityMap.js"
import { validateWrite } from "./InvalidWrite.js"
import { collectionMap } from "./layout.js"

export interface MemberInput {
  readonly id?: string
  readonly name: string
  readonly color: string
}

/** Creates the member, or updates name and color of an existing one. */
export const upsertMember = (doc: LoroDoc, input: MemberInput): Member => {
  const id = input.id ?? newId<MemberId>()
  const member = validateWrite(Member, "members", id, { id, name: input.name, color: input.color })
  const exists = collectionMap(doc, "members").get(id) !== undefined
  const map = exists ? entityMap(doc, "members", id) : createEntityMap(doc, "members", id)
  writeFields(map, { name: member.name, color: member.color })
  return member
}

export const deleteMember = (doc: LoroDoc, id: string): void => {
  entityMap(doc, "members", id)
  collectionMap(doc, "members").delete(id)
}
