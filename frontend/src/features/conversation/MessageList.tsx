import { useCallback, useEffect, useLayoutEffect, useRef } from "react";
import type { OutboxEntry } from "../../data/outbox.ts";
import type { TimelineRow } from "./dateSeparators.ts";
import { MessageBubble } from "./MessageBubble.tsx";
import type { TimelineMessage } from "./timeline.ts";

type Props = {
  rows: TimelineRow<TimelineMessage>[];
  deliveredKey: string | null;
  hasOlder: boolean;
  isLoadingOlder: boolean;
  loadOlder: () => void;
  onRetry: (entry: OutboxEntry) => void;
  onDiscard: (entry: OutboxEntry) => void;
};

const LOAD_OLDER_WITHIN_PX = 200;
const BOTTOM_SLACK_PX = 80;

type Snapshot = { firstKey: string | null; lastKey: string | null; scrollHeight: number };

/**
 * The scrollable history. Scrolling near the top loads older pages and keeps what
 * you were reading in place; new messages scroll into view when you are at the
 * bottom (or when they are yours).
 */
export function MessageList({ rows, deliveredKey, hasOlder, isLoadingOlder, loadOlder, onRetry, onDiscard }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const before = useRef<Snapshot>({ firstKey: null, lastKey: null, scrollHeight: 0 });

  const items = rows.filter((r) => r.kind === "item");
  const firstKey = items[0]?.key ?? null;
  const last = items[items.length - 1];
  const lastKey = last?.key ?? null;
  const lastMine = last?.kind === "item" && last.item.mine;

  const maybeLoadOlder = useCallback(() => {
    const el = scroller.current;
    if (!el || !hasOlder || isLoadingOlder) return;
    const nearTop = el.scrollTop < LOAD_OLDER_WITHIN_PX;
    const notFull = el.scrollHeight <= el.clientHeight;
    if (nearTop || notFull) loadOlder();
  }, [hasOlder, isLoadingOlder, loadOlder]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK_PX;
    maybeLoadOlder();
  };

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const prev = before.current;
    if (prev.firstKey === null) {
      el.scrollTop = el.scrollHeight;
    } else {
      if (firstKey !== prev.firstKey && prev.scrollHeight > 0) {
        // Older messages went in above: move down by what they added, so nothing jumps.
        const added = el.scrollHeight - prev.scrollHeight;
        if (lastKey === prev.lastKey) el.scrollTop += added;
      }
      if (lastKey !== prev.lastKey && (atBottom.current || lastMine)) {
        el.scrollTop = el.scrollHeight;
        atBottom.current = true;
      }
    }
    before.current = { firstKey, lastKey, scrollHeight: el.scrollHeight };
  }, [firstKey, lastKey, lastMine, rows]);

  // Fill the pane: a short first page with more history behind it loads the next one.
  useEffect(() => {
    maybeLoadOlder();
  }, [maybeLoadOlder, rows]);

  // Stay pinned to the bottom when the pane changes size (a growing composer, a rotated phone).
  useEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
      before.current.scrollHeight = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  return (
    <div
      ref={scroller}
      onScroll={onScroll}
      className="min-h-0 flex-1 overflow-y-auto overscroll-contain px-3 py-4 [overflow-anchor:none] sm:px-6"
    >
      {hasOlder && (
        <p className="flex h-8 items-center justify-center text-xs text-slate-500" aria-live="polite">
          {isLoadingOlder ? "Loading older messages…" : ""}
        </p>
      )}
      <ol aria-label="History" className="flex flex-col">
        {rows.map((row) =>
          row.kind === "separator" ? (
            <li key={row.key} role="separator" aria-label={row.label} className="my-3 flex justify-center">
              <span className="rounded-full bg-slate-200/80 px-3 py-0.5 text-xs font-medium text-slate-600 dark:bg-slate-800 dark:text-slate-300">
                {row.label}
              </span>
            </li>
          ) : (
            <MessageBubble
              key={row.key}
              row={row.item}
              showDelivery={row.key === deliveredKey}
              onRetry={onRetry}
              onDiscard={onDiscard}
            />
          ),
        )}
      </ol>
    </div>
  );
}
