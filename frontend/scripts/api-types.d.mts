// Types of scripts/api-types.mjs, for scripts/api-types.test.ts.
export const SCHEMA: string;
export const TYPES: string;
export function generate(schema: unknown): Promise<string>;
