import { useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";
import type { Message, UserEntry } from "../../api/types.ts";
import { useApi } from "../../data/ApiClientProvider.tsx";
import { flattenPages, mergeById, raisePeerRead } from "../../data/cache.ts";
import { outboxFor, type OutboxEntry } from "../../data/outbox.ts";
import { useOutbox } from "../../data/OutboxProvider.tsx";
import { queryKeys } from "../../data/queryKeys.ts";

const PAGE_SIZE = 50;

export type ConversationView = {
  /** Confirmed messages, oldest first, each once. */
  messages: Message[];
  /** My messages not confirmed yet (pending or failed), in the order I sent them. */
  outgoing: OutboxEntry[];
  isLoading: boolean;
  error: unknown;
  hasOlder: boolean;
  isLoadingOlder: boolean;
  loadOlder: () => void;
};

/** One conversation: history pages (older ones on demand), live arrivals and my unsent messages. */
export function useConversation(peerId: string): ConversationView {
  const api = useApi();
  const queryClient = useQueryClient();
  const { state: outbox } = useOutbox();

  const history = useInfiniteQuery({
    queryKey: queryKeys.messages(peerId),
    queryFn: ({ pageParam }) => api.messages(peerId, pageParam, PAGE_SIZE),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.next_before ?? undefined,
    staleTime: Number.POSITIVE_INFINITY,
  });

  const live = useQuery({
    queryKey: queryKeys.live(peerId),
    queryFn: () => queryClient.getQueryData<Message[]>(queryKeys.live(peerId)) ?? [],
    staleTime: Number.POSITIVE_INFINITY,
  });

  // A history page knows how far the peer has read: feed the "seen" marks.
  const newest = history.data?.pages[0];
  useEffect(() => {
    const seq = newest?.peer_read_seq;
    if (typeof seq !== "number") return;
    queryClient.setQueryData<UserEntry[]>(queryKeys.users, (old) => (old ? raisePeerRead(old, peerId, seq) : old));
  }, [newest, peerId, queryClient]);

  const messages = useMemo(
    () => mergeById(flattenPages(history.data), live.data ?? []),
    [history.data, live.data],
  );
  const outgoing = useMemo(() => {
    const confirmed = new Set(messages.map((m) => m.client_msg_id));
    return outboxFor(outbox, peerId, confirmed);
  }, [messages, outbox, peerId]);

  const { hasNextPage, isFetchingNextPage, fetchNextPage } = history;
  return {
    messages,
    outgoing,
    isLoading: history.isPending,
    error: history.error,
    hasOlder: hasNextPage,
    isLoadingOlder: isFetchingNextPage,
    loadOlder: () => {
      if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
    },
  };
}
