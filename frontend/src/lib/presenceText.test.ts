import { describe, expect, it } from "vitest";
import { presenceText } from "./presenceText.ts";

const now = new Date("2026-03-12T15:00:00Z");

describe("presenceText", () => {
  it("says Online, or how long ago an offline user was last seen", () => {
    expect(presenceText({ online: true, last_seen: null }, now)).toBe("Online");
    expect(presenceText({ online: false, last_seen: null }, now)).toBe("Offline");
    expect(presenceText({ online: false, last_seen: "2026-03-12T14:59:30Z" }, now)).toBe("Last seen just now");
    expect(presenceText({ online: false, last_seen: "2026-03-12T14:55:00Z" }, now)).toBe("Last seen 5 min ago");
  });
});
