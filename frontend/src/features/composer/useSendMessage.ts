import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useRef } from "react";
import { errorMessage } from "../../api/errors.ts";
import type { Media, MessageType } from "../../api/types.ts";
import { useApi } from "../../data/ApiClientProvider.tsx";
import { applyMessagesToCache } from "../../data/applyToCache.ts";
import { newClientMsgId, type OutboxEntry } from "../../data/outbox.ts";
import { useOutbox } from "../../data/OutboxProvider.tsx";

type Draft = { peerId: string; text: string; media?: Media | null };

/**
 * Send with optimistic display: the message shows as pending at once, failed on error, and can be retried.
 * Sends go out one after another, so messages arrive in the order they were written (a caption and several
 * files sent together, or lines sent quickly, are not reordered by racing requests).
 */
export function useSendMessage(meId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const { dispatch } = useOutbox();
  const queue = useRef<Promise<void>>(Promise.resolve());

  const deliver = useCallback(
    async (entry: Pick<OutboxEntry, "clientMsgId" | "peerId" | "type" | "text" | "media">) => {
      try {
        const message = await api.sendMessage({
          to: entry.peerId,
          type: entry.type,
          client_msg_id: entry.clientMsgId,
          ...(entry.text ? { text: entry.text } : {}),
          ...(entry.media ? { media_id: entry.media.id } : {}),
        });
        applyMessagesToCache(queryClient, [message], meId);
        dispatch({ type: "confirmed", clientMsgIds: [entry.clientMsgId] });
      } catch (error) {
        dispatch({ type: "failed", clientMsgId: entry.clientMsgId, error: errorMessage(error) });
      }
    },
    [api, queryClient, dispatch, meId],
  );

  const send = useCallback(
    ({ peerId, text, media = null }: Draft) => {
      const type: MessageType = media ? media.kind : "text";
      const entry = {
        clientMsgId: newClientMsgId(),
        peerId,
        type,
        text,
        media,
        createdAt: new Date().toISOString(),
      };
      dispatch({ type: "queued", entry });
      // deliver() never rejects (a failure marks the entry failed), so the chain never breaks.
      queue.current = queue.current.then(() => deliver(entry));
    },
    [dispatch, deliver],
  );

  /** Try again with the same client_msg_id, so a first try that did land is not sent twice. */
  const retry = useCallback(
    (entry: OutboxEntry) => {
      dispatch({ type: "retrying", clientMsgId: entry.clientMsgId });
      void deliver(entry);
    },
    [dispatch, deliver],
  );

  const discard = useCallback(
    (entry: OutboxEntry) => dispatch({ type: "discarded", clientMsgId: entry.clientMsgId }),
    [dispatch],
  );

  return { send, retry, discard };
}
