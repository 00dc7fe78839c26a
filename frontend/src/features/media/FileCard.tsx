import type { Media } from "../../api/types.ts";
import { humanSize } from "../../lib/humanSize.ts";

/** A short label for the kind of document, shown on its icon. */
export function fileBadge(name: string, mime: string): string {
  const ext = name.includes(".") ? name.split(".").pop() ?? "" : "";
  if (ext && ext.length <= 4) return ext.toUpperCase();
  const sub = mime.split("/")[1] ?? "";
  return (sub.split(/[.+-]/).pop() ?? "FILE").slice(0, 4).toUpperCase() || "FILE";
}

export function FileCard({ media }: { media: Media }) {
  return (
    <div className="flex w-64 max-w-full items-center gap-3 rounded-xl bg-white/70 p-2 text-slate-800 dark:bg-slate-950/40 dark:text-slate-100">
      <span
        aria-hidden="true"
        className="relative flex h-11 w-9 shrink-0 items-end justify-center rounded-md bg-indigo-100 pb-1 text-[9px] font-bold text-indigo-700 dark:bg-indigo-900 dark:text-indigo-200"
      >
        <svg viewBox="0 0 24 24" className="absolute top-1 h-4 w-4" fill="none" stroke="currentColor" strokeWidth="2">
          <path d="M14 3H6a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V9z" />
          <path d="M14 3v6h6" />
        </svg>
        {fileBadge(media.name, media.mime)}
      </span>
      <div className="min-w-0 flex-1">
        <p className="truncate text-sm font-medium" title={media.name}>
          {media.name}
        </p>
        <p className="text-xs text-slate-500 dark:text-slate-400">{humanSize(media.size)}</p>
      </div>
      <a
        href={media.url}
        download={media.name}
        aria-label={`Download ${media.name}`}
        className="rounded-lg p-2 text-indigo-600 hover:bg-indigo-50 dark:text-indigo-300 dark:hover:bg-indigo-950"
      >
        <svg viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
          <path d="M12 4v12m0 0-5-5m5 5 5-5M5 20h14" />
        </svg>
      </a>
    </div>
  );
}
