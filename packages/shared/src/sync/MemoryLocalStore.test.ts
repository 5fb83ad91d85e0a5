import { runLocalStoreContract } from "./LocalStore.contract.js"
import { MemoryLocalStore } from "./MemoryLocalStore.js"

runLocalStoreContract("memory", () => new MemoryLocalStore())
