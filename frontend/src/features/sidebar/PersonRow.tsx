import { memo } from "react";
import type { UserEntry } from "../../api/types.ts";
import { Avatar } from "../../components/Avatar.tsx";
import { presenceText } from "../../lib/presenceText.ts";
import { formatShortTime, parseDate } from "../../lib/time.ts";
import { usePeerTyping } from "../realtime/ChatSocketProvider.tsx";
import { previewText } from "./people.ts";

type Props = { user: UserEntry; meId: string; selected: boolean; now: Date; onSelect: (id: string) => void };

/**
 * One person in the sidebar. Its accessible name is "<name>, online|offline"; the preview,
 * unread count and last seen are its description.
 */
export const PersonRow = memo(function PersonRow({ user, meId, selected, now, onSelect }: Props) {
  const typing = usePeerTyping(user.id);
  const summary = user.conversation;
  const unread = summary?.unread ?? 0;
  const preview = typing ? "typing…" : previewText(summary?.last_message, meId);
  const when = parseDate(summary?.last_activity_at ?? summary?.last_message?.sent_at);
  const presence = presenceText(user, now);
  const descId = `person-${user.id}-desc`;

  return (
    <li>
      <button
        type="button"
        onClick={() => onSelect(user.id)}
        aria-label={`${user.name}, ${user.online ? "online" : "offline"}`}
        aria-describedby={descId}
        aria-current={selected ? "true" : undefined}
        data-user-id={user.id}
        className={`flex w-full items-center gap-3 rounded-xl px-3 py-2.5 text-left transition focus-visible:outline-2 focus-visible:outline-indigo-500 ${
          selected ? "bg-indigo-50 dark:bg-indigo-950/60" : "hover:bg-slate-100 dark:hover:bg-slate-800/60"
        }`}
      >
        <Avatar user={user} showPresence />
        <span className="min-w-0 flex-1" id={descId}>
          <span className="flex items-baseline justify-between gap-2">
            <span className={`truncate ${unread > 0 ? "font-semibold" : "font-medium"}`}>
              {user.name}
              <span className="sr-only">, {user.online ? "online" : "offline"}</span>
            </span>
            {when && (
              <span className={`shrink-0 text-xs ${unread > 0 ? "text-indigo-600 dark:text-indigo-400" : "text-slate-400"}`}>
                {formatShortTime(when, now)}
              </span>
            )}
          </span>
          <span className="flex items-center justify-between gap-2">
            <span
              className={`truncate text-sm ${
                typing
                  ? "italic text-emerald-600 dark:text-emerald-400"
                  : unread > 0
                    ? "text-slate-800 dark:text-slate-200"
                    : "text-slate-500 dark:text-slate-400"
              }`}
            >
              {preview || presence}
            </span>
            {unread > 0 && (
              <span
                data-testid="unread"
                className="flex h-5 min-w-5 shrink-0 items-center justify-center rounded-full bg-indigo-600 px-1.5 text-xs font-semibold text-white"
              >
                {unread > 99 ? "99+" : unread}
                <span className="sr-only"> unread</span>
              </span>
            )}
          </span>
          {preview && (
            <span className={`block truncate text-xs ${user.online ? "text-emerald-600 dark:text-emerald-400" : "text-slate-400"}`}>
              {presence}
            </span>
          )}
        </span>
      </button>
    </li>
  );
});
