import { HttpTransport, type Transport } from "@vibestack/shared"

/** The worker's transport: the same-origin server (the server serves this app). */
export const makeTransport = (baseUrl: string): Transport => new HttpTransport({ baseUrl })
