import { useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { AttachmentTray } from "./AttachmentTray.tsx";
import { EmojiButton } from "./EmojiButton.tsx";
import type { Attachment } from "./useAttachments.ts";
import type { Media } from "../../api/types.ts";

type Props = {
  attachments: Attachment[];
  onAttach: () => void;
  onRemoveAttachment: (id: string) => void;
  /** Send one message; media messages carry the text as a caption. */
  onSend: (text: string, media: Media | null) => void;
  onSent: (attachmentIds: string[]) => void;
  onTyping: () => void;
};

const MAX_ROWS = 6;

/** Enter sends, Shift+Enter adds a line. Files upload as they are attached; Send waits for them. */
export function Composer({ attachments, onAttach, onRemoveAttachment, onSend, onSent, onTyping }: Props) {
  const [text, setText] = useState("");
  const box = useRef<HTMLTextAreaElement>(null);

  const uploading = attachments.some((a) => a.status === "uploading");
  const ready = attachments.filter((a) => a.status === "ready" && a.media !== null);
  const canSend = !uploading && (text.trim().length > 0 || ready.length > 0);

  const send = () => {
    if (!canSend) return;
    const caption = text.trim();
    if (ready.length === 0) {
      onSend(caption, null);
    } else {
      ready.forEach((a, i) => onSend(i === 0 ? caption : "", a.media));
      onSent(ready.map((a) => a.id));
    }
    setText("");
    box.current?.focus();
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    send();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };

  const insertEmoji = (emoji: string) => {
    const el = box.current;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? text.length;
    setText(text.slice(0, start) + emoji + text.slice(end));
    requestAnimationFrame(() => {
      if (!el) return;
      el.focus();
      el.setSelectionRange(start + emoji.length, start + emoji.length);
    });
  };

  const rows = Math.min(MAX_ROWS, Math.max(1, text.split("\n").length));

  return (
    <form
      onSubmit={onSubmit}
      className="border-t border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900"
    >
      <AttachmentTray attachments={attachments} onRemove={onRemoveAttachment} />
      <div className="flex items-end gap-1 p-2 sm:gap-2 sm:p-3">
        <EmojiButton onPick={insertEmoji} />
        <button type="button" aria-label="Attach file" title="Attach file" onClick={onAttach} className="composer-icon">
          <svg viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
            <path
              d="m21 11-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7"
              strokeLinecap="round"
              strokeLinejoin="round"
            />
          </svg>
        </button>
        <textarea
          ref={box}
          aria-label="Message"
          placeholder={ready.length > 0 ? "Add a caption…" : "Write a message…"}
          rows={rows}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            if (e.target.value.trim()) onTyping();
          }}
          onKeyDown={onKeyDown}
          autoFocus
          className="max-h-40 min-h-10 flex-1 resize-none rounded-2xl border border-slate-300 bg-slate-50 px-4 py-2 leading-6 text-slate-900 outline-none focus:border-indigo-500 focus:ring-2 focus:ring-indigo-500/30 dark:border-slate-700 dark:bg-slate-950 dark:text-slate-100"
        />
        <button
          type="submit"
          disabled={!canSend}
          aria-label="Send"
          title={uploading ? "Waiting for the upload to finish" : "Send"}
          className="flex h-10 w-10 shrink-0 items-center justify-center rounded-full bg-indigo-600 text-white transition hover:bg-indigo-500 disabled:cursor-not-allowed disabled:bg-slate-300 dark:disabled:bg-slate-700"
        >
          <svg viewBox="0 0 24 24" className="h-5 w-5" fill="currentColor" aria-hidden="true">
            <path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z" />
          </svg>
        </button>
      </div>
    </form>
  );
}
