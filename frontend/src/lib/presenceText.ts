import type { UserEntry } from "../api/types.ts";
import { daysBetween, formatShortTime, parseDate } from "./time.ts";

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
