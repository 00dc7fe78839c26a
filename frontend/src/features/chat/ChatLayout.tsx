import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { Me } from "../../api/types.ts";
import { useApi } from "../../data/ApiClientProvider.tsx";
import { personQuery, useKnownPeople } from "../../data/knownPeople.ts";
import { useAuth } from "../auth/AuthProvider.tsx";
import { ConversationPane } from "../conversation/ConversationPane.tsx";
import { ConnectionBanner } from "../realtime/ConnectionBanner.tsx";
import { Sidebar } from "../sidebar/Sidebar.tsx";
import { useSelectedPeer } from "./useSelectedPeer.ts";

/**
 * Sidebar and conversation side by side; on a phone-width screen one at a time
 * (the list, or the open conversation with a Back button).
 */
export function ChatLayout({ me }: { me: Me }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const { logOut } = useAuth();
  const [selectedId, select] = useSelectedPeer();
  const known = useKnownPeople();
  const peer = selectedId ? known.find((u) => u.id === selectedId) : undefined;
  // The open conversation (from the URL, say) may be with someone no loaded page has brought yet.
  const lookup = useQuery({
    ...personQuery(queryClient, api, selectedId ?? "", me.id),
    enabled: selectedId !== null && selectedId !== me.id && peer === undefined,
  });
  const showConversation = selectedId !== null;

  return (
    <div className="flex h-dvh flex-col bg-slate-50 text-slate-900 dark:bg-slate-950 dark:text-slate-100">
      <ConnectionBanner />
      <div className="flex min-h-0 flex-1">
        <div
          className={`h-full w-full border-slate-200 md:block md:w-80 md:shrink-0 md:border-r lg:w-96 dark:border-slate-800 ${
            showConversation ? "hidden" : "block"
          }`}
        >
          <Sidebar
            me={me}
            selectedId={selectedId}
            onSelect={select}
            onLogOut={() => {
              select(null);
              logOut();
            }}
          />
        </div>
        <main className={`min-w-0 flex-1 ${showConversation ? "block" : "hidden md:block"}`}>
          {peer ? (
            <ConversationPane key={peer.id} peer={peer} me={me} onBack={() => select(null)} />
          ) : (
            <EmptyPane
              state={!showConversation ? "none" : lookup.isError || selectedId === me.id ? "unknown" : "loading"}
              onBack={() => select(null)}
            />
          )}
        </main>
      </div>
    </div>
  );
}

function EmptyPane({ state, onBack }: { state: "none" | "loading" | "unknown"; onBack: () => void }) {
  return (
    <div className="flex h-full flex-col items-center justify-center gap-2 px-6 text-center text-slate-500 dark:text-slate-400">
      {state === "loading" && <p>Loading…</p>}
      {state === "none" && (
        <>
          <p className="text-lg font-medium text-slate-700 dark:text-slate-200">Pick someone to talk to</p>
          <p className="text-sm">Your conversations are on the left. Everything is one-on-one.</p>
        </>
      )}
      {state === "unknown" && (
        <>
          <p className="text-lg font-medium text-slate-700 dark:text-slate-200">This conversation is not available</p>
          <button type="button" onClick={onBack} className="text-sm font-medium text-indigo-600 hover:underline">
            Back to conversations
          </button>
        </>
      )}
    </div>
  );
}
