// Pure merges of server data into what the TanStack Query cache holds (under the keys of queryKeys.ts).
// Each one is idempotent: applying the same message or read twice (live event + sync, or a retried send)
// leaves the cache as applying it once did.
import type { InfiniteData } from "@tanstack/react-query";
import type {
  ConversationSummary,
  Me,
  Message,
  MessagesPage,
  Presence,
  Read,
  UserEntry,
  UserUpdate,
} from "../api/types.ts";

export type MessagesData = InfiniteData<MessagesPage, number | null>;

/** The other participant of a message, from my point of view. */
export function peerOf(message: Pick<Message, "sender_id" | "receiver_id">, meId: string): string {
  return message.sender_id === meId ? message.receiver_id : message.sender_id;
}

export function bySeq(a: Message, b: Message): number {
  return a.seq - b.seq;
}

/** Every loaded message of a conversation, oldest first, each id once. */
export function flattenPages(data: InfiniteData<MessagesPage, unknown> | undefined): Message[] {
  if (!data) return [];
  const seen = new Set<string>();
  const out: Message[] = [];
  // pages[0] is the newest page; older pages follow.
  for (let i = data.pages.length - 1; i >= 0; i--) {
    for (const message of data.pages[i]?.messages ?? []) {
      if (seen.has(message.id)) continue;
      seen.add(message.id);
      out.push(message);
    }
  }
  return out.sort(bySeq);
}

/**
 * Add messages to a list (oldest first), ignoring ids it already has. Returns the same
 * array when nothing is new, so React and TanStack Query see no change.
 */
export function mergeById(existing: readonly Message[], incoming: readonly Message[]): Message[] {
  const ids = new Set(existing.map((m) => m.id));
  const fresh: Message[] = [];
  for (const message of incoming) {
    if (ids.has(message.id)) continue;
    ids.add(message.id);
    fresh.push(message);
  }
  if (fresh.length === 0) return existing as Message[];
  return [...existing, ...fresh].sort(bySeq);
}

function emptySummary(conversationId: string): ConversationSummary {
  return {
    conversation_id: conversationId,
    last_message: null,
    last_activity_at: null,
    unread: 0,
    read_seq: 0,
    peer_read_seq: 0,
  };
}

function updateUser(
  users: UserEntry[],
  userId: string,
  change: (user: UserEntry) => UserEntry,
): UserEntry[] {
  const index = users.findIndex((u) => u.id === userId);
  if (index === -1) return users;
  const before = users[index]!;
  const after = change(before);
  if (after === before) return users;
  const next = [...users];
  next[index] = after;
  return next;
}

/** A message changes the sidebar: preview, activity time and (from the peer) the unread count. */
export function applyMessageToUsers(users: UserEntry[], message: Message, meId: string): UserEntry[] {
  const peerId = peerOf(message, meId);
  return updateUser(users, peerId, (user) => {
    const summary = user.conversation ?? emptySummary(message.conversation_id);
    const lastSeq = summary.last_message?.seq ?? 0;
    if (message.seq <= lastSeq) return user;
    const fromPeer = message.sender_id === peerId;
    const unread = fromPeer && message.seq > summary.read_seq ? summary.unread + 1 : summary.unread;
    return {
      ...user,
      conversation: {
        ...summary,
        last_message: message,
        last_activity_at: message.sent_at,
        unread,
      },
    };
  });
}

/** A read receipt: mine clears my unread count; the peer's moves the "seen" mark on my messages. */
export function applyReadToUsers(users: UserEntry[], read: Read, meId: string): UserEntry[] {
  if (read.reader_id === meId) {
    return updateUser(users, read.peer_id, (user) => {
      const summary = user.conversation ?? emptySummary(read.conversation_id);
      if (read.up_to_seq <= summary.read_seq && summary.unread === 0) return user;
      const lastSeq = summary.last_message?.seq ?? 0;
      const readSeq = Math.max(summary.read_seq, read.up_to_seq);
      return {
        ...user,
        conversation: { ...summary, read_seq: readSeq, unread: readSeq >= lastSeq ? 0 : summary.unread },
      };
    });
  }
  return updateUser(users, read.reader_id, (user) => {
    const summary = user.conversation ?? emptySummary(read.conversation_id);
    if (read.up_to_seq <= summary.peer_read_seq) return user;
    return { ...user, conversation: { ...summary, peer_read_seq: read.up_to_seq } };
  });
}

