import { Schema } from "effect"

/**
 * Loads Effect's modules in a step of their own (`main.ts` evaluates the page's code in
 * steps): with our schemas on top they were one task of 60 ms on a first visit.
 */
export const effectLoaded: unknown = Schema.String
