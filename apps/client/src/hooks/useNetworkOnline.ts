import { useSyncExternalStore } from "react"

const subscribe = (onChange: () => void): (() => void) => {
  addEventListener("online", onChange)
  addEventListener("offline", onChange)
  return () => {
    removeEventListener("online", onChange)
    removeEventListener("offline", onChange)
  }
}

/** The browser's own view of the network (`navigator.onLine`), live. */
export const useNetworkOnline = (): boolean => useSyncExternalStore(subscribe, () => navigator.onLine)
