import { Avatar } from "../board/TaskCard.js"
import type { Peer } from "./PresenceChannel.js"

/** The top bar's "who else is here": one badge per person, viewers marked as watching. */
export const HereNow = ({ people }: { readonly people: ReadonlyArray<Peer> }) => {
  if (people.length === 0) return null
  return (
    <ul className="here-now" aria-label="Here now">
      {people.map((p) => (
        <li key={p.memberId ?? p.key}>
          <Avatar
            member={{ id: (p.memberId ?? p.key) as never, name: p.name, color: p.color }}
            label={`${p.name}${p.role === "viewer" ? " (watching)" : ""} is here`}
          />
        </li>
      ))}
    </ul>
  )
}

/** In the task panel: who else has this task open, and who is typing in its description. */
export const OthersHere = ({
  viewers,
}: {
  readonly viewers:
    | ReadonlyArray<{ readonly key: string; readonly member: { readonly name: string }; readonly typing: boolean }>
    | undefined
}) => {
  if (viewers === undefined || viewers.length === 0) return null
  const typing = viewers.filter((v) => v.typing).map((v) => v.member.name)
  const open = viewers.filter((v) => !v.typing).map((v) => v.member.name)
  return (
    <p className="others-here" role="status" data-testid="others-here">
      {typing.length > 0 && `${typing.join(", ")} ${typing.length === 1 ? "is" : "are"} typing in the description. `}
      {open.length > 0 && `${open.join(", ")} ${open.length === 1 ? "has" : "have"} this task open.`}
    </p>
  )
}
