export const JoinPage = () => (
  <main className="page">
    <p>Joining…</p>
  </main>
)
