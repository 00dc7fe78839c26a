import { act, configure, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
// These tests render long lists on a shared machine: give them time.
vi.setConfig({ testTimeout: 20_000 });
configure({ asyncUtilTimeout: 5000 });
import type { UserEntry } from "../../api/types.ts";
import App, { createQueryClient } from "../../App.tsx";
import { connectSocket, me, renderChatApp, resetChatAppBetweenTests } from "../../test/chatApp.tsx";
import { fakeBackend, type Route } from "../../test/fakeBackend.ts";
import { lastSocket } from "../../test/fakeSocket.ts";
import { setAllInView } from "../../test/fakeIntersectionObserver.ts";
import { BOB, message, summary, user } from "../../test/fixtures.ts";

vi.mock("socket.io-client", () => import("../../test/fakeSocket.ts"));

resetChatAppBetweenTests();

const pad = (n: number) => String(n).padStart(2, "0");

/** Bob (a conversation), Member 01..70, and three people for searches: 74 people, three pages of 30. */
function people(): UserEntry[] {
  const hello = message({ seq: 1, text: "hello from Bob" });
  return [
    user({ id: BOB, name: "Bob", online: true, conversation: summary({ last_message: hello, last_activity_at: hello.sent_at }) }),
    ...Array.from({ length: 70 }, (_, i) => user({ id: `member-${pad(i + 1)}`, name: `Member ${pad(i + 1)}` })),
    user({ id: "zola", name: "Zola Park" }),
    user({ id: "zora", name: "zora Lee" }),
    user({ id: "ozzie", name: "Ozzie Zoltan" }),
  ];
}

function setup(hash = "") {
  const users = people();
  const backend = fakeBackend(me, users);
  backend.routes.set("GET /api/conversations/*", () => ({ status: 200, body: { messages: [], next_before: null } }));
  // Signed in: the session comes from the refresh cookie (the browser's business), renewed by this route.
  backend.routes.set("POST /api/auth/refresh", () => ({
    status: 200,
    body: { access_token: "token-1", token_type: "bearer", expires_in: 900 },
  }));
  window.location.hash = hash;
  render(<App fetch={backend.fetch} queryClient={createQueryClient()} />);
  return { backend, users };
}

const list = () => screen.getByRole("list", { name: /^People/ });
// Plain selectors: role queries over a long list are slow in jsdom.
const rowNames = () =>
  Array.from(document.querySelectorAll("ul[aria-label^=People] > li > button")).map((b) =>
    b.getAttribute("aria-label")!.replace(/, (online|offline)$/, ""),
  );
const usersCalls = (backend: ReturnType<typeof fakeBackend>) =>
  backend.calls.filter((c) => c.path === "/api/users").map((c) => new URLSearchParams(c.search));

/** Hold the answers to `GET /api/users` for which `hold` says so, until released. */
function holdUsers(backend: ReturnType<typeof fakeBackend>, hold: (url: URL) => boolean) {
  const answer = backend.routes.get("GET /api/users")!;
  const held: (() => void)[] = [];
  const route: Route = async (body, url) => {
    if (hold(url)) await new Promise<void>((resolve) => held.push(resolve));
    return answer(body, url);
  };
  backend.routes.set("GET /api/users", route);
  return () => held.splice(0).forEach((release) => release());
}

describe("sidebar pages", () => {
  it("loads the first page, then more while the end is in view, one request at a time, each person once", async () => {
    const { backend } = setup();
    await screen.findByRole("button", { name: "Bob, online" });
    expect(rowNames()).toHaveLength(30);
    expect(rowNames().slice(0, 3)).toEqual(["Bob", "Member 01", "Member 02"]);
    expect(usersCalls(backend).map((p) => p.get("limit"))).toEqual(["30"]);

    let holding = true;
    const release = holdUsers(backend, () => holding);
    act(() => {
      setAllInView(true);
      setAllInView(true);
      setAllInView(true);
    });
    await waitFor(() => expect(usersCalls(backend)).toHaveLength(2));
    expect(screen.getByText("Loading more people…")).toBeInTheDocument();
    act(() => setAllInView(true));
    expect(usersCalls(backend)).toHaveLength(2); // still one page on its way, no second request
    holding = false;
    act(() => release());

    // The end stays in view: the next pages follow, one after the other, until the last.
    await waitFor(() => expect(rowNames()).toHaveLength(74));
    expect(rowNames().at(-1)).toBe("zora Lee");
    expect(new Set(rowNames()).size).toBe(74);
    const calls = usersCalls(backend);
    expect(calls).toHaveLength(3);
    expect(calls[1]!.get("cursor")).toBeTruthy();
    expect(calls[2]!.get("cursor")).not.toBe(calls[1]!.get("cursor"));
    expect(screen.queryByTestId("load-more")).toBeNull();
  });

  it("searches on the server as you type, debounced; a late answer to an older search is never shown", async () => {
    const { backend } = setup();
    await screen.findByRole("button", { name: "Bob, online" });
    const box = screen.getByRole("searchbox", { name: "Search people" });

    await userEvent.type(box, "zo");
    await waitFor(() => expect(rowNames()).toEqual(["Ozzie Zoltan", "Zola Park", "zora Lee"]));
    expect(usersCalls(backend).filter((p) => p.has("q")).map((p) => p.get("q"))).toEqual(["zo"]);
    expect(list()).toHaveAccessibleName("People matching “zo”");

    // "me" is slow to answer; meanwhile the search becomes "zor", which answers first.
    const release = holdUsers(backend, (url) => url.searchParams.get("q") === "me");
    await userEvent.clear(box);
    await userEvent.type(box, "me");
    await waitFor(() => expect(usersCalls(backend).some((p) => p.get("q") === "me")).toBe(true));
    await userEvent.clear(box);
    await userEvent.type(box, "zor");
    await waitFor(() => expect(rowNames()).toEqual(["zora Lee"]));
    act(() => release());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(rowNames()).toEqual(["zora Lee"]);

    const before = usersCalls(backend).length;
    await userEvent.clear(box);
    await waitFor(() => expect(rowNames()).toHaveLength(30));
    expect(rowNames()[0]).toBe("Bob");
    expect(usersCalls(backend)).toHaveLength(before); // the normal list was still loaded
  });

  it("says when a search finds no one", async () => {
    setup();
    await screen.findByRole("button", { name: "Bob, online" });
    await userEvent.type(screen.getByRole("searchbox", { name: "Search people" }), "nobody");
    expect(await screen.findByText("No one called “nobody”.")).toBeInTheDocument();
  });
});

describe("presence watched", () => {
  it("names the people it knows to its socket on connect and again as pages add people", async () => {
    setup();
    await screen.findByRole("button", { name: "Bob, online" });
    const socket = lastSocket();
    act(() => socket.goOnline());
    const watched = () =>
      socket.emitted.filter(([event]) => event === "watch_presence").map(([, p]) => (p as { user_ids: string[] }).user_ids);
    await waitFor(() => expect(watched()).toHaveLength(1));
    expect(watched()[0]).toHaveLength(30);
    expect(watched()[0]).toContain(BOB);

    act(() => setAllInView(true));
    await waitFor(() => expect(watched().at(-1)).toHaveLength(74));
    // A reconnect names them again (a new socket hears about everyone until it does).
    const before = watched().length;
    act(() => socket.goOffline());
    act(() => socket.goOnline());
    await waitFor(() => expect(watched()).toHaveLength(before + 1));
    expect(watched().at(-1)).toHaveLength(74);
  });
});

describe("sidebar live", () => {
  it("a message from someone not loaded yet looks them up and puts them at the top with the message", async () => {
    const { backend } = setup();
    await screen.findByRole("button", { name: "Bob, online" });
    act(() => lastSocket().goOnline());
    const m = message({
      seq: 1,
      conversation_id: "dm:me:member-60",
      sender_id: "member-60",
      text: "remember me?",
      sent_at: new Date().toISOString(),
    });
    act(() => lastSocket().serverSends("message", m));
    await waitFor(() => expect(rowNames()[0]).toBe("Member 60"));
    expect(screen.getByRole("button", { name: "Member 60, offline" })).toHaveAccessibleDescription(/remember me\?/);
    expect(backend.calls.filter((c) => c.path === "/api/users/member-60")).toHaveLength(1);

    // Its page, loaded later, does not show them twice.
    act(() => setAllInView(true));
    await waitFor(() => expect(rowNames()).toHaveLength(74));
    expect(rowNames().filter((name) => name === "Member 60")).toHaveLength(1);
    expect(rowNames()[0]).toBe("Member 60");
  });

  it("presence and renames change loaded people; a new sign-up shows where it falls within what is loaded", async () => {
    const { users } = setup();
    await screen.findByRole("button", { name: "Bob, online" });
    act(() => lastSocket().goOnline());
    act(() => {
      lastSocket().serverSends("presence", { user_id: "member-05", online: true, last_seen: null });
      lastSocket().serverSends("user", { id: "member-06", name: "Member 06 Renamed", avatar: null });
      lastSocket().serverSends("user", { id: "aaron", name: "Aaron", avatar: null, online: true, last_seen: null });
      lastSocket().serverSends("user", { id: "zed", name: "Zed", avatar: null, online: false, last_seen: null });
    });
    expect(await screen.findByRole("button", { name: "Member 05, online" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Member 06 Renamed, offline" })).toBeInTheDocument();
    // Aaron falls within the first page (before "Member 29"); Zed is beyond it, left for his page.
    expect(rowNames().slice(0, 3)).toEqual(["Bob", "Aaron", "Member 01"]);
    expect(rowNames()).not.toContain("Zed");

    users.push(user({ id: "aaron", name: "Aaron", online: true }), user({ id: "zed", name: "Zed" }));
    act(() => setAllInView(true));
    await waitFor(() => expect(rowNames()).toHaveLength(76));
    expect(rowNames().slice(-4)).toEqual(["Ozzie Zoltan", "Zed", "Zola Park", "zora Lee"]);
    expect(new Set(rowNames()).size).toBe(76);
  });

  it("a sign-up whose presence comes before their person (user pushes are gathered) shows online", async () => {
    setup();
    await screen.findByRole("button", { name: "Bob, online" });
    act(() => lastSocket().goOnline());
    act(() => {
      lastSocket().serverSends("presence", { user_id: "aaron", online: true, last_seen: null });
      lastSocket().serverSends("user", { id: "aaron", name: "Aaron", avatar: null });
    });
    expect(await screen.findByRole("button", { name: "Aaron, online" })).toBeInTheDocument();
  });

  it("opens a conversation (from the URL) with someone no page has brought yet", async () => {
    const { backend } = setup("#/c/member-70");
    expect(await screen.findByRole("region", { name: "Conversation with Member 70" })).toBeInTheDocument();
    expect(backend.calls.filter((c) => c.path === "/api/users/member-70")).toHaveLength(1);
  });
});

// With the two people of renderChatApp (Bob, Carol) rather than the long list above.
describe("sidebar", () => {
  it("lists everyone else with online/offline in the accessible name, preview and unread count", async () => {
    renderChatApp();
    const bob = await screen.findByRole("button", { name: "Bob, online" });
    expect(bob).toHaveAccessibleDescription(/hello from Bob/);
    expect(within(bob).getByTestId("unread")).toHaveTextContent("1");
    expect(screen.getByRole("button", { name: "Carol, offline" })).toHaveAccessibleDescription(/Last seen/);
  });

  it("adds a new user and follows presence live", async () => {
    renderChatApp();
    await screen.findByRole("button", { name: "Bob, online" });
    await connectSocket();
    act(() => {
      lastSocket().serverSends("user", { id: "dave", name: "Dave", avatar: null, online: false, last_seen: null });
      lastSocket().serverSends("presence", { user_id: BOB, online: false, last_seen: new Date().toISOString() });
    });
    expect(await screen.findByRole("button", { name: "Dave, offline" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Bob, offline" })).toBeInTheDocument();
  });

  it("keeps presence and new people that arrive while the list is still loading", async () => {
    const { backend } = renderChatApp({ holdUsers: true });
    await connectSocket();
    act(() => {
      lastSocket().serverSends("user", { id: "dave", name: "Dave", avatar: null, online: false, last_seen: null });
      lastSocket().serverSends("presence", { user_id: "dave", online: true, last_seen: null });
      lastSocket().serverSends("presence", { user_id: "carol", online: true, last_seen: null });
    });
    act(() => backend.releaseUsers());
    expect(await screen.findByRole("button", { name: "Dave, online" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Carol, online" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Bob, online" })).toBeInTheDocument();
  });

  it("filters by name", async () => {
    renderChatApp();
    await screen.findByRole("button", { name: "Bob, online" });
    await userEvent.type(screen.getByRole("searchbox", { name: "Search people" }), "car");
    await waitFor(() => expect(screen.queryByRole("button", { name: "Bob, online" })).not.toBeInTheDocument());
    expect(screen.getByRole("button", { name: "Carol, offline" })).toBeInTheDocument();
  });
});
