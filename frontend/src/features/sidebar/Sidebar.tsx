import { useCallback, useState } from "react";
import { errorMessage } from "../../api/errors.ts";
import type { Me } from "../../api/types.ts";
import { Avatar } from "../../components/Avatar.tsx";
import { Logo } from "../../components/Logo.tsx";
import { useNow } from "../../lib/useNow.ts";
import { ProfileDialog } from "../profile/ProfileDialog.tsx";
import { LoadMore } from "./LoadMore.tsx";
import { PersonRow } from "./PersonRow.tsx";
import { useSidebarPages } from "./useSidebarPages.ts";

type Props = {
  me: Me;
  selectedId: string | null;
  onSelect: (id: string) => void;
  onLogOut: () => void;
};

/**
 * Everyone else, in pages from the server (more as you scroll): live presence, last message, unread count,
 * most recent conversation first, then by name; the search box searches on the server as you type.
 */
export function Sidebar({ me, selectedId, onSelect, onLogOut }: Props) {
  const [query, setQuery] = useState("");
  const [editing, setEditing] = useState(false);
  const [scroller, setScroller] = useState<HTMLDivElement | null>(null);
  const closeEditor = useCallback(() => setEditing(false), []);
  const now = useNow();
  const list = useSidebarPages(query, me.id);
  const { people, loading, error, shownQuery } = list;

  return (
    <aside aria-label="Conversations" className="flex h-full min-h-0 flex-col bg-white dark:bg-slate-900">
      <header className="flex items-center gap-3 border-b border-slate-200 px-4 py-3 dark:border-slate-800">
        <Logo size="sm" />
        <h1 className="flex-1 text-lg font-semibold tracking-tight">Parley</h1>
        <button
          type="button"
          onClick={onLogOut}
          className="rounded-lg px-3 py-1.5 text-sm font-medium text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white"
        >
          Log out
        </button>
      </header>
      <div className="px-3 pb-2 pt-3">
        <label className="relative block">
          <span className="sr-only">Search people</span>
          <svg
            viewBox="0 0 24 24"
            className="pointer-events-none absolute left-3 top-1/2 h-4 w-4 -translate-y-1/2 text-slate-400"
            fill="none"
            stroke="currentColor"
            strokeWidth="2"
            aria-hidden="true"
          >
            <circle cx="11" cy="11" r="7" />
            <path d="m20 20-3.5-3.5" strokeLinecap="round" />
          </svg>
          <input
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="Search people"
            className="w-full rounded-xl border border-transparent bg-slate-100 py-2 pl-9 pr-3 text-sm outline-none focus:border-indigo-500 focus:bg-white dark:bg-slate-800 dark:focus:bg-slate-950"
          />
        </label>
      </div>
      <div ref={setScroller} className="min-h-0 flex-1 overflow-y-auto px-2 pb-2">
        {loading && <p className="px-3 py-4 text-sm text-slate-500">Loading people…</p>}
        {error !== null && (
          <p role="alert" className="px-3 py-4 text-sm text-red-600">
            {errorMessage(error)}
          </p>
        )}
        {list.searching && (
          <p aria-live="polite" className="px-3 pb-1 text-xs text-slate-500">
            Searching…
          </p>
        )}
        {!loading && error === null && !list.searching && people.length === 0 && (
          <p className="px-3 py-6 text-center text-sm text-slate-500">
            {shownQuery ? `No one called “${shownQuery}”.` : "No one else is here yet. Invite a friend!"}
          </p>
        )}
        <ul
          aria-label={shownQuery ? `People matching “${shownQuery}”` : "People"}
          aria-busy={list.searching || list.loadingMore}
          className={`flex flex-col gap-0.5 transition-opacity ${list.searching ? "opacity-60" : ""}`}
        >
          {people.map((user) => (
            <PersonRow
              key={user.id}
              user={user}
              meId={me.id}
              selected={user.id === selectedId}
              now={now}
              onSelect={onSelect}
            />
          ))}
        </ul>
        {list.hasMore && (
          <LoadMore
            root={scroller}
            loading={list.loadingMore}
            failed={list.loadMoreFailed}
            pages={list.pageCount}
            onLoadMore={list.loadMore}
          />
        )}
      </div>
      <footer className="border-t border-slate-200 px-2 py-2 dark:border-slate-800">
        <button
          type="button"
          aria-label={`Edit profile: ${me.name}`}
          onClick={() => setEditing(true)}
          className="flex w-full items-center gap-3 rounded-xl px-2 py-1.5 text-left hover:bg-slate-100 dark:hover:bg-slate-800"
        >
          <Avatar user={{ ...me, online: true }} size="sm" />
          <div className="min-w-0">
            <p className="truncate text-sm font-medium">{me.name}</p>
            <p className="truncate text-xs text-slate-500 dark:text-slate-400">{me.email}</p>
          </div>
        </button>
      </footer>
      {editing && <ProfileDialog me={me} onClose={closeEditor} />}
    </aside>
  );
}
