// Vitest setup for component tests: DOM matchers (toBeInTheDocument, ...)
// and unmounting after every test (globals are off, so Testing Library
// cannot register its own afterEach hook).
import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";
import { FakeIntersectionObserver } from "./fakeIntersectionObserver.ts";

afterEach(() => {
  cleanup();
});

// The sidebar loads more people when the end of its list comes into view.
globalThis.IntersectionObserver = FakeIntersectionObserver;
