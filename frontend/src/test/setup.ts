// Vitest setup for component tests: DOM matchers (toBeInTheDocument, ...)
// and unmounting after every test (globals are off, so Testing Library
// cannot register its own afterEach hook).
import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => {
  cleanup();
});
