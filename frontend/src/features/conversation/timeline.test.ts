import { describe, expect, it } from "vitest";
import { BOB, ME, message } from "../../test/fixtures.ts";
import type { OutboxEntry } from "../../data/outbox.ts";
import { buildTimeline, lastDeliveredKey } from "./timeline.ts";
import { highestPeerSeq, needsReadReceipt } from "./useMarkRead.ts";

const mine = (seq: number, at = "2026-03-02T10:00:00Z") =>
  message({ seq, sender_id: ME, receiver_id: BOB, sent_at: at, client_msg_id: `mine-${seq}` });

describe("buildTimeline", () => {
  it("marks my messages seen up to the peer's read seq, the rest sent", () => {
    const rows = buildTimeline([mine(1), mine(2), message({ seq: 3 })], [], ME, 1);
    expect(rows.map((r) => r.status)).toEqual(["seen", "sent", "received"]);
  });

  it("appends pending and failed sends after the confirmed messages, keyed by client_msg_id", () => {
    const failed: OutboxEntry = {
      clientMsgId: "x",
      peerId: BOB,
      type: "text",
      text: "oops",
      media: null,
      status: "failed",
      error: "Offline",
      createdAt: "2026-03-02T10:01:00Z",
    };
    const rows = buildTimeline([mine(1)], [failed], ME, 0);
    expect(rows.map((r) => [r.key, r.status])).toEqual([
      ["mine-mine-1", "sent"],
      ["mine-x", "failed"],
    ]);
  });

  it("ends a group when the sender changes or five minutes pass", () => {
    const rows = buildTimeline(
      [mine(1, "2026-03-02T10:00:00Z"), mine(2, "2026-03-02T10:01:00Z"), mine(3, "2026-03-02T10:09:00Z"), message({ seq: 4, sent_at: "2026-03-02T10:09:30Z" })],
      [],
      ME,
      0,
    );
    expect(rows.map((r) => r.endsGroup)).toEqual([false, true, true, true]);
  });

  it("puts the Sent/Seen label on my newest confirmed message only", () => {
    const rows = buildTimeline([mine(1), mine(2), message({ seq: 3 })], [], ME, 2);
    expect(lastDeliveredKey(rows)).toBe(rows[1]?.key);
  });
});

describe("read receipts", () => {
  it("reads up to the highest seq from the peer (not mine)", () => {
    expect(highestPeerSeq([message({ seq: 2 }), mine(5), message({ seq: 4 })], BOB)).toBe(4);
  });

  it("sends a receipt only for something new", () => {
    expect(needsReadReceipt(4, { conversation_id: "c", last_message: null, last_activity_at: null, unread: 1, read_seq: 3, peer_read_seq: 0 }, 0)).toBe(true);
    expect(needsReadReceipt(4, { conversation_id: "c", last_message: null, last_activity_at: null, unread: 0, read_seq: 4, peer_read_seq: 0 }, 0)).toBe(false);
    expect(needsReadReceipt(4, null, 4)).toBe(false);
    expect(needsReadReceipt(0, null, 0)).toBe(false);
  });
});
