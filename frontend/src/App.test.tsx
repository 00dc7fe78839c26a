import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Me, Message } from "./api/types.ts";
import App, { createQueryClient } from "./App.tsx";
import { fakeBackend } from "./test/fakeBackend.ts";
import { lastSocket, sockets } from "./test/fakeSocket.ts";
import { BOB, ME, message, summary, user } from "./test/fixtures.ts";

vi.mock("socket.io-client", async () => {
  const { FakeSocket, sockets } = await import("./test/fakeSocket.ts");
  return {
    io: () => {
      const socket = new FakeSocket();
      sockets.push(socket);
      return socket;
    },
  };
});

const me: Me = { id: ME, name: "Me Myself", email: "me@example.com", avatar: null, online: true, last_seen: null };

function setup({ signedIn = true, holdUsers = false } = {}) {
  const older = message({ seq: 1, text: "hello from Bob" });
  const backend = fakeBackend(me, [
    user({
      id: BOB,
      name: "Bob",
      online: true,
      conversation: summary({ last_message: older, last_activity_at: older.sent_at, unread: 1 }),
    }),
    user({ id: "carol", name: "Carol", last_seen: "2026-03-01T10:00:00Z" }),
  ]);
  backend.routes.set("GET /api/conversations/*", () => ({
    status: 200,
    body: { messages: [older], next_before: null, peer_read_seq: 0 },
  }));
  // The people list can be held back, to deliver socket events while it is loading.
  let releaseUsers = () => {};
  if (holdUsers) {
    const answer = backend.routes.get("GET /api/users")!;
    const held = new Promise<void>((resolve) => (releaseUsers = resolve));
    backend.routes.set("GET /api/users", async (body, url) => {
      await held;
      return answer(body, url);
    });
  }
  // The HttpOnly refresh cookie is the browser's business: here, whether the refresh route renews a session.
  backend.routes.set("POST /api/auth/refresh", () =>
    signedIn
      ? { status: 200, body: { access_token: "token-1", token_type: "bearer", expires_in: 900 } }
      : { status: 401, body: { detail: "your session has ended; log in again" } },
  );
  backend.routes.set("POST /api/auth/logout", () => ({ status: 204 }));
  backend.routes.set("POST /api/auth/logout-all", () => ({ status: 204 }));
  window.location.hash = "";
  render(<App fetch={backend.fetch} queryClient={createQueryClient()} />);
  return { backend: { ...backend, releaseUsers: () => releaseUsers() }, older };
}

async function connected() {
  await waitFor(() => expect(sockets.length).toBeGreaterThan(0));
  act(() => lastSocket().goOnline());
}

beforeEach(() => {
  sockets.length = 0;
  localStorage.clear();
});

afterEach(() => {
  window.location.hash = "";
});

