import { useEffect, useState } from "react"

/** Re-renders every `ms` so "last synced 12 s ago" stays true. */
export const useNow = (ms: number): number => {
  const [now, setNow] = useState(Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(t)
  }, [ms])
  return now
}
