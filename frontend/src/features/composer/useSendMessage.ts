import { useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { errorMessage } from "../../api/errors.ts";
import type { Media, MessageType } from "../../api/types.ts";
import { useApi } from "../auth/AuthProvider.tsx";
import { applyMessagesToCache } from "../realtime/applyToCache.ts";
import { newClientMsgId, type OutboxEntry } from "./outbox.ts";
import { useOutbox } from "./OutboxProvider.tsx";

type Draft = { peerId: string; text: string; media?: Media | null };

/** Send with optimistic display: the message shows as pending at once, failed on error, and can be retried. */
export function useSendMessage(meId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const { dispatch } = useOutbox();

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
      void deliver(entry);
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
