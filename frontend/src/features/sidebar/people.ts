import type { Message, UserEntry } from "../../api/types.ts";
import { daysBetween, formatShortTime, parseDate } from "../../lib/time.ts";

function activityTime(user: UserEntry): number {
  const summary = user.conversation;
  const when = parseDate(summary?.last_activity_at ?? summary?.last_message?.sent_at ?? null);
  return when ? when.getTime() : Number.NEGATIVE_INFINITY;
}

/** Most recent conversation first; people I have not talked to after, by name. */
export function sortPeople(users: readonly UserEntry[]): UserEntry[] {
  return [...users].sort((a, b) => {
    const byActivity = activityTime(b) - activityTime(a);
    if (byActivity !== 0 && !Number.isNaN(byActivity)) return byActivity;
    const byName = a.name.localeCompare(b.name, undefined, { sensitivity: "base" });
    return byName !== 0 ? byName : a.id.localeCompare(b.id);
  });
}

function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLocaleLowerCase().trim();
}

/** Case- and accent-insensitive match on the name; an empty query keeps everyone. */
export function filterPeople(users: readonly UserEntry[], query: string): UserEntry[] {
  const needle = fold(query);
  if (!needle) return [...users];
  return users.filter((u) => fold(u.name).includes(needle));
}

/** "Last seen 5 min ago" for someone offline; "Online" otherwise. */
export function presenceText(user: Pick<UserEntry, "online" | "last_seen">, now: Date): string {
  if (user.online) return "Online";
  const seen = parseDate(user.last_seen);
  if (!seen) return "Offline";
  const seconds = Math.max(0, (now.getTime() - seen.getTime()) / 1000);
  if (seconds < 60) return "Last seen just now";
  if (seconds < 3600) return `Last seen ${Math.floor(seconds / 60)} min ago`;
  if (daysBetween(seen, now) === 0) return `Last seen ${Math.floor(seconds / 3600)} h ago`;
  return `Last seen ${formatShortTime(seen, now).replace(/^Yesterday$/, "yesterday")}`;
}

/** One line for the sidebar: the last message, with "You: " for mine and a word for media. */
export function previewText(message: Message | null | undefined, meId: string): string {
  if (!message) return "";
  const text = message.text.trim();
  const icon = MEDIA_WORD[message.type].split(" ")[0] ?? "";
  const body = message.type === "text" ? text : text ? `${icon} ${text}` : MEDIA_WORD[message.type];
  return message.sender_id === meId ? `You: ${body}` : body;
}

const MEDIA_WORD: Record<Message["type"], string> = {
  text: "",
  image: "📷 Photo",
  video: "🎬 Video",
  audio: "🎵 Audio",
  file: "📎 File",
};
