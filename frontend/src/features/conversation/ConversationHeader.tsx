import type { UserEntry } from "../../api/types.ts";
import { Avatar } from "../../components/Avatar.tsx";
import { presenceText } from "../../lib/presenceText.ts";
import { useNow } from "../../lib/useNow.ts";
import { usePeerTyping } from "../realtime/ChatSocketProvider.tsx";

export function ConversationHeader({ peer, onBack }: { peer: UserEntry; onBack: () => void }) {
  const now = useNow();
  const typing = usePeerTyping(peer.id);
  return (
    <header className="flex items-center gap-3 border-b border-slate-200 bg-white px-3 py-2.5 dark:border-slate-800 dark:bg-slate-900">
      <button
        type="button"
        onClick={onBack}
        aria-label="Back"
        title="Back to conversations"
        className="composer-icon md:hidden"
      >
        <svg viewBox="0 0 24 24" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
          <path d="M15 18l-6-6 6-6" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      </button>
      <Avatar user={peer} size="sm" showPresence />
      <div className="min-w-0">
        <h2 className="truncate font-semibold">{peer.name}</h2>
        <p className={`truncate text-xs ${typing || peer.online ? "text-emerald-600 dark:text-emerald-400" : "text-slate-500 dark:text-slate-400"}`}>
          {typing ? "typing…" : presenceText(peer, now)}
        </p>
      </div>
    </header>
  );
}
