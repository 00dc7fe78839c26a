import { humanSize } from "../../lib/humanSize.ts";
import type { Attachment } from "./useAttachments.ts";

/** The files about to be sent: a preview, upload progress with cancel, or why a file was refused. */
export function AttachmentTray({ attachments, onRemove }: { attachments: Attachment[]; onRemove: (id: string) => void }) {
  if (attachments.length === 0) return null;
  return (
    <ul aria-label="Attachments" className="flex flex-wrap gap-2 px-3 pt-3">
      {attachments.map((a) => (
        <li
          key={a.id}
          className={`flex w-full max-w-xs items-center gap-3 rounded-xl border p-2 text-sm ${
            a.status === "error"
              ? "border-red-300 bg-red-50 dark:border-red-900 dark:bg-red-950/50"
              : "border-slate-200 bg-slate-50 dark:border-slate-700 dark:bg-slate-800"
          }`}
        >
          <Preview attachment={a} />
          <div className="min-w-0 flex-1">
            <p className="truncate font-medium" title={a.file.name}>
              {a.file.name}
            </p>
            {a.status === "uploading" && (
              <div className="mt-1 flex items-center gap-2">
                <progress
                  max={100}
                  value={Math.round(a.progress * 100)}
                  aria-label={`Uploading ${a.file.name}`}
                  className="h-1.5 w-full overflow-hidden rounded-full [&::-moz-progress-bar]:bg-indigo-600 [&::-webkit-progress-bar]:bg-slate-200 [&::-webkit-progress-value]:bg-indigo-600 dark:[&::-webkit-progress-bar]:bg-slate-700"
                />
                <span className="w-9 shrink-0 text-right text-xs tabular-nums text-slate-500">
                  {Math.round(a.progress * 100)}%
                </span>
              </div>
            )}
            {a.status === "ready" && (
              <p className="text-xs text-slate-500 dark:text-slate-400">{humanSize(a.file.size)} · ready to send</p>
            )}
            {a.status === "error" && (
              <p role="alert" className="text-xs text-red-700 dark:text-red-300">
                {a.error}
              </p>
            )}
          </div>
          <button
            type="button"
            onClick={() => onRemove(a.id)}
            aria-label={a.status === "uploading" ? `Cancel upload of ${a.file.name}` : `Remove ${a.file.name}`}
            title={a.status === "uploading" ? "Cancel upload" : "Remove"}
            className="rounded-full p-1 text-slate-500 hover:bg-slate-200 hover:text-slate-800 dark:hover:bg-slate-700 dark:hover:text-slate-100"
          >
            <svg viewBox="0 0 24 24" className="h-4 w-4" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
              <path d="M6 6l12 12M18 6 6 18" />
            </svg>
          </button>
        </li>
      ))}
    </ul>
  );
}

function Preview({ attachment }: { attachment: Attachment }) {
  const { previewUrl, file } = attachment;
  const box = "h-12 w-12 shrink-0 rounded-lg object-cover";
  if (previewUrl && file.type.startsWith("image/")) return <img src={previewUrl} alt="" className={box} />;
  if (previewUrl && file.type.startsWith("video/")) return <video src={previewUrl} muted className={`${box} bg-black`} />;
  return (
    <span
      aria-hidden="true"
      className={`${box} flex items-center justify-center bg-indigo-100 text-lg text-indigo-700 dark:bg-indigo-900 dark:text-indigo-200`}
    >
      {file.type.startsWith("audio/") ? "♪" : "📄"}
    </span>
  );
}
