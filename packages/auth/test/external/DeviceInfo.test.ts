import { assert, describe, it } from "@effect/vitest"
import { deviceInfo } from "../../src/external/DeviceInfo.ts"

const agents = {
  windowsChrome:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  windowsEdge:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
  windowsFirefox: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
  macSafari:
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15",
  macChrome:
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  linuxFirefox: "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
  androidChrome:
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.135 Mobile Safari/537.36",
  androidEdge:
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.2903.87",
  iphoneSafari:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Mobile/15E148 Safari/604.1",
  iphoneChrome:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.134 Mobile/15E148 Safari/604.1",
  iphoneFirefox:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15",
  ipadSafari:
    "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
}

describe("deviceInfo", () => {
  it.each(
    [
      ["Windows Chrome", agents.windowsChrome, "Windows / Chrome"],
      ["Windows Edge", agents.windowsEdge, "Windows / Edge"],
      ["Windows Firefox", agents.windowsFirefox, "Windows / Firefox"],
      ["macOS Safari", agents.macSafari, "macOS / Safari"],
      ["macOS Chrome", agents.macChrome, "macOS / Chrome"],
      ["Linux Firefox", agents.linuxFirefox, "Linux / Firefox"],
      ["Android Chrome", agents.androidChrome, "Android / Chrome"],
      ["Android Edge", agents.androidEdge, "Android / Edge"],
      ["iPhone Safari (the reference said macOS)", agents.iphoneSafari, "iOS / Safari"],
      ["iPhone Chrome", agents.iphoneChrome, "iOS / Chrome"],
      ["iPhone Firefox", agents.iphoneFirefox, "iOS / Firefox"],
      ["iPad Safari", agents.ipadSafari, "iOS / Safari"],
      ["an OS without a known browser", "SomeApp/1.0 (Windows NT 10.0)", "Windows"],
      ["a browser without a known OS", "Mozilla/5.0 (Unknown) Firefox/133.0", "Firefox"]
    ] as const
  )("%s", (_, userAgent, expected) => {
    assert.strictEqual(deviceInfo(userAgent), expected)
  })

  it("no agent, an empty one or a blank one is null", () => {
    assert.isNull(deviceInfo(undefined))
    assert.isNull(deviceInfo(null))
    assert.isNull(deviceInfo(""))
    assert.isNull(deviceInfo("   "))
  })

  it("an unrecognised agent is returned as is", () => {
    assert.strictEqual(deviceInfo("curl/8.5.0"), "curl/8.5.0")
  })

  it("an unrecognised long agent is cut to 100 characters", () => {
    const result = deviceInfo("X".repeat(200))
    assert.strictEqual(result, "X".repeat(100))
  })
})
