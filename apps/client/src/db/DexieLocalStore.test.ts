import { IDBFactory, IDBKeyRange } from "fake-indexeddb"
// The shared contract suite is not exported from @vibestack/shared's index (it imports vitest);
// a relative path keeps it test-only until the package exports a test entry.
import { runLocalStoreContract } from "../../../../packages/shared/src/sync/LocalStore.contract.js"
import { DexieLocalStore } from "./DexieLocalStore.js"

let n = 0
const factories = new WeakMap<DexieLocalStore, { readonly name: string; readonly indexedDB: IDBFactory }>()

const make = (): DexieLocalStore => {
  const indexedDB = new IDBFactory()
  const name = `contract-${++n}`
  const store = new DexieLocalStore(name, { indexedDB, IDBKeyRange })
  factories.set(store, { name, indexedDB })
  return store
}

/** A restart: close the database and open a new store over the same IndexedDB data. */
const reopen = (store: DexieLocalStore): DexieLocalStore => {
  const f = factories.get(store)!
  store.close()
  const next = new DexieLocalStore(f.name, { indexedDB: f.indexedDB, IDBKeyRange })
  factories.set(next, f)
  return next
}

runLocalStoreContract("dexie (fake-indexeddb)", make, (s) => reopen(s as DexieLocalStore))
