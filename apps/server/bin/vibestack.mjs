#!/usr/bin/env node
// The `vibestack` CLI. Sources are TypeScript run through tsx (also in the pool's worker threads).
import { register } from "tsx/esm/api"

register()
await import("../src/bin.ts")
