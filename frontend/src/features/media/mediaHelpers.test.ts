import { describe, expect, it } from "vitest";
import { fileBadge } from "./FileCard.tsx";
import { fitBox } from "./fitBox.ts";

describe("fitBox", () => {
  it("scales a picture down into the box, keeping its shape, never up", () => {
    expect(fitBox(4000, 3000, 280, 320)).toEqual({ width: 280, height: 210 });
    expect(fitBox(1000, 4000, 280, 320)).toEqual({ width: 80, height: 320 });
    expect(fitBox(100, 50, 280, 320)).toEqual({ width: 100, height: 50 });
  });

  it("reserves a 4:3 box when the size is unknown", () => {
    expect(fitBox(null, null, 280, 320)).toEqual({ width: 280, height: 210 });
  });
});

describe("fileBadge", () => {
  it("uses the extension, else the mime subtype", () => {
    expect(fileBadge("report.pdf", "application/pdf")).toBe("PDF");
    expect(fileBadge("README", "text/plain")).toBe("PLAI");
  });
});
