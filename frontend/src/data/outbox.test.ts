import { describe, expect, it } from "vitest";
import { EMPTY_OUTBOX, newClientMsgId, outboxFor, outboxReducer, type OutboxState } from "./outbox.ts";

const entry = {
  clientMsgId: "c1",
  peerId: "bob",
  type: "text" as const,
  text: "hi",
  media: null,
  createdAt: "2026-03-02T10:00:00Z",
};

function queued(): OutboxState {
  return outboxReducer(EMPTY_OUTBOX, { type: "queued", entry });
}

describe("outbox (optimistic sends)", () => {
  it("a queued message is pending", () => {
    expect(queued().entries).toEqual([{ ...entry, status: "pending", error: null }]);
  });

  it("pending → failed keeps the reason; retry → pending with the same client_msg_id", () => {
    const failed = outboxReducer(queued(), { type: "failed", clientMsgId: "c1", error: "Offline" });
    expect(failed.entries[0]).toMatchObject({ status: "failed", error: "Offline" });
    const retried = outboxReducer(failed, { type: "retrying", clientMsgId: "c1" });
    expect(retried.entries[0]).toMatchObject({ status: "pending", error: null, clientMsgId: "c1" });
  });

  it("confirmed (by the API answer or the socket echo) removes it; a second confirmation is a no-op", () => {
    const done = outboxReducer(queued(), { type: "confirmed", clientMsgIds: ["c1"] });
    expect(done.entries).toEqual([]);
    expect(outboxReducer(done, { type: "confirmed", clientMsgIds: ["c1"] })).toBe(done);
  });

  it("queuing the same client_msg_id twice keeps one entry", () => {
    expect(outboxReducer(queued(), { type: "queued", entry }).entries).toHaveLength(1);
  });

  it("shows only this conversation's entries that the server has not confirmed yet", () => {
    let state = queued();
    state = outboxReducer(state, { type: "queued", entry: { ...entry, clientMsgId: "c2" } });
    state = outboxReducer(state, { type: "queued", entry: { ...entry, clientMsgId: "c3", peerId: "carol" } });
    expect(outboxFor(state, "bob", new Set(["c1"])).map((e) => e.clientMsgId)).toEqual(["c2"]);
  });

  it("client message ids are UUIDs, fresh each time", () => {
    const a = newClientMsgId();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(newClientMsgId()).not.toBe(a);
  });
});
