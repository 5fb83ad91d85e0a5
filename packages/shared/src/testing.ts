/**
 * `@vibestack/shared/testing`: the shared test kit, for tests and harnesses of any package
 * (never production code). In-memory server, transport and store; the `LocalStore` contract
 * suite every store runs (as automerge-repo exports its adapter suite); the seeded multi-peer
 * fuzz with its invariants; fixtures.
 */
export { runLocalStoreContract } from "./sync/LocalStore.contract.js"
export { MemoryLocalStore } from "./sync/MemoryLocalStore.js"
export { MemoryServer } from "./sync/MemoryServer.js"
export { MemoryTransport } from "./sync/MemoryTransport.js"
export {
  type FuzzBackend,
  type FuzzFault,
  type FuzzLink,
  type FuzzOptions,
  type FuzzWorld,
  runFuzz,
  seededRandom,
  settle,
} from "./sync/test/fuzz.js"
export { checkInvariants } from "./sync/test/invariants.js"
export { notesFixture, notesText } from "./sync/test/notesFixture.js"
export { Peer, type PeerOptions } from "./sync/test/Peer.js"
export { stateJson } from "./sync/test/stateJson.js"
export { updateChain } from "./sync/test/updateChain.js"
