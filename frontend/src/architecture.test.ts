// How the folders of src may depend on each other, checked on the source text:
// - a feature (src/features/<name>) may use another one, but never in a circle: features that import each other
//   cannot be understood, tested or changed one at a time;
// - the shared layers (src/data, src/components, src/lib, src/api) never import a feature: everything may
//   build on them because they build on no feature.
import { describe, expect, it } from "vitest";

// Every source file of src, as text, keyed by its path from this folder ("./features/chat/ChatShell.tsx"). Read
// through Vite rather than node:fs because the app's tsconfig has no Node types, and giving it them would let
// app code use Node's globals unnoticed.
const sources = import.meta.glob<string>("./**/*.{ts,tsx}", { query: "?raw", import: "default", eager: true });

const SHARED_LAYERS = ["data", "components", "lib", "api"];

/** The module specifiers a file imports: `import … from`, `export … from`, `import "…"` and `import("…")`. */
function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/\bfrom\s*["']([^"']+)["']|\bimport\s*\(?\s*["']([^"']+)["']/g)) {
    found.push((match[1] ?? match[2])!);
  }
  return found;
}

/** The file a relative specifier names, as a key of `sources`; null for a package. */
function resolve(fromFile: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  const parts = fromFile.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

/** "./features/chat/ChatShell.tsx" → "chat"; null outside src/features. */
function featureOf(file: string): string | null {
  return /^\.\/features\/([^/]+)\//.exec(file)?.[1] ?? null;
}

type Import = { file: string; specifier: string; target: string };

function relativeImports(): Import[] {
  const out: Import[] = [];
  for (const [file, source] of Object.entries(sources)) {
    for (const specifier of importsOf(source)) {
      const target = resolve(file, specifier);
      if (target !== null) out.push({ file, specifier, target });
    }
  }
  return out;
}

/** Feature → feature it imports → one import that makes it so (to name in a failure). */
function featureGraph(imports: readonly Import[]): Map<string, Map<string, Import>> {
  const graph = new Map<string, Map<string, Import>>();
  for (const found of imports) {
    const from = featureOf(found.file);
    const to = featureOf(found.target);
    if (from === null || to === null || from === to) continue;
    if (!graph.has(from)) graph.set(from, new Map());
    if (!graph.get(from)!.has(to)) graph.get(from)!.set(to, found);
  }
  return graph;
}

/** The circles a depth-first walk comes upon (at least one whenever there is any), each once, from its smallest name. */
function cycles(graph: Map<string, Map<string, Import>>): string[][] {
  const found = new Map<string, string[]>();
  const path: string[] = [];
  const done = new Set<string>();
  const visit = (node: string) => {
    const at = path.indexOf(node);
    if (at !== -1) {
      const circle = path.slice(at);
      const start = circle.indexOf([...circle].sort()[0]!);
      const rotated = [...circle.slice(start), ...circle.slice(0, start)];
      found.set(rotated.join(" → "), rotated);
      return;
    }
    if (done.has(node)) return;
    path.push(node);
    for (const next of graph.get(node)?.keys() ?? []) visit(next);
    path.pop();
    done.add(node);
  };
  for (const node of [...graph.keys()].sort()) visit(node);
  return [...found.values()];
}

function describeCycle(circle: readonly string[], graph: Map<string, Map<string, Import>>): string {
  return circle
    .map((from, i) => {
      const to = circle[(i + 1) % circle.length]!;
      const { file, specifier } = graph.get(from)!.get(to)!;
      return `${from} → ${to} (${file} imports ${specifier})`;
    })
    .join("; ");
}

/** Imports from a shared layer into a feature, as "file imports specifier". */
function layerViolations(imports: readonly Import[]): string[] {
  return imports
    .filter(({ file, target }) => SHARED_LAYERS.some((layer) => file.startsWith(`./${layer}/`)) && featureOf(target) !== null)
    .map(({ file, specifier }) => `${file} imports ${specifier}`);
}

describe("architecture", () => {
  it("reads the sources and their imports", () => {
    // (Vite leaves out the file that globs, this one.)
    expect(Object.keys(sources)).toContain("./App.tsx");
    expect(Object.keys(sources).some((file) => featureOf(file) !== null)).toBe(true);
    expect(
      importsOf('import { a } from "./a.ts";\nimport type {\n  B,\n} from "../b.ts";\nimport "./c.css";\nexport * from "./d.ts";\nvi.mock("x", () => import("./e.ts"));'),
    ).toEqual(["./a.ts", "../b.ts", "./c.css", "./d.ts", "./e.ts"]);
    expect(resolve("./features/chat/ChatShell.tsx", "../../data/cache.ts")).toBe("./data/cache.ts");
  });

  it("has no import cycle between feature folders", () => {
    const graph = featureGraph(relativeImports());
    expect(cycles(graph).map((circle) => describeCycle(circle, graph))).toEqual([]);
  });

  it("finds a cycle when there is one", () => {
    const imports: Import[] = [
      { file: "./features/a/A.tsx", specifier: "../b/B.tsx", target: "./features/b/B.tsx" },
      { file: "./features/b/B.tsx", specifier: "../a/A.tsx", target: "./features/a/A.tsx" },
    ];
    expect(cycles(featureGraph(imports))).toEqual([["a", "b"]]);
  });

  it("keeps the shared layers free of features", () => {
    expect(layerViolations(relativeImports())).toEqual([]);
  });

  it("finds a shared layer that imports a feature", () => {
    const imports: Import[] = [
      { file: "./data/cache.ts", specifier: "../features/chat/Logo.tsx", target: "./features/chat/Logo.tsx" },
      { file: "./features/chat/ChatShell.tsx", specifier: "../../data/cache.ts", target: "./data/cache.ts" },
    ];
    expect(layerViolations(imports)).toEqual(["./data/cache.ts imports ../features/chat/Logo.tsx"]);
  });
});
