import { act, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import {
  bobsConversation,
  connectSocket,
  openConversationWithBob,
  resetChatAppBetweenTests,
} from "../../test/chatApp.tsx";
import { lastSocket } from "../../test/fakeSocket.ts";
import { BOB, message } from "../../test/fixtures.ts";

vi.mock("socket.io-client", () => import("../../test/fakeSocket.ts"));

resetChatAppBetweenTests();

describe("conversation", () => {
  it("marks the conversation read up to the peer's highest seq", async () => {
    const { backend } = await openConversationWithBob();
    await waitFor(() =>
      expect(backend.calls).toContainEqual(
        expect.objectContaining({ method: "POST", path: "/api/messages/read", body: { peer_id: BOB, up_to_seq: 1 } }),
      ),
    );
    expect(within(screen.getByRole("button", { name: "Bob, online" })).queryByTestId("unread")).toBeNull();
  });

  it("shows a live message once, even when the reconnect sync brings it again", async () => {
    const { backend } = await openConversationWithBob();
    await connectSocket();
    const live = message({ seq: 2, position: 150, text: "are you there?" });
    act(() => lastSocket().serverSends("message", live));
    expect(await bobsConversation().findByText("are you there?")).toBeInTheDocument();

    // Offline; one more message is sent meanwhile; back online: the sync fills the gap.
    const missed = message({ seq: 3, position: 160, text: "sent while you were away" });
    backend.routes.set("GET /api/sync", () => ({
      status: 200,
      body: { messages: [live, missed], reads: [], position: 160, more: false },
    }));
    act(() => lastSocket().goOffline());
    expect(await screen.findByRole("status")).toHaveTextContent(/reconnecting/i);
    act(() => lastSocket().goOnline());
    expect(await bobsConversation().findByText("sent while you were away")).toBeInTheDocument();
    expect(bobsConversation().getAllByText("are you there?")).toHaveLength(1);
    expect(screen.queryByRole("status")).toBeNull();
    const syncs = backend.calls.filter((c) => c.path === "/api/sync").map((c) => c.search);
    expect(syncs[0]).toContain("after=100");
  });

  it("shows the typing indicator while the peer types", async () => {
    await openConversationWithBob();
    await connectSocket();
    act(() => lastSocket().serverSends("typing", { from: BOB }));
    expect(await bobsConversation().findByText("Bob is typing…")).toBeInTheDocument();
  });
});
