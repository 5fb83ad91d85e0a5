export * from "./ids.js"
