import pg from "pg"

/** As the SqlClient pool's (db/Database.ts): pg otherwise waits forever for a connection Postgres never completes. */
const CONNECT_TIMEOUT_MS = 10_000

/**
 * The byte store's own Postgres session for its commits, which run one at a time (the
 * committer in ByteStore.ts). Through the SqlClient pool each commit also checked a connection
 * out and in, went through Effect's statement pipeline and was parsed and planned again: on an
 * idle server that was 0.8 ms of the 2.5 ms the append took, against 1.7 ms for the query itself
 * (`bench/ack-latency.ts`). Here the statement is prepared once per session.
 *
 * A failed query ends the session (the next commit opens a new one): after a Postgres restart
 * or a broken connection nothing is reused, and a statement error costs a reconnect at most.
 */
export class CommitConnection {
  private client: Promise<pg.Client> | undefined
  private closed = false

  constructor(private readonly url: string) {}

  /**
   * Runs the named statement, failing after `timeoutMs`. A timed-out query may still commit:
   * its session is abandoned, and the caller treats the outcome as unknown.
   */
  async query<R extends pg.QueryResultRow>(
    name: string,
    text: string,
    values: ReadonlyArray<unknown>,
    timeoutMs: number,
  ): Promise<Array<R>> {
    const session = this.session()
    const client = await session
    return new Promise<Array<R>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.drop(session)
        reject(new Error(`commit did not answer within ${timeoutMs} ms`))
      }, timeoutMs)
      client.query<R>({ name, text, values: values as Array<unknown> }, (err, res) => {
        clearTimeout(timer)
        if (err) {
          this.drop(session)
          reject(err)
        } else resolve(res.rows)
      })
    })
  }

  /** Refuses further queries and ends the session, not waiting for a peer that may never answer. */
  close(): void {
    this.closed = true
    const session = this.client
    if (session !== undefined) this.drop(session)
  }

  private session(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error("the byte store is closed"))
    if (this.client !== undefined) return this.client
    const c = new pg.Client({
      connectionString: this.url,
      application_name: "vibestack-commit",
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    })
    const session = c.connect().then(() => c)
    this.client = session
    // A session that fails between commits (Postgres restarted) is replaced at the next one.
    c.on("error", () => this.drop(session))
    c.on("end", () => this.drop(session))
    session.catch(() => this.drop(session))
    return session
  }

  private drop(session: Promise<pg.Client>): void {
    if (this.client !== session) return
    this.client = undefined
    // Ending a session that already failed may fail as well, or never finish (a half-open
    // socket): not waited for, and its error says nothing the query's did not.
    session.then((c) => c.end()).catch(() => {})
  }
}
