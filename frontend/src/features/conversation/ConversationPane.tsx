import { useMemo } from "react";
import { useDropzone } from "react-dropzone";
import { errorMessage } from "../../api/errors.ts";
import type { Me, UserEntry } from "../../api/types.ts";
import { useNow } from "../../lib/useNow.ts";
import { Composer } from "../composer/Composer.tsx";
import { useAttachments } from "../composer/useAttachments.ts";
import { useSendMessage } from "../composer/useSendMessage.ts";
import { useChatSocket } from "../realtime/ChatSocketProvider.tsx";
import { withDateSeparators } from "./dateSeparators.ts";
import { ConversationHeader } from "./ConversationHeader.tsx";
import { MessageList } from "./MessageList.tsx";
import { buildTimeline, lastDeliveredKey } from "./timeline.ts";
import { TypingIndicator } from "./TypingIndicator.tsx";
import { useConversation } from "./useConversation.ts";
import { useMarkRead } from "./useMarkRead.ts";

/** One conversation: header, history, typing indicator and composer; files can be dropped anywhere on it. */
export function ConversationPane({ peer, me, onBack }: { peer: UserEntry; me: Me; onBack: () => void }) {
  const conversation = useConversation(peer.id);
  const { send, retry, discard } = useSendMessage(me.id);
  const { sendTyping } = useChatSocket();
  const { attachments, add, remove, clear } = useAttachments();
  const now = useNow(60_000);
  useMarkRead(peer.id, conversation.messages, peer.conversation);

  const { getRootProps, getInputProps, isDragActive, open } = useDropzone({
    onDrop: (files) => add(files),
    noClick: true,
    noKeyboard: true,
    multiple: true,
  });

  const peerReadSeq = peer.conversation?.peer_read_seq ?? 0;
  const timeline = useMemo(
    () => buildTimeline(conversation.messages, conversation.outgoing, me.id, peerReadSeq),
    [conversation.messages, conversation.outgoing, me.id, peerReadSeq],
  );
  const rows = useMemo(
    () =>
      withDateSeparators(
        timeline,
        (row) => row.sentAt,
        (row) => row.key,
        now,
      ),
    [timeline, now],
  );

  return (
    <section
      {...getRootProps({
        role: "region",
        "aria-label": `Conversation with ${peer.name}`,
        className: "relative flex h-full min-h-0 flex-col bg-slate-50 dark:bg-slate-950",
      })}
    >
      <input {...getInputProps({ "aria-hidden": true, tabIndex: -1 })} data-testid="file-input" />
      <ConversationHeader peer={peer} onBack={onBack} />
      {conversation.isLoading ? (
        <p className="flex flex-1 items-center justify-center text-sm text-slate-500">Loading messages…</p>
      ) : conversation.error && timeline.length === 0 ? (
        <p role="alert" className="flex flex-1 items-center justify-center px-6 text-center text-sm text-red-600">
          Could not load the conversation. {errorMessage(conversation.error)}
        </p>
      ) : timeline.length === 0 ? (
        <div className="flex flex-1 flex-col items-center justify-center gap-2 px-6 text-center text-slate-500 dark:text-slate-400">
          <p className="text-lg font-medium text-slate-700 dark:text-slate-200">Say hello to {peer.name} 👋</p>
          <p className="text-sm">Messages, photos, videos and files you share appear here.</p>
        </div>
      ) : (
        <MessageList
          rows={rows}
          deliveredKey={lastDeliveredKey(timeline)}
          hasOlder={conversation.hasOlder}
          isLoadingOlder={conversation.isLoadingOlder}
          loadOlder={conversation.loadOlder}
          onRetry={retry}
          onDiscard={discard}
        />
      )}
      <TypingIndicator peerId={peer.id} name={peer.name} />
      <Composer
        key={peer.id}
        attachments={attachments}
        onAttach={open}
        onRemoveAttachment={remove}
        onSend={(text, media) => send({ peerId: peer.id, text, media })}
        onSent={clear}
        onTyping={() => sendTyping(peer.id)}
      />
      {isDragActive && (
        <div className="pointer-events-none absolute inset-2 z-30 flex items-center justify-center rounded-2xl border-2 border-dashed border-indigo-500 bg-indigo-50/90 text-lg font-medium text-indigo-700 dark:bg-indigo-950/90 dark:text-indigo-200">
          Drop files to send to {peer.name}
        </div>
      )}
    </section>
  );
}
