// @vitest-environment node
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { generate, SCHEMA, TYPES } from "./api-types.mjs";

describe("generated API types", () => {
  it("are current with the servers' schemas (run `make api-types` when this fails)", async () => {
    const schema: unknown = JSON.parse(await readFile(SCHEMA, "utf8"));
    expect(await readFile(TYPES, "utf8")).toBe(await generate(schema));
  }, 30_000);
});
