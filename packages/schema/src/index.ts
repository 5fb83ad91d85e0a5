export { COMMENT_BODY_MAX, Comment } from "./Comment.js"
export { Color, EpochMillis, IsoDate, Name } from "./common.js"
export {
  AccessRole,
  CommentId,
  canWrite,
  DocId,
  MAIN_DOC,
  MemberId,
  newId,
  ProjectId,
  Role,
  TaskId,
  TokenId,
  WorkspaceId,
} from "./ids.js"
export { MEMBER_NAME_MAX, Member } from "./Member.js"
export {
  ChangedEntities,
  changedEntitiesBetween,
  type EntityRef,
} from "./mapping/changes.js"
export { addComment, deleteComment, type NewComment } from "./mapping/comments.js"
export { compareTasks } from "./mapping/compareTasks.js"
export { decodeEntity, type EntityOf, effectiveStatus, type ReadIssue, StoredTask } from "./mapping/decode.js"
export {
  EXTRA_STRING_MAX,
  ExtraKey,
  ExtraValue,
  entityIdProblem,
  fieldProblem,
  metaProblem,
} from "./mapping/fieldRules.js"
export { InvalidWrite } from "./mapping/InvalidWrite.js"
export {
  COLLECTIONS,
  type Collection,
  collectionMap,
  DOC_LAYOUT_VERSION,
  isCollection,
  META,
  metaMap,
  readSchemaVersion,
  SCHEMA_VERSION_KEY,
  TaskKeys,
} from "./mapping/layout.js"
export {
  childPlace,
  type LayoutPlace,
  mergeableDescriptionParent,
  type ParsedContainerId,
  parseContainerId,
  pathOfPlace,
  placeOfPath,
  rootPlace,
} from "./mapping/layoutPlace.js"
export { deleteMember, type MemberInput, upsertMember } from "./mapping/members.js"
export { opsContextOf, type PathOf, pathsOf } from "./mapping/opsContext.js"
export { createProject, deleteProject, type NewProject, type ProjectPatch, updateProject } from "./mapping/projects.js"
export {
  type EntityRead,
  readEntities,
  readEntity,
  readWorkspace,
  type TaskView,
  type WorkspaceView,
} from "./mapping/read.js"
export { keyBetween, plainKeyBetween, SortKeyError } from "./mapping/sortKey.js"
export {
  createTask,
  deleteTask,
  moveTask,
  type NewTask,
  setTaskDescription,
  type TaskPatch,
  type TaskPosition,
  taskDescription,
  updateTask,
} from "./mapping/tasks.js"
export { type TextBounds, textOpProblem } from "./mapping/textOps.js"
export {
  LayoutViolation,
  type OpsContext,
  type TouchedEntity,
  type TouchedLayout,
  validateOps,
} from "./mapping/validateOps.js"
export type { WriteOptions } from "./mapping/WriteOptions.js"
export { PROJECT_NAME_MAX, Project } from "./Project.js"
export { type SeedOptions, type SeedResult, seededRandom, seedWorkspace } from "./seed.js"
export { SortKey, TASK_DESCRIPTION_MAX, TASK_TITLE_MAX, Task, TaskPriority, TaskStatus } from "./Task.js"
export {
  type ColumnDef,
  commentsTable,
  membersTable,
  projectionTables,
  projectsTable,
  type SqlValue,
  type TableDef,
  tasksTable,
} from "./tables.js"
