import { describe, expect, it } from "vitest"
import { clientKey } from "./clientKey.js"

describe("clientKey", () => {
  it("[S18] limits IPv4 per address and IPv6 per /64", () => {
    expect(clientKey("127.0.0.2")).toBe("127.0.0.2")
    expect(clientKey("::ffff:10.1.2.3")).toBe("10.1.2.3")
    expect(clientKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64")
    expect(clientKey("2001:db8:1:2:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64")
    expect(clientKey("2001:0db8:0001:0002::")).toBe("2001:db8:1:2::/64")
    expect(clientKey("::1")).toBe("0:0:0:0::/64")
    expect(clientKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64")
    expect(clientKey("unknown")).toBe("unknown")
  })
})
