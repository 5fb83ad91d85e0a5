/**
 * An Intl formatter, made the first time it is asked for or in a task of its own right after the
 * page's code has run, whichever comes first. The page's first Intl object costs ~20 ms (the
 * locale's data): made at a module's top level it lands inside the task that evaluates the page's
 * code, the first and longest one (a new device's: 62 ms, 26 of them one `Intl.DateTimeFormat`).
 * Then one per use, not one per call (`toLocaleString` builds one each time).
 */
export const intlLater = <F>(make: () => F): (() => F) => {
  let made: F | undefined
  setTimeout(() => {
    made ??= make()
  }, 0)
  return () => {
    made ??= make()
    return made
  }
}
