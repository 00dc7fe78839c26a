// My messages on their way, beside the server's cache until the server has them. The composer queues them, the
// conversation shows them and the socket's echo confirms them: shared by three features, so kept with the data.
import type { Media, MessageType } from "../api/types.ts";

/** A message I sent that the server has not confirmed yet. */
export type OutboxEntry = {
  clientMsgId: string;
  peerId: string;
  type: MessageType;
  text: string;
  media: Media | null;
  status: "pending" | "failed";
  error: string | null;
  createdAt: string;
};

export type OutboxState = { entries: OutboxEntry[] };

export type OutboxAction =
  | { type: "queued"; entry: Omit<OutboxEntry, "status" | "error"> }
  | { type: "failed"; clientMsgId: string; error: string }
  | { type: "retrying"; clientMsgId: string }
  | { type: "confirmed"; clientMsgIds: readonly string[] }
  | { type: "discarded"; clientMsgId: string }
  | { type: "reset" };

export const EMPTY_OUTBOX: OutboxState = { entries: [] };

/**
 * Optimistic send states: queued → pending; pending → failed (with a reason);
 * failed → pending again on retry (same client_msg_id, so the server answers with
 * the same message if the first try did land); confirmed → gone (the real message
 * from the API or the socket takes its place).
 */
export function outboxReducer(state: OutboxState, action: OutboxAction): OutboxState {
  switch (action.type) {
    case "queued":
      if (state.entries.some((e) => e.clientMsgId === action.entry.clientMsgId)) return state;
      return { entries: [...state.entries, { ...action.entry, status: "pending", error: null }] };
    case "failed":
      return patch(state, action.clientMsgId, (e) =>
        e.status === "failed" && e.error === action.error ? e : { ...e, status: "failed", error: action.error },
      );
    case "retrying":
      return patch(state, action.clientMsgId, (e) =>
        e.status === "pending" ? e : { ...e, status: "pending", error: null },
      );
    case "confirmed": {
      const ids = new Set(action.clientMsgIds);
      const entries = state.entries.filter((e) => !ids.has(e.clientMsgId));
      return entries.length === state.entries.length ? state : { entries };
    }
    case "discarded": {
      const entries = state.entries.filter((e) => e.clientMsgId !== action.clientMsgId);
      return entries.length === state.entries.length ? state : { entries };
    }
    case "reset":
      return EMPTY_OUTBOX;
  }
}

function patch(state: OutboxState, id: string, change: (e: OutboxEntry) => OutboxEntry): OutboxState {
  let changed = false;
  const entries = state.entries.map((entry) => {
    if (entry.clientMsgId !== id) return entry;
    const next = change(entry);
    if (next !== entry) changed = true;
    return next;
  });
  return changed ? { entries } : state;
}

/** The entries to show in one conversation, leaving out any the server already confirmed. */
export function outboxFor(
  state: OutboxState,
  peerId: string,
  confirmedClientIds: ReadonlySet<string>,
): OutboxEntry[] {
  return state.entries.filter((e) => e.peerId === peerId && !confirmedClientIds.has(e.clientMsgId));
}

/** A fresh idempotency key for one message; a retry reuses it. */
export function newClientMsgId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // randomUUID exists only in secure contexts (https, localhost); build a v4 UUID otherwise.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
