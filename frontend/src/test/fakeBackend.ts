import { vi } from "vitest";
import type { Me, Message, Read, UserEntry } from "../api/types.ts";
import { nameKey } from "../features/sidebar/people.ts";

type Answer = { status: number; body?: unknown } | undefined;
export type Route = (body: unknown, url: URL) => Answer | Promise<Answer>;

function activity(user: UserEntry): number {
  const at = user.conversation?.last_activity_at ?? user.conversation?.last_message?.sent_at;
  return at ? Date.parse(at) : Number.NEGATIVE_INFINITY;
}

/** The server's sidebar order: conversations by most recent activity, then everyone else by name (case and accents aside). */
export function serverOrder(users: readonly UserEntry[]): UserEntry[] {
  return [...users].sort((a, b) => {
    const byActivity = activity(b) - activity(a);
    if (byActivity !== 0 && !Number.isNaN(byActivity)) return byActivity;
    const x = nameKey(a.name);
    const y = nameKey(b.name);
    if (x !== y) return x < y ? -1 : 1;
    return a.id < b.id ? -1 : 1;
  });
}

/** `q` matches a name with a word starting with it (case and accents aside). */
function matches(user: UserEntry, q: string): boolean {
  const needle = nameKey(q);
  return nameKey(user.name).split(/[^\p{L}\p{N}_]+/u).some((word) => word.startsWith(needle));
}

/** `GET /api/users?limit=&cursor=&q=` over `users` (read at each request, so tests may change it). */
function usersPage(users: readonly UserEntry[], url: URL): Answer {
  const limit = Number(url.searchParams.get("limit") ?? "30");
  const q = url.searchParams.get("q");
  const cursor = url.searchParams.get("cursor");
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) return { status: 422, body: { detail: "limit" } };
  if (q !== null && (q.length < 1 || q.length > 100)) return { status: 422, body: { detail: "q" } };
  let offset = 0;
  if (cursor !== null) {
    let decoded = "";
    try {
      decoded = atob(cursor);
    } catch {
      // not base64: malformed
    }
    const match = /^o:(\d+)$/.exec(decoded);
    if (!match) return { status: 422, body: { detail: "malformed cursor" } };
    offset = Number(match[1]);
  }
  const ordered = serverOrder(users).filter((u) => q === null || matches(u, q));
  const page = ordered.slice(offset, offset + limit);
  const next = offset + limit < ordered.length ? btoa(`o:${offset + limit}`) : null;
  return { status: 200, body: { users: page.map((u) => ({ conversation: null, ...u })), next_cursor: next } };
}

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
    ["GET /api/users", (_body, url) => usersPage(users, url)],
    [
      "GET /api/users/*",
      (_body, url) => {
        const id = decodeURIComponent(url.pathname.slice("/api/users/".length));
        const found = users.find((u) => u.id === id);
        return found ? { status: 200, body: { conversation: null, ...found } } : { status: 404, body: { detail: "user not found" } };
      },
    ],
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