/** Mark my side of a conversation read up to `upToSeq` (optimistically, before the server answers). */
export function markReadInUsers(users: UserEntry[], peerId: string, upToSeq: number): UserEntry[] {
  return updateUser(users, peerId, (user) => {
    const summary = user.conversation;
    if (!summary) return user;
    if (summary.unread === 0 && summary.read_seq >= upToSeq) return user;
    return {
      ...user,
      conversation: { ...summary, read_seq: Math.max(summary.read_seq, upToSeq), unread: 0 },
    };
  });
}

/** Raise the peer's read mark to at least `peerReadSeq` (from a history page). */
export function raisePeerRead(users: UserEntry[], peerId: string, peerReadSeq: number): UserEntry[] {
  return updateUser(users, peerId, (user) => {
    const summary = user.conversation;
    if (!summary || summary.peer_read_seq >= peerReadSeq) return user;
    return { ...user, conversation: { ...summary, peer_read_seq: peerReadSeq } };
  });
}

export function applyPresence(users: UserEntry[], presence: Presence): UserEntry[] {
  return updateUser(users, presence.user_id, (user) =>
    user.online === presence.online && user.last_seen === presence.last_seen
      ? user
      : { ...user, online: presence.online, last_seen: presence.last_seen ?? user.last_seen },
  );
}

/** Several presence changes at once (the `presences` socket event), applied in order. */
export function applyPresences(users: UserEntry[], changes: Presence[]): UserEntry[] {
  return changes.reduce((current, presence) => applyPresence(current, presence), users);
}

/**
 * Someone registered (add them) or changed their profile (update them). A profile change carries only
 * `{id, name, avatar}`: presence and the conversation are kept. Never adds me.
 */
export function upsertUser(users: UserEntry[], user: UserUpdate, meId: string): UserEntry[] {
  if (user.id === meId) return users;
  const index = users.findIndex((u) => u.id === user.id);
  if (index === -1) return [...users, { online: false, last_seen: null, ...definedFields(user), conversation: null }];
  const before = users[index]!;
  const next = [...users];
  next[index] = { ...before, ...definedFields(user), conversation: before.conversation ?? null };
  return next;
}

export function updateMe(me: Me, user: UserUpdate): Me {
  return user.id === me.id ? { ...me, ...definedFields(user) } : me;
}

/** The fields an event actually carries (a missing or undefined field never erases what is known). */
function definedFields(user: UserUpdate): UserUpdate {
  return Object.fromEntries(Object.entries(user).filter(([, value]) => value !== undefined)) as UserUpdate;
}

function newerSummary(
  old: ConversationSummary | null | undefined,
  fresh: ConversationSummary | null | undefined,
): ConversationSummary | null {
  if (!old) return fresh ?? null;
  if (!fresh) return old;
  const oldSeq = old.last_message?.seq ?? 0;
  const freshSeq = fresh.last_message?.seq ?? 0;
  const base = freshSeq >= oldSeq ? fresh : old;
  const readSeq = Math.max(old.read_seq, fresh.read_seq);
  const lastSeq = base.last_message?.seq ?? 0;
  return {
    ...base,
    read_seq: readSeq,
    peer_read_seq: Math.max(old.peer_read_seq, fresh.peer_read_seq),
    unread: readSeq >= lastSeq ? 0 : base.unread,
  };
}

/**
 * People from the server (a page, a search, a look-up) joined with the people already known. The read model
 * is eventually consistent, so an answer may lag what live events already showed: each person keeps the newer
 * conversation summary. People the answer does not mention stay as they are.
 */
export function mergePeople(known: readonly UserEntry[] | undefined, fresh: readonly UserEntry[]): UserEntry[] {
  const incoming = new Map(fresh.map((u) => [u.id, u]));
  const out = (known ?? []).map((prior) => {
    const user = incoming.get(prior.id);
    if (!user) return prior;
    incoming.delete(prior.id);
    return { ...user, conversation: newerSummary(prior.conversation, user.conversation) };
  });
  for (const user of incoming.values()) out.push(user);
  return out;
}
