import { describe, expect, it } from "vitest";
import { BOB, ME, message, summary, user } from "../../test/fixtures.ts";
import { filterPeople, presenceText, previewText, sortPeople } from "./people.ts";

const now = new Date("2026-03-12T15:00:00Z");

describe("sortPeople", () => {
  it("puts the most recent conversation first, then everyone else by name", () => {
    const users = [
      user({ id: "z", name: "zoe" }),
      user({ id: "a", name: "Adam", conversation: summary({ last_activity_at: "2026-03-10T10:00:00Z" }) }),
      user({ id: "b", name: "Bea", conversation: summary({ last_activity_at: "2026-03-12T10:00:00Z" }) }),
      user({ id: "c", name: "Ćiro" }),
    ];
    expect(sortPeople(users).map((u) => u.name)).toEqual(["Bea", "Adam", "Ćiro", "zoe"]);
  });

  it("falls back to the last message time when the summary has no activity time", () => {
    const users = [
      user({ id: "a", name: "A", conversation: summary({ last_message: message({ seq: 1, sent_at: "2026-03-01T00:00:00Z" }) }) }),
      user({ id: "b", name: "B", conversation: summary({ last_message: message({ seq: 1, sent_at: "2026-03-05T00:00:00Z" }) }) }),
    ];
    expect(sortPeople(users).map((u) => u.name)).toEqual(["B", "A"]);
  });
});

describe("filterPeople", () => {
  const users = [user({ id: "1", name: "Zoë Smith" }), user({ id: "2", name: "Bob" }), user({ id: "3", name: "Bobby" })];

  it("matches any part of the name, ignoring case and accents", () => {
    expect(filterPeople(users, "zoe").map((u) => u.name)).toEqual(["Zoë Smith"]);
    expect(filterPeople(users, "BOB").map((u) => u.name)).toEqual(["Bob", "Bobby"]);
    expect(filterPeople(users, "smi").map((u) => u.name)).toEqual(["Zoë Smith"]);
  });

  it("keeps everyone for an empty or blank query", () => {
    expect(filterPeople(users, "  ")).toHaveLength(3);
  });
});

describe("presenceText", () => {
  it("says Online, or how long ago an offline user was last seen", () => {
    expect(presenceText({ online: true, last_seen: null }, now)).toBe("Online");
    expect(presenceText({ online: false, last_seen: null }, now)).toBe("Offline");
    expect(presenceText({ online: false, last_seen: "2026-03-12T14:59:30Z" }, now)).toBe("Last seen just now");
    expect(presenceText({ online: false, last_seen: "2026-03-12T14:55:00Z" }, now)).toBe("Last seen 5 min ago");
  });
});

describe("previewText", () => {
  it("prefixes my messages with You and names media without a caption", () => {
    expect(previewText(message({ seq: 1, text: "hi" }), ME)).toBe("hi");
    expect(previewText(message({ seq: 1, text: "yo", sender_id: ME, receiver_id: BOB }), ME)).toBe("You: yo");
    expect(previewText(message({ seq: 1, text: "", type: "image" }), ME)).toBe("📷 Photo");
    expect(previewText(message({ seq: 1, text: "sunset", type: "image" }), ME)).toBe("📷 sunset");
  });
});
