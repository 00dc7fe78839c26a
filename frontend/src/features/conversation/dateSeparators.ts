import { dayKey, daysBetween } from "../../lib/time.ts";

export type TimelineRow<T> =
  | { kind: "separator"; key: string; label: string }
  | { kind: "item"; key: string; item: T };

/** "Today", "Yesterday", a weekday within the week, else the full date. */
export function dayLabel(date: Date, now: Date, locale?: string): string {
  const days = daysBetween(date, now);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days > 1 && days < 7) return new Intl.DateTimeFormat(locale, { weekday: "long" }).format(date);
  const sameYear = date.getFullYear() === now.getFullYear();
  return new Intl.DateTimeFormat(locale, {
    weekday: "short",
    day: "numeric",
    month: "long",
    ...(sameYear ? {} : { year: "numeric" }),
  }).format(date);
}

/** Put a separator before the first item of each local calendar day (items oldest first). */
export function withDateSeparators<T>(
  items: readonly T[],
  timeOf: (item: T) => Date,
  keyOf: (item: T) => string,
  now: Date,
  locale?: string,
): TimelineRow<T>[] {
  const rows: TimelineRow<T>[] = [];
  let currentDay: string | null = null;
  for (const item of items) {
    const date = timeOf(item);
    const day = dayKey(date);
    if (day !== currentDay) {
      currentDay = day;
      rows.push({ kind: "separator", key: `day-${day}`, label: dayLabel(date, now, locale) });
    }
    rows.push({ kind: "item", key: keyOf(item), item });
  }
  return rows;
}