describe("session", () => {
  it("without a session shows the log-in form; Sign up switches to account creation", async () => {
    setup({ signedIn: false });
    expect(await screen.findByRole("button", { name: "Log in" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Sign up" }));
    expect(screen.getByLabelText("Name")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Create account" })).toBeInTheDocument();
  });

  it("signing up goes straight into the chat, and no token is kept in localStorage", async () => {
    localStorage.setItem("parley.token", "a seven-day token of old");
    const { backend } = setup({ signedIn: false });
    backend.routes.set("POST /api/auth/register", () => ({
      status: 201,
      body: { user: me, access_token: "fresh", token_type: "bearer", expires_in: 900 },
    }));
    await userEvent.click(await screen.findByRole("button", { name: "Sign up" }));
    await userEvent.type(screen.getByLabelText("Name"), "Me Myself");
    await userEvent.type(screen.getByLabelText("Email"), "me@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "password123");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("button", { name: "Log out" })).toBeInTheDocument();
    expect(localStorage.getItem("parley.token")).toBeNull();
  });

  it("shows the API's field errors next to the fields and 409 under Email", async () => {
    const { backend } = setup({ signedIn: false });
    backend.routes.set("POST /api/auth/register", () => ({
      status: 422,
      body: {
        detail: "password: too short",
        errors: [{ loc: ["body", "password"], msg: "Value error, must be at least 8 characters", type: "value_error" }],
      },
    }));
    await userEvent.click(await screen.findByRole("button", { name: "Sign up" }));
    await userEvent.type(screen.getByLabelText("Password"), "short");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    const password = screen.getByLabelText("Password");
    await waitFor(() => expect(password).toHaveAttribute("aria-invalid", "true"));
    expect(password).toHaveAccessibleDescription("Must be at least 8 characters");
    expect(screen.getByRole("alert")).toHaveTextContent("Must be at least 8 characters");

    backend.routes.set("POST /api/auth/register", () => ({
      status: 409,
      body: { detail: "an account with this email already exists" },
    }));
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    await waitFor(() =>
      expect(screen.getByLabelText("Email")).toHaveAccessibleDescription("An account with this email already exists"),
    );
  });

  it("a wrong password is a form-level alert", async () => {
    const { backend } = setup({ signedIn: false });
    backend.routes.set("POST /api/auth/login", () => ({ status: 401, body: { detail: "invalid email or password" } }));
    await userEvent.type(await screen.findByLabelText("Email"), "me@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "wrongpassword");
    await userEvent.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
  });

  it("the refresh cookie's session opens the chat (it survives a reload); Log out ends it on the server", async () => {
    const { backend } = setup();
    await userEvent.click(await screen.findByRole("button", { name: "Log out" }));
    expect(screen.getByRole("button", { name: "Log in" })).toBeInTheDocument();
    expect(backend.calls.some((c) => c.method === "POST" && c.path === "/api/auth/logout")).toBe(true);
    expect(localStorage.getItem("parley.token")).toBeNull();
  });

  it("a 401 renews the token first, and logs out only when the session is over", async () => {
    const { backend } = setup();
    await screen.findByRole("button", { name: "Bob, online" });
    const renewals = () => backend.calls.filter((c) => c.path === "/api/auth/refresh").length;
    const before = renewals();
    // An expired token (the laptop slept through its renewal): renewed, and the app stays.
    backend.routes.set("POST /api/auth/refresh", () => ({
      status: 200,
      body: { access_token: "token-2", token_type: "bearer", expires_in: 900 },
    }));
    backend.routes.set("GET /api/sync", () => ({ status: 401, body: { detail: "invalid or expired token" } }));
    await connected();
    await waitFor(() => expect(renewals()).toBe(before + 1));
    await waitFor(() => expect(lastSocket().emitted).toContainEqual(["renew", { token: "token-2" }]));
    expect(screen.getByRole("button", { name: "Log out" })).toBeInTheDocument();
    // Ended elsewhere: the renewal is refused too, and the app signs out.
    backend.routes.set("POST /api/auth/refresh", () => ({ status: 401, body: { detail: "session ended" } }));
    backend.routes.set("GET /api/users", () => ({ status: 401, body: { detail: "this session has ended" } }));
    act(() => lastSocket().serverSends("session_ended", { reason: "session ended" }));
    expect(await screen.findByRole("button", { name: "Log in" })).toBeInTheDocument();
  });

  it("Log out everywhere (in the profile) ends every session and signs out", async () => {
    const { backend } = setup();
    await userEvent.click(await screen.findByRole("button", { name: "Edit profile: Me Myself" }));
    await userEvent.click(screen.getByRole("button", { name: "Log out everywhere" }));
    expect(await screen.findByRole("button", { name: "Log in" })).toBeInTheDocument();
    expect(backend.calls.some((c) => c.method === "POST" && c.path === "/api/auth/logout-all")).toBe(true);
  });
});

describe("sidebar", () => {
  it("lists everyone else with online/offline in the accessible name, preview and unread count", async () => {
    setup();
    const bob = await screen.findByRole("button", { name: "Bob, online" });
    expect(bob).toHaveAccessibleDescription(/hello from Bob/);
    expect(within(bob).getByTestId("unread")).toHaveTextContent("1");
    expect(screen.getByRole("button", { name: "Carol, offline" })).toHaveAccessibleDescription(/Last seen/);
  });

  it("adds a new user and follows presence live", async () => {
    setup();
    await screen.findByRole("button", { name: "Bob, online" });
    await connected();
    act(() => {
      lastSocket().serverSends("user", { id: "dave", name: "Dave", avatar: null, online: false, last_seen: null });
      lastSocket().serverSends("presence", { user_id: BOB, online: false, last_seen: new Date().toISOString() });
    });
    expect(await screen.findByRole("button", { name: "Dave, offline" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Bob, offline" })).toBeInTheDocument();
  });

  it("keeps presence and new people that arrive while the list is still loading", async () => {
    const { backend } = setup({ holdUsers: true });
    await connected();
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
    setup();
    await screen.findByRole("button", { name: "Bob, online" });
    await userEvent.type(screen.getByRole("searchbox", { name: "Search people" }), "car");
    await waitFor(() => expect(screen.queryByRole("button", { name: "Bob, online" })).not.toBeInTheDocument());
    expect(screen.getByRole("button", { name: "Carol, offline" })).toBeInTheDocument();
  });
});

describe("conversation", () => {
  const pane = () => within(screen.getByRole("region", { name: "Conversation with Bob" }));

  async function openBob() {
    const ctx = setup();
    await userEvent.click(await screen.findByRole("button", { name: "Bob, online" }));
    await waitFor(() => expect(pane().getByText("hello from Bob")).toBeInTheDocument());
    return ctx;
  }

  it("marks the conversation read up to the peer's highest seq", async () => {
    const { backend } = await openBob();
    await waitFor(() =>
      expect(backend.calls).toContainEqual(
        expect.objectContaining({ method: "POST", path: "/api/messages/read", body: { peer_id: BOB, up_to_seq: 1 } }),
      ),
    );
    expect(within(screen.getByRole("button", { name: "Bob, online" })).queryByTestId("unread")).toBeNull();
  });

  it("shows a live message once, even when the reconnect sync brings it again", async () => {
    const { backend } = await openBob();
    await connected();
    const live = message({ seq: 2, position: 150, text: "are you there?" });
    act(() => lastSocket().serverSends("message", live));
    expect(await pane().findByText("are you there?")).toBeInTheDocument();

    // Offline; one more message is sent meanwhile; back online: the sync fills the gap.
    const missed = message({ seq: 3, position: 160, text: "sent while you were away" });
    backend.routes.set("GET /api/sync", () => ({
      status: 200,
      body: { messages: [live, missed], reads: [], position: 160, more: false },
    }));
    act(() => lastSocket().goOffline());
    expect(await screen.findByRole("status")).toHaveTextContent(/reconnecting/i);
    act(() => lastSocket().goOnline());
    expect(await pane().findByText("sent while you were away")).toBeInTheDocument();
    expect(pane().getAllByText("are you there?")).toHaveLength(1);
    expect(screen.queryByRole("status")).toBeNull();
    const syncs = backend.calls.filter((c) => c.path === "/api/sync").map((c) => c.search);
    expect(syncs[0]).toContain("after=100");
  });

  it("shows the typing indicator while the peer types", async () => {
    await openBob();
    await connected();
    act(() => lastSocket().serverSends("typing", { from: BOB }));
    expect(await pane().findByText("Bob is typing…")).toBeInTheDocument();
  });

  it("sends with Enter (pending at once), and Shift+Enter adds a line", async () => {
    const { backend } = await openBob();
    let release: (m: Message) => void = () => {};
    backend.routes.set("POST /api/messages", async () => {
      const m = await new Promise<Message>((resolve) => (release = resolve));
      return { status: 201, body: { message: m } };
    });
    const box = screen.getByRole("textbox", { name: "Message" });
    await userEvent.type(box, "first line{Shift>}{Enter}{/Shift}second line");
    expect(box).toHaveValue("first line\nsecond line");
    await userEvent.type(box, "{Enter}");
    expect(box).toHaveValue("");
    const bubble = await pane().findByText(/first line/);
    expect(bubble.closest("[data-testid=message]")).toHaveAttribute("data-status", "pending");
    expect(pane().getByText("Sending…")).toBeInTheDocument();
    const sent = backend.calls.find((c) => c.path === "/api/messages" && c.method === "POST")!.body as {
      client_msg_id: string;
    };
    act(() =>
      release(
        message({
          seq: 2,
          sender_id: ME,
          receiver_id: BOB,
          text: "first line\nsecond line",
          client_msg_id: sent.client_msg_id,
        }),
      ),
    );
    await waitFor(() =>
      expect(pane().getByText(/first line/).closest("[data-testid=message]")).toHaveAttribute("data-status", "sent"),
    );
    expect(pane().getAllByTestId("message")).toHaveLength(2);
  });

  it("sends quick messages one after another, so they keep the order they were written in", async () => {
    const { backend } = await openBob();
    const releases: (() => void)[] = [];
    let seq = 1;
    backend.routes.set("POST /api/messages", async (body) => {
      await new Promise<void>((resolve) => releases.push(resolve));
      const { text, client_msg_id } = body as { text: string; client_msg_id: string };
      const sent = message({ seq: ++seq, sender_id: ME, receiver_id: BOB, text, client_msg_id });
      return { status: 201, body: { message: sent } };
    });
    const box = screen.getByRole("textbox", { name: "Message" });
    await userEvent.type(box, "one{Enter}two{Enter}");
    const posts = () => backend.calls.filter((c) => c.path === "/api/messages" && c.method === "POST");
    await waitFor(() => expect(posts()).toHaveLength(1));
    expect((posts()[0]!.body as { text: string }).text).toBe("one");
    act(() => releases[0]!());
    await waitFor(() => expect(posts()).toHaveLength(2));
    expect((posts()[1]!.body as { text: string }).text).toBe("two");
    act(() => releases[1]!());
    await waitFor(() =>
      expect(pane().getByText("two").closest("[data-testid=message]")).toHaveAttribute("data-status", "sent"),
    );
  });

  it("a failed send can be retried with the same client_msg_id", async () => {
    const { backend } = await openBob();
    backend.routes.set("POST /api/messages", () => ({ status: 503, body: { detail: "the event store is unavailable" } }));
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "try me{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("Not sent: The event store is unavailable");

    backend.routes.set("POST /api/messages", (body) => ({
      status: 201,
      body: {
        message: message({
          seq: 2,
          sender_id: ME,
          receiver_id: BOB,
          text: "try me",
          client_msg_id: (body as { client_msg_id: string }).client_msg_id,
        }),
      },
    }));
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(screen.queryByRole("alert")).toBeNull());
    const ids = backend.calls
      .filter((c) => c.path === "/api/messages" && c.method === "POST")
      .map((c) => (c.body as { client_msg_id: string }).client_msg_id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
    expect(pane().getAllByText("try me")).toHaveLength(1);
  });

  it("has the labelled controls the composer promises", async () => {
    await openBob();
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Emoji" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Attach file" })).toBeInTheDocument();
  });
});

describe("profile", () => {
  it("renames me from my profile: a refused name shows next to the field, an accepted one in the sidebar", async () => {
    const { backend } = setup();
    await connected();
    await userEvent.click(await screen.findByRole("button", { name: "Edit profile: Me Myself" }));
    const dialog = screen.getByRole("dialog", { name: "Your profile" });

    backend.routes.set("PUT /api/profile", () => ({
      status: 422,
      body: {
        detail: "name: must not be empty",
        errors: [{ loc: ["body", "name"], msg: "Value error, must not be empty", type: "value_error" }],
      },
    }));
    await userEvent.clear(within(dialog).getByLabelText("Name"));
    await userEvent.type(within(dialog).getByLabelText("Name"), "   ");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(within(dialog).getByLabelText("Name")).toHaveAttribute("aria-invalid", "true"));
    expect(within(dialog).getByRole("alert")).toHaveTextContent("Must not be empty");

    backend.routes.set("PUT /api/profile", (body) => ({
      status: 200,
      body: { user: { id: ME, name: (body as { name: string }).name, avatar: null } },
    }));
    await userEvent.clear(within(dialog).getByLabelText("Name"));
    await userEvent.type(within(dialog).getByLabelText("Name"), "Me Renamed");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("button", { name: "Edit profile: Me Renamed" })).toBeInTheDocument();
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.calls.filter((c) => c.method === "PUT").map((c) => c.body)).toEqual([
      { name: "   " },
      { name: "Me Renamed" },
    ]);
  });

  it("refuses a file that is not a picture before uploading anything, and Escape closes", async () => {
    const { backend } = setup();
    await connected();
    await userEvent.click(await screen.findByRole("button", { name: "Edit profile: Me Myself" }));
    const dialog = screen.getByRole("dialog", { name: "Your profile" });
    const pdf = new File(["%PDF-1.4"], "cv.pdf", { type: "application/pdf" });
    await userEvent.upload(within(dialog).getByLabelText("Profile picture"), pdf, { applyAccept: false });
    expect(within(dialog).getByRole("alert")).toHaveTextContent("Choose a JPG, PNG, WebP or GIF picture.");
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.calls.some((c) => c.method === "PUT" || c.path === "/api/uploads")).toBe(false);
  });
});
