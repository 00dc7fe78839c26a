import type { User } from "../api/types.ts";

const COLORS = [
  "bg-rose-500",
  "bg-amber-500",
  "bg-emerald-500",
  "bg-sky-500",
  "bg-violet-500",
  "bg-fuchsia-500",
  "bg-teal-500",
  "bg-orange-500",
];

export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const lettered = words.filter((w) => /^\p{L}/u.test(w));
  const parts = lettered.length > 0 ? lettered : words;
  const letters = parts.length > 1 ? [parts[0]!, parts[parts.length - 1]!] : parts.slice(0, 1);
  return letters.map((p) => Array.from(p)[0]?.toUpperCase() ?? "").join("") || "?";
}

function colorFor(id: string): string {
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return COLORS[hash % COLORS.length]!;
}

/** A round avatar (picture or initials) with an optional presence dot. */
export function Avatar({
  user,
  size = "md",
  showPresence = false,
}: {
  user: Pick<User, "id" | "name" | "avatar" | "online">;
  size?: "sm" | "md";
  showPresence?: boolean;
}) {
  const dims = size === "sm" ? "h-9 w-9 text-sm" : "h-11 w-11 text-base";
  const picture = user.avatar && /^(https?:|\/|blob:)/.test(user.avatar) ? user.avatar : null;
  return (
    <span aria-hidden="true" className="relative inline-flex shrink-0">
      {picture ? (
        <img src={picture} alt="" className={`${dims} rounded-full object-cover`} />
      ) : (
        <span className={`${dims} ${colorFor(user.id)} flex items-center justify-center rounded-full font-semibold text-white`}>
          {initials(user.name)}
        </span>
      )}
      {showPresence && (
        <span
          data-online={user.online}
          className={`absolute -bottom-0.5 -right-0.5 h-3.5 w-3.5 rounded-full border-2 border-white dark:border-slate-900 ${
            user.online ? "bg-emerald-500" : "bg-slate-400 dark:bg-slate-600"
          }`}
        />
      )}
    </span>
  );
}
