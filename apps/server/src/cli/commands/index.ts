import type { Command } from "../Command.js"
import { adminCommands } from "./admin.js"
import { backupCommands } from "./backup.js"
import { docCommands } from "./doc.js"
import { feedCommands } from "./feed.js"
import { projectionCommands } from "./projection.js"
import { seedCommands } from "./seed.js"

/** Every `vibestack` subcommand but `serve`. Features add theirs here, one line each. */
export const commands: ReadonlyArray<Command> = [
  ...adminCommands,
  ...projectionCommands,
  ...seedCommands,
  ...feedCommands,
  ...backupCommands,
  ...docCommands,
]
