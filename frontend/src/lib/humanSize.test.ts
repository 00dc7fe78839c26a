import { describe, expect, it } from "vitest";
import { humanSize } from "./humanSize.ts";

describe("humanSize", () => {
  it("reads like a person would say it", () => {
    expect(humanSize(0)).toBe("0 B");
    expect(humanSize(999)).toBe("999 B");
    expect(humanSize(1536)).toBe("1.5 KB");
    expect(humanSize(25 * 1024 * 1024)).toBe("25 MB");
    expect(humanSize(1024 * 1024 - 1)).toBe("1 MB");
  });
});
