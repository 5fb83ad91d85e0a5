/**
 * Collects what is sent in one turn of the event loop and hands it on together, once, from
 * `setImmediate`: a message between the bench's thread and a writer thread costs both threads a
 * wake-up, and one per edit each way was the load generator's bottleneck.
 */
export const perTurn = <A>(post: (items: Array<A>) => void): ((item: A) => void) => {
  let items: Array<A> | undefined
  return (item) => {
    if (items !== undefined) return void items.push(item)
    items = [item]
    setImmediate(() => {
      const out = items!
      items = undefined
      post(out)
    })
  }
}
