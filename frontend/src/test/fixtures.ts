import type { ConversationSummary, Message, Read, UserEntry } from "../api/types.ts";

export const ME = "me";
export const BOB = "bob";
export const CONV = "dm:bob:me";

let n = 0;

export function message(over: Partial<Message> & { seq: number }): Message {
  n++;
  return {
    id: `m${over.seq}-${n}`,
    position: over.seq * 10,
    conversation_id: CONV,
    sender_id: BOB,
    receiver_id: ME,
    type: "text",
    text: `message ${over.seq}`,
    media: null,
    client_msg_id: `c-${over.seq}-${n}`,
    sent_at: "2026-03-02T10:00:00Z",
    ...over,
  };
}

export function summary(over: Partial<ConversationSummary> = {}): ConversationSummary {
  return {
    conversation_id: CONV,
    last_message: null,
    last_activity_at: null,
    unread: 0,
    read_seq: 0,
    peer_read_seq: 0,
    ...over,
  };
}

export function user(over: Partial<UserEntry> & { id: string; name: string }): UserEntry {
  return { avatar: null, online: false, last_seen: null, conversation: null, ...over };
}

export function read(over: Partial<Read> & { up_to_seq: number }): Read {
  return {
    conversation_id: CONV,
    reader_id: BOB,
    peer_id: ME,
    read_at: "2026-03-02T10:05:00Z",
    position: 1000 + over.up_to_seq,
    ...over,
  };
}
