import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import type { ConversationSummary, Message, UserEntry } from "../../api/types.ts";
import { useApi } from "../../data/ApiClientProvider.tsx";
import { markReadInUsers } from "../../data/cache.ts";
import { queryKeys } from "../../data/queryKeys.ts";
import { usePageVisible } from "../../lib/usePageVisible.ts";

/** The highest seq among the peer's messages, or 0. */
export function highestPeerSeq(messages: readonly Message[], peerId: string): number {
  let highest = 0;
  for (const m of messages) if (m.sender_id === peerId && m.seq > highest) highest = m.seq;
  return highest;
}

/** Whether viewing the conversation should send a read receipt for `upTo`. */
export function needsReadReceipt(
  upTo: number,
  summary: ConversationSummary | null | undefined,
  alreadySent: number,
): boolean {
  if (upTo <= 0 || upTo <= alreadySent) return false;
  return upTo > (summary?.read_seq ?? 0) || (summary?.unread ?? 0) > 0;
}

/** While a conversation is on screen, mark it read up to the peer's newest message. */
export function useMarkRead(peerId: string, messages: readonly Message[], summary: ConversationSummary | null | undefined) {
  const api = useApi();
  const queryClient = useQueryClient();
  const visible = usePageVisible();
  // The receipt already sent, per peer: one POST per new high-water mark.
  const sent = useRef(new Map<string, number>());
  const upTo = highestPeerSeq(messages, peerId);

  useEffect(() => {
    const already = sent.current.get(peerId) ?? 0;
    if (!visible || !needsReadReceipt(upTo, summary, already)) return;
    sent.current.set(peerId, upTo);
    queryClient.setQueryData<UserEntry[]>(queryKeys.users, (old) => (old ? markReadInUsers(old, peerId, upTo) : old));
    api.markRead(peerId, upTo).catch(() => {
      // Not recorded (offline, or another tab's receipt won a race): the next new message sends a fresh one.
    });
  }, [api, queryClient, peerId, upTo, summary, visible]);
}
