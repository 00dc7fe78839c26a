import type { QueryClient } from "@tanstack/react-query";
import type { Message, Read, UserEntry } from "../api/types.ts";
import { applyMessageToUsers, applyReadToUsers, bySeq, mergeById, peerOf } from "./cache.ts";
import { queryKeys } from "./queryKeys.ts";

/**
 * Put messages (from the API, the socket or a sync) into every cached view that shows them. Returns the peers
 * the client does not know yet (no loaded page had them), for the caller to look up.
 */
export function applyMessagesToCache(queryClient: QueryClient, messages: readonly Message[], meId: string): string[] {
  if (messages.length === 0) return [];
  const byPeer = new Map<string, Message[]>();
  for (const message of messages) {
    const peerId = peerOf(message, meId);
    byPeer.set(peerId, [...(byPeer.get(peerId) ?? []), message]);
  }
  for (const [peerId, list] of byPeer) {
    // Kept apart from the history pages, so a message that arrives while the history is
    // still loading (or before the read model has it) is never lost.
    queryClient.setQueryData<Message[]>(queryKeys.live(peerId), (old) => mergeById(old ?? [], list));
  }
  const ordered = [...messages].sort(bySeq);
  queryClient.setQueryData<UserEntry[]>(queryKeys.users, (old) =>
    old ? ordered.reduce((acc, m) => applyMessageToUsers(acc, m, meId), old) : old,
  );
  const known = new Set((queryClient.getQueryData<UserEntry[]>(queryKeys.users) ?? []).map((u) => u.id));
  return [...byPeer.keys()].filter((peerId) => !known.has(peerId));
}

export function applyReadsToCache(queryClient: QueryClient, reads: readonly Read[], meId: string): void {
  if (reads.length === 0) return;
  queryClient.setQueryData<UserEntry[]>(queryKeys.users, (old) =>
    old ? reads.reduce((acc, r) => applyReadToUsers(acc, r, meId), old) : old,
  );
}
