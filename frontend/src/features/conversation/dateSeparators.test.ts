import { describe, expect, it } from "vitest";
import { dayLabel, withDateSeparators } from "./dateSeparators.ts";

// Local times: the separators follow the reader's calendar day.
const now = new Date(2026, 2, 12, 15, 0); // Thursday 12 March 2026, 15:00

describe("dayLabel", () => {
  it("says Today and Yesterday by calendar day, not by 24 hours", () => {
    expect(dayLabel(new Date(2026, 2, 12, 0, 5), now, "en-US")).toBe("Today");
    expect(dayLabel(new Date(2026, 2, 11, 23, 59), now, "en-US")).toBe("Yesterday");
  });

  it("names the weekday within the last week, then the date (with the year when it differs)", () => {
    expect(dayLabel(new Date(2026, 2, 9, 12), now, "en-US")).toBe("Monday");
    expect(dayLabel(new Date(2026, 1, 20, 12), now, "en-US")).toBe("Fri, February 20");
    expect(dayLabel(new Date(2025, 11, 31, 12), now, "en-US")).toBe("Wed, December 31, 2025");
  });
});

describe("withDateSeparators", () => {
  it("puts one separator before the first message of each day", () => {
    const items = [
      { id: "a", at: new Date(2026, 2, 11, 9) },
      { id: "b", at: new Date(2026, 2, 11, 18) },
      { id: "c", at: new Date(2026, 2, 12, 8) },
    ];
    const rows = withDateSeparators(items, (i) => i.at, (i) => i.id, now, "en-US");
    expect(rows.map((r) => (r.kind === "separator" ? `[${r.label}]` : r.key))).toEqual([
      "[Yesterday]",
      "a",
      "b",
      "[Today]",
      "c",
    ]);
  });

  it("gives nothing for an empty conversation", () => {
    expect(withDateSeparators([], () => now, () => "", now)).toEqual([]);
  });
});
