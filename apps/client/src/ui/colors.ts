/** Colours given to new projects and people, in turn. */
export const COLORS = ["#4f7cff", "#e5534b", "#57ab5a", "#c69026", "#986ee2"] as const

export const nextColor = (taken: number): string => COLORS[taken % COLORS.length] ?? COLORS[0]
