import { HeadlessClient } from "@vibestack/headless"
import { createProject, createTask, type WorkspaceId } from "@vibestack/schema"
import { PROJECT } from "./workload.js"

/**
 * One VibeStack writer of `bench/peers.ts`: a `HeadlessClient` (the sync engine the web app's
 * worker runs, memory store) that creates tasks with the schema's write helpers, at the end of
 * the project (the web app's "add at the end"), and resolves once the server's durable
 * acknowledgement is stored. Runs in a writer thread (`engineWriterThread.ts`) for the ramp, or
 * in the bench's own thread for the fan-out (`soloWriter` in `systems.ts`).
 */
export class EngineWriter {
  /** The writer's last task: the next goes after it. */
  private last: string | null = null

  private constructor(readonly client: HeadlessClient) {}

  static async open(url: string, doc: string, token: string, dir: string): Promise<EngineWriter> {
    return new EngineWriter(await HeadlessClient.open(url, doc as WorkspaceId, token, { dir, store: "memory" }))
  }

  get peer(): string {
    return this.client.doc.peerIdStr
  }

  async edit(keys: ReadonlyArray<string>): Promise<void> {
    const entry = await this.client.edit((d) => {
      if (d.getMap("projects").get(PROJECT) === undefined)
        createProject(d, { id: PROJECT, name: "Bench", color: "#4f7cff" })
      for (const key of keys)
        this.last = createTask(d, {
          id: key,
          projectId: PROJECT,
          title: `task ${key}`,
          position: { after: this.last, before: null },
        }).id
    })
    await this.client.acked(entry.id)
  }

  close(): Promise<void> {
    return this.client.close()
  }
}
