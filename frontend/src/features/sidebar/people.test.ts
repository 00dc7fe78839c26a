import { describe, expect, it } from "vitest";
import { BOB, ME, message, summary, user } from "../../test/fixtures.ts";
import { previewText, searchText, sidebarList } from "./people.ts";

describe("sidebarList", () => {
  const talk = (at: string) => summary({ last_activity_at: at });
  const adam = user({ id: "a", name: "Adam", conversation: talk("2026-03-10T10:00:00Z") });
  const bea = user({ id: "b", name: "Bea", conversation: talk("2026-03-12T10:00:00Z") });
  const ciro = user({ id: "c", name: "ciro" });
  const dora = user({ id: "d", name: "Dora" });
  const zoe = user({ id: "z", name: "zoe" });
  const names = (list: { name: string }[]) => list.map((u) => u.name);

  it("shows the pages' people once, conversations first by activity (a new message moves them up)", () => {
    const known = [ciro, dora, adam, bea];
    const listed = ["b", "a", "c", "d", "c"];
    expect(names(sidebarList(known, listed, { search: false, complete: false }))).toEqual(["Bea", "Adam", "ciro", "Dora"]);
    const dorasMessage = { ...dora, conversation: talk("2026-03-13T10:00:00Z") };
    expect(names(sidebarList([ciro, dorasMessage, adam, bea], listed, { search: false, complete: false }))).toEqual([
      "Dora",
      "Bea",
      "Adam",
      "ciro",
    ]);
  });

  it("places a known name among the loaded ones as the server orders names: case and accents aside", () => {
    const emile = user({ id: "e", name: "Émile" });
    const known = [ciro, dora, zoe, emile];
    expect(names(sidebarList(known, ["c", "d", "z"], { search: false, complete: false }))).toEqual([
      "ciro",
      "Dora",
      "Émile",
      "zoe",
    ]);
  });

  it("keeps the server's order for people without a conversation", () => {
    const known = [zoe, ciro];
    expect(names(sidebarList(known, ["z", "c"], { search: false, complete: true }))).toEqual(["zoe", "ciro"]);
  });

  it("adds people known otherwise where they belong among what is loaded, and no further", () => {
    const found = user({ id: "f", name: "Fay", conversation: talk("2026-03-11T10:00:00Z") });
    const signUp = user({ id: "n", name: "Cleo" });
    const late = user({ id: "y", name: "Yara" });
    const known = [adam, bea, ciro, dora, found, signUp, late];
    // Loaded up to Dora: Fay (a conversation) goes to the top, Cleo falls before Dora, Yara is beyond the end.
    expect(names(sidebarList(known, ["b", "a", "c", "d"], { search: false, complete: false }))).toEqual([
      "Bea",
      "Fay",
      "Adam",
      "ciro",
      "Cleo",
      "Dora",
    ]);
    // Every page loaded: Yara too.
    expect(names(sidebarList(known, ["b", "a", "c", "d"], { search: false, complete: true }))).toContain("Yara");
    // Only conversations loaded so far: nobody without one is shown yet.
    expect(names(sidebarList(known, ["b", "a"], { search: false, complete: false }))).toEqual(["Bea", "Fay", "Adam"]);
  });

  it("shows exactly a search's pages", () => {
    const known = [adam, bea, ciro, dora];
    expect(names(sidebarList(known, ["d", "a"], { search: true, complete: true }))).toEqual(["Adam", "Dora"]);
  });
});

describe("searchText", () => {
  it("trims and keeps at most 100 characters", () => {
    expect(searchText("  zo  ")).toBe("zo");
    expect(searchText("   ")).toBe("");
    expect(Array.from(searchText("é".repeat(150)))).toHaveLength(100);
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
