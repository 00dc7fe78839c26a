import { lazy, Suspense, useEffect, useRef, useState } from "react";

const EmojiPickerPanel = lazy(() => import("./EmojiPickerPanel.tsx"));

/** "Emoji" opens a picker above the composer; Escape or a click elsewhere closes it. */
export function EmojiButton({ onPick }: { onPick: (emoji: string) => void }) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (root.current && !root.current.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  return (
    <div ref={root} className="relative">
      <button
        ref={button}
        type="button"
        aria-label="Emoji"
        aria-expanded={open}
        aria-haspopup="dialog"
        title="Emoji"
        onClick={() => setOpen((v) => !v)}
        className="composer-icon"
      >
        <svg viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
          <circle cx="12" cy="12" r="9" />
          <path d="M8.5 14.5a4.5 4.5 0 0 0 7 0M9 9.5h.01M15 9.5h.01" strokeLinecap="round" />
        </svg>
      </button>
      {open && (
        <div role="dialog" aria-label="Smileys and symbols" className="absolute bottom-full left-0 z-20 mb-2">
          <Suspense
            fallback={
              <div className="flex h-[380px] w-[320px] items-center justify-center rounded-xl border border-slate-200 bg-white text-sm text-slate-500 dark:border-slate-700 dark:bg-slate-900">
                Loading…
              </div>
            }
          >
            <EmojiPickerPanel onPick={onPick} />
          </Suspense>
        </div>
      )}
    </div>
  );
}
