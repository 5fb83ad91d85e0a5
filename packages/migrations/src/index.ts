export * from "./client/index.js"
export * from "./sql/index.js"
