import { vi } from "vitest";
import type { Me, Message, Read, UserEntry } from "../api/types.ts";

type Answer = { status: number; body?: unknown } | undefined;
export type Route = (body: unknown, url: URL) => Answer | Promise<Answer>;

/**
 * An in-memory stand-in for the Parley API behind `fetch`. Routes are "METHOD /path"
 * (without the query string); tests override them as they need.
 */
export function fakeBackend(me: Me, users: UserEntry[]) {
  const messages: Message[] = [];
  const reads: Read[] = [];
  const calls: { method: string; path: string; search: string; body: unknown }[] = [];
  const routes = new Map<string, Route>([
    ["GET /api/me", () => ({ status: 200, body: { user: me, sync_position: 100 } })],
    ["GET /api/users", () => ({ status: 200, body: users })],
    ["GET /api/sync", () => ({ status: 200, body: { messages: [], reads: [], position: 100, more: false } })],
    ["POST /api/messages/read", (body) => ({ status: 200, body: { read: body } })],
  ]);

  const fetch = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input), "http://localhost");
    const method = init?.method ?? "GET";
    const body = init?.body ? (JSON.parse(String(init.body)) as unknown) : undefined;
    calls.push({ method, path: url.pathname, search: url.search, body });
    const exact = routes.get(`${method} ${url.pathname}`);
    const prefix = [...routes.entries()].find(
      ([key]) => key.endsWith("*") && `${method} ${url.pathname}`.startsWith(key.slice(0, -1)),
    )?.[1];
    const answer = (await (exact ?? prefix)?.(body, url)) ?? { status: 404, body: { detail: "not found" } };
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), { status: answer.status });
  });

  return { fetch, calls, routes, messages, reads };
}
