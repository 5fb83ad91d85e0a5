export const HomePage = () => (
  <main className="page">
    <h1>Workspaces</h1>
  </main>
)
