import { usePeerTyping } from "../realtime/ChatSocketProvider.tsx";

export function TypingIndicator({ peerId, name }: { peerId: string; name: string }) {
  const typing = usePeerTyping(peerId);
  return (
    <div aria-live="polite" className="h-6 px-4 text-xs italic text-slate-500 dark:text-slate-400">
      {typing && (
        <span className="inline-flex items-center gap-1.5">
          <span className="inline-flex gap-0.5" aria-hidden="true">
            <span className="h-1.5 w-1.5 animate-bounce rounded-full bg-current [animation-delay:-0.3s]" />
            <span className="h-1.5 w-1.5 animate-bounce rounded-full bg-current [animation-delay:-0.15s]" />
            <span className="h-1.5 w-1.5 animate-bounce rounded-full bg-current" />
          </span>
          {name} is typing…
        </span>
      )}
    </div>
  );
}
