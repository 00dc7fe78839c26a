import type { Media, Message } from "../../api/types.ts";
import type { OutboxEntry } from "../../data/outbox.ts";

export type DeliveryStatus = "received" | "sent" | "seen" | "pending" | "failed";

/** One bubble in the conversation, whether the server has it yet or not. */
export type TimelineMessage = {
  key: string;
  mine: boolean;
  text: string;
  media: Media | null;
  sentAt: Date;
  seq: number | null;
  status: DeliveryStatus;
  error: string | null;
  entry: OutboxEntry | null;
  /** Last bubble of a run by the same sender: show its time (and status) below it. */
  endsGroup: boolean;
};

const GROUP_GAP_MS = 5 * 60 * 1000;

/**
 * Confirmed messages (oldest first) then my unconfirmed ones. "Seen" when the peer's
 * read mark reached the message's seq.
 */
export function buildTimeline(
  messages: readonly Message[],
  outgoing: readonly OutboxEntry[],
  meId: string,
  peerReadSeq: number,
): TimelineMessage[] {
  const rows: TimelineMessage[] = messages.map((m) => {
    const mine = m.sender_id === meId;
    return {
      // Mine are keyed by client_msg_id, so a pending bubble turns into the sent one in place.
      key: mine ? `mine-${m.client_msg_id}` : m.id,
      mine,
      text: m.text,
      media: m.media,
      sentAt: new Date(m.sent_at),
      seq: m.seq,
      status: !mine ? "received" : peerReadSeq >= m.seq ? "seen" : "sent",
      error: null,
      entry: null,
      endsGroup: false,
    };
  });
  for (const e of outgoing) {
    rows.push({
      key: `mine-${e.clientMsgId}`,
      mine: true,
      text: e.text,
      media: e.media,
      sentAt: new Date(e.createdAt),
      seq: null,
      status: e.status,
      error: e.error,
      entry: e,
      endsGroup: false,
    });
  }
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const next = rows[i + 1];
    row.endsGroup =
      next === undefined ||
      next.mine !== row.mine ||
      next.sentAt.getTime() - row.sentAt.getTime() > GROUP_GAP_MS ||
      next.sentAt.toDateString() !== row.sentAt.toDateString();
  }
  return rows;
}

/** The key of my newest confirmed message: the one that carries the "Sent"/"Seen" label. */
export function lastDeliveredKey(rows: readonly TimelineMessage[]): string | null {
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i]!;
    if (row.status === "sent" || row.status === "seen") return row.key;
  }
  return null;
}
