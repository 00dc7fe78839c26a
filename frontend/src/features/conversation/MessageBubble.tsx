import { memo } from "react";
import { formatClock } from "../../lib/time.ts";
import type { OutboxEntry } from "../../data/outbox.ts";
import { MediaView } from "../media/MediaView.tsx";
import type { TimelineMessage } from "./timeline.ts";

type Props = {
  row: TimelineMessage;
  showDelivery: boolean;
  onRetry: (entry: OutboxEntry) => void;
  onDiscard: (entry: OutboxEntry) => void;
};

export const MessageBubble = memo(function MessageBubble({ row, showDelivery, onRetry, onDiscard }: Props) {
  const { mine, media, text, status } = row;
  const failed = status === "failed";
  const bubble = mine
    ? failed
      ? "bg-red-100 text-red-950 dark:bg-red-950 dark:text-red-100"
      : "bg-indigo-600 text-white"
    : "bg-white text-slate-900 dark:bg-slate-800 dark:text-slate-100";
  const showMeta = row.endsGroup || status === "pending" || failed || showDelivery;

  return (
    <li className={`flex flex-col ${mine ? "items-end" : "items-start"} ${row.endsGroup ? "mb-3" : "mb-0.5"}`}>
      <div
        data-testid="message"
        data-status={status}
        title={row.sentAt.toLocaleString()}
        className={`max-w-[min(80%,36rem)] rounded-2xl shadow-sm ${bubble} ${
          status === "pending" ? "opacity-70" : ""
        } ${media ? "p-1" : "px-3.5 py-2"}`}
      >
        {media && <MediaView media={media} />}
        {text && (
          // A caption wraps to the width of its picture or file card instead of widening the bubble
          // (width 0 keeps it out of the bubble's size; min-width 100% then fills what the media set).
          <p
            className={`whitespace-pre-wrap break-words [overflow-wrap:anywhere] ${
              media ? "w-0 min-w-full px-2.5 pb-1 pt-1.5" : ""
            }`}
          >
            {text}
          </p>
        )}
      </div>
      {showMeta && (
        <div className="mt-1 flex items-center gap-2 px-1 text-xs text-slate-500 dark:text-slate-400">
          {status === "pending" && <span>Sending…</span>}
          {failed && row.entry && (
            <>
              <span role="alert" className="text-red-600 dark:text-red-400">
                Not sent{row.error ? `: ${row.error}` : ""}
              </span>
              <button
                type="button"
                onClick={() => onRetry(row.entry!)}
                className="font-medium text-indigo-600 hover:underline dark:text-indigo-400"
              >
                Retry
              </button>
              <button type="button" onClick={() => onDiscard(row.entry!)} className="hover:underline">
                Delete
              </button>
            </>
          )}
          {!failed && status !== "pending" && <time dateTime={row.sentAt.toISOString()}>{formatClock(row.sentAt)}</time>}
          {showDelivery && (status === "sent" || status === "seen") && (
            <span className={status === "seen" ? "font-medium text-indigo-600 dark:text-indigo-400" : ""}>
              {status === "seen" ? "Seen" : "Sent"}
            </span>
          )}
        </div>
      )}
    </li>
  );
});
