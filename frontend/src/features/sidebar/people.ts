import type { Message, UserEntry } from "../../api/types.ts";
import { parseDate } from "../../lib/time.ts";

function activityTime(user: UserEntry): number {
  const summary = user.conversation;
  const when = parseDate(summary?.last_activity_at ?? summary?.last_message?.sent_at ?? null);
  return when ? when.getTime() : Number.NEGATIVE_INFINITY;
}

function hasActivity(user: UserEntry): boolean {
  return activityTime(user) > Number.NEGATIVE_INFINITY;
}

/** Most recent conversation first (ties by id, so the order is stable). */
function byActivity(a: UserEntry, b: UserEntry): number {
  const diff = activityTime(b) - activityTime(a);
  return diff !== 0 && !Number.isNaN(diff) ? diff : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A name as the server orders it: case and accents aside ("Émile" sorts with "emile"). */
export function nameKey(name: string): string {
  return name.toLowerCase().normalize("NFKD").replace(/\p{Mn}/gu, "");
}

/** By name, case and accents aside (the server's order for people without a conversation), then by id. */
export function byName(a: Pick<UserEntry, "id" | "name">, b: Pick<UserEntry, "id" | "name">): number {
  const x = nameKey(a.name);
  const y = nameKey(b.name);
  if (x !== y) return x < y ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export type ListOptions = {
  /** A search shows exactly the people its pages brought; the normal list also shows people known otherwise. */
  search: boolean;
  /** Every page has been loaded (there is no next one). */
  complete: boolean;
};

/**
 * The sidebar's rows: people with a conversation first, most recent first (so a new message moves its
 * person to the top), then everyone else in the order the server's pages gave them (by name), each once.
 *
 * The normal list also shows people known from elsewhere (a message from someone not loaded yet, a new
 * sign-up, a search result) where they belong among what is loaded: with a conversation at the top, otherwise
 * by name, if their name falls within the loaded pages (or every page is loaded). People beyond the last
 * loaded page are left for the pages that bring them.
 */
export function sidebarList(
  known: readonly UserEntry[],
  listedIds: readonly string[],
  { search, complete }: ListOptions,
): UserEntry[] {
  const byId = new Map(known.map((u) => [u.id, u]));
  const shown = new Set<string>();
  const active: UserEntry[] = [];
  const rest: UserEntry[] = [];
  for (const id of listedIds) {
    const user = byId.get(id);
    if (!user || shown.has(id)) continue;
    shown.add(id);
    (hasActivity(user) ? active : rest).push(user);
  }
  if (search) return [...active.sort(byActivity), ...rest];
  const last = rest[rest.length - 1];
  const extras: UserEntry[] = [];
  for (const user of known) {
    if (shown.has(user.id)) continue;
    if (hasActivity(user)) active.push(user);
    else if (complete || (last && byName(user, last) < 0)) extras.push(user);
  }
  return [...active.sort(byActivity), ...mergeByName(rest, extras)];
}

/** Put `extras` among `sorted` (in name order already) by name, in one pass. */
function mergeByName(sorted: readonly UserEntry[], extras: UserEntry[]): UserEntry[] {
  if (extras.length === 0) return [...sorted];
  extras.sort(byName);
  const out: UserEntry[] = [];
  let next = 0;
  for (const user of sorted) {
    while (next < extras.length && byName(extras[next]!, user) < 0) out.push(extras[next++]!);
    out.push(user);
  }
  return out.concat(extras.slice(next));
}

/** What the search box sends: trimmed, at most 100 characters (the API's limit); "" means no search. */
export function searchText(text: string): string {
  return Array.from(text.trim()).slice(0, 100).join("").trim();
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
