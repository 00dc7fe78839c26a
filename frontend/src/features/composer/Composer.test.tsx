import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Message } from "../../api/types.ts";
import { bobsConversation, openConversationWithBob, resetChatAppBetweenTests } from "../../test/chatApp.tsx";
import { BOB, ME, message } from "../../test/fixtures.ts";

vi.mock("socket.io-client", () => import("../../test/fakeSocket.ts"));

resetChatAppBetweenTests();

describe("composer", () => {
  it("sends with Enter (pending at once), and Shift+Enter adds a line", async () => {
    const { backend } = await openConversationWithBob();
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
    const bubble = await bobsConversation().findByText(/first line/);
    expect(bubble.closest("[data-testid=message]")).toHaveAttribute("data-status", "pending");
    expect(bobsConversation().getByText("Sending…")).toBeInTheDocument();
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
      expect(bobsConversation().getByText(/first line/).closest("[data-testid=message]")).toHaveAttribute("data-status", "sent"),
    );
    expect(bobsConversation().getAllByTestId("message")).toHaveLength(2);
  });

  it("sends quick messages one after another, so they keep the order they were written in", async () => {
    const { backend } = await openConversationWithBob();
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
      expect(bobsConversation().getByText("two").closest("[data-testid=message]")).toHaveAttribute("data-status", "sent"),
    );
  });

  it("a failed send can be retried with the same client_msg_id", async () => {
    const { backend } = await openConversationWithBob();
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
    expect(bobsConversation().getAllByText("try me")).toHaveLength(1);
  });

  it("has the labelled controls the composer promises", async () => {
    await openConversationWithBob();
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Emoji" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Attach file" })).toBeInTheDocument();
  });
});
