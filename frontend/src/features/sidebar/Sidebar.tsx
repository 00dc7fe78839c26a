import { useCallback, useDeferredValue, useMemo, useState } from "react";
import type { Me, UserEntry } from "../../api/types.ts";
import { useNow } from "../../lib/useNow.ts";
import { Logo } from "../chat/Logo.tsx";
import { ProfileDialog } from "../profile/ProfileDialog.tsx";
import { Avatar } from "./Avatar.tsx";
import { filterPeople, sortPeople } from "./people.ts";
import { PersonRow } from "./PersonRow.tsx";

type Props = {
  me: Me;
  users: UserEntry[] | undefined;
  loading: boolean;
  error: string | null;
  selectedId: string | null;
  onSelect: (id: string) => void;
  onLogOut: () => void;
};

/** Everyone else: live presence, last message, unread count, most recent first, filterable by name. */
export function Sidebar({ me, users, loading, error, selectedId, onSelect, onLogOut }: Props) {
  const [query, setQuery] = useState("");
  const [editing, setEditing] = useState(false);
  const closeEditor = useCallback(() => setEditing(false), []);
  const deferredQuery = useDeferredValue(query);
  const now = useNow();
  const people = useMemo(() => filterPeople(sortPeople(users ?? []), deferredQuery), [users, deferredQuery]);

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
      <div className="min-h-0 flex-1 overflow-y-auto px-2 pb-2">
        {loading && <p className="px-3 py-4 text-sm text-slate-500">Loading people…</p>}
        {error && (
          <p role="alert" className="px-3 py-4 text-sm text-red-600">
            {error}
          </p>
        )}
        {!loading && !error && people.length === 0 && (
          <p className="px-3 py-6 text-center text-sm text-slate-500">
            {query ? `No one called “${query}”.` : "No one else is here yet. Invite a friend!"}
          </p>
        )}
        <ul className="flex flex-col gap-0.5">
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
