import { useParams } from "@tanstack/react-router"

export const BoardPage = () => {
  const { workspaceId } = useParams({ from: "/w/$workspaceId" })
  return (
    <main className="page">
      <h1>Board {workspaceId}</h1>
    </main>
  )
}
