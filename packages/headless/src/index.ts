export * from "./FileLocalStore.js"
export * from "./HeadlessClient.js"
