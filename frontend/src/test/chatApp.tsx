// The whole app against a fake backend and a fake socket, for the tests that follow one behaviour through every
// layer (the auth, sidebar, conversation, composer and profile tests). A test file using it also mocks the socket:
//   vi.mock("socket.io-client", () => import("../../test/fakeSocket.ts"));
// (vi.mock is hoisted within its own file only, so it cannot live here.)
import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, expect } from "vitest";
import type { Me } from "../api/types.ts";
import App, { createQueryClient } from "../App.tsx";
import { fakeBackend } from "./fakeBackend.ts";
import { lastSocket, sockets } from "./fakeSocket.ts";
import { BOB, ME, message, summary, user } from "./fixtures.ts";

export const me: Me = { id: ME, name: "Me Myself", email: "me@example.com", avatar: null, online: true, last_seen: null };

/** Each test starts with no socket, nothing stored and no conversation open. Call once at the top of a file. */
export function resetChatAppBetweenTests(): void {
  beforeEach(() => {
    sockets.length = 0;
    localStorage.clear();
  });
  afterEach(() => {
    window.location.hash = "";
  });
}

/**
 * Render the app with Bob (online, one unread message "hello from Bob") and Carol (offline). `signedIn`: whether
 * the refresh cookie holds a session; `holdUsers`: the people list waits for `backend.releaseUsers()`.
 */
export function renderChatApp({ signedIn = true, holdUsers = false } = {}) {
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

/** Wait for the app's socket, then connect it. */
export async function connectSocket(): Promise<void> {
  await waitFor(() => expect(sockets.length).toBeGreaterThan(0));
  act(() => lastSocket().goOnline());
}

/** The open conversation with Bob. */
export const bobsConversation = () => within(screen.getByRole("region", { name: "Conversation with Bob" }));

/** Render the app signed in and open the conversation with Bob, once his message shows. */
export async function openConversationWithBob() {
  const app = renderChatApp();
  await userEvent.click(await screen.findByRole("button", { name: "Bob, online" }));
  await waitFor(() => expect(bobsConversation().getByText("hello from Bob")).toBeInTheDocument());
  return app;
}
