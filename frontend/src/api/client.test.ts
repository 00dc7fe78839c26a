import { describe, expect, it, vi } from "vitest";
import { ApiClient } from "./client.ts";
import { ApiError } from "./errors.ts";

function reply(status: number, body: unknown, headers: Record<string, string> = {}) {
  return vi.fn(async (_url: string | URL | Request, _init?: RequestInit) =>
    new Response(body === null ? null : JSON.stringify(body), { status, headers }),
  );
}

describe("ApiClient", () => {
  it("sends the bearer token and JSON body", async () => {
    const fetch = reply(201, { message: { id: "m1" } });
    const api = new ApiClient({ getToken: () => "tok", fetch });
    await api.sendMessage({ to: "bob", type: "text", text: "hi", client_msg_id: "c1" });
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe("/api/messages");
    expect(new Headers(init?.headers).get("Authorization")).toBe("Bearer tok");
    expect(JSON.parse(String(init?.body))).toEqual({ to: "bob", type: "text", text: "hi", client_msg_id: "c1" });
  });

  it("turns an error answer into an ApiError with the API's detail and Retry-After", async () => {
    const api = new ApiClient({
      getToken: () => null,
      fetch: reply(429, { detail: "too many failed logins, try again later" }, { "Retry-After": "30" }),
    });
    const error = await api.login({ email: "a@b.c", password: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, detail: "Too many failed logins, try again later", retryAfter: 30 });
  });

  it("a 401 on an authenticated call ends the session it was made with", async () => {
    const onUnauthorized = vi.fn();
    const api = new ApiClient({ getToken: () => "old", fetch: reply(401, { detail: "expired" }), onUnauthorized });
    await expect(api.usersPage()).rejects.toBeInstanceOf(ApiError);
    expect(onUnauthorized).toHaveBeenCalledWith("old");
  });

  it("a wrong password (401 on log-in) does not count as a lost session", async () => {
    const onUnauthorized = vi.fn();
    const api = new ApiClient({ getToken: () => null, fetch: reply(401, { detail: "no" }), onUnauthorized });
    await expect(api.login({ email: "a@b.c", password: "x" })).rejects.toBeInstanceOf(ApiError);
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("builds the history and sync queries from the contract", async () => {
    const fetch = reply(200, { messages: [], next_before: null });
    const api = new ApiClient({ getToken: () => "t", fetch });
    await api.messages("b o", 42, 50);
    await api.sync(7);
    expect(fetch.mock.calls.map((c) => c[0])).toEqual([
      "/api/conversations/b%20o/messages?limit=50&before=42",
      "/api/sync?after=7&limit=200",
    ]);
  });

  it("builds the sidebar page and single-person routes from the contract", async () => {
    const fetch = reply(200, { users: [], next_cursor: null });
    const api = new ApiClient({ getToken: () => "t", fetch });
    await api.usersPage();
    await api.usersPage({ limit: 30, cursor: "a/b=", q: "zo ë" });
    await api.usersPage({ limit: 30, cursor: null, q: "" });
    await api.user("a b");
    expect(fetch.mock.calls.map((c) => c[0])).toEqual([
      "/api/users",
      "/api/users?limit=30&cursor=a%2Fb%3D&q=zo+%C3%AB",
      "/api/users?limit=30",
      "/api/users/a%20b",
    ]);
  });
});
