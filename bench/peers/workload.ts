/** The one project every edit of the workload creates its task in (all systems, all writers). */
export const PROJECT = "bench-project"
