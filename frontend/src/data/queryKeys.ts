// Every TanStack Query key of the app, in one place: the cache is shared by every feature (the socket writes
// what the sidebar and the conversation read), so its keys must not belong to any one of them.
export const queryKeys = {
  me: ["me"] as const,
  /**
   * Everyone the client knows (from sidebar pages, searches and single look-ups), in no particular order:
   * live events change them here, and every list shows them from here.
   */
  users: ["users"] as const,
  /** The sidebar's pages of ids for a search text ("" is the normal list). Under `users`, so invalidating `users` refetches them. */
  userPages: (q: string) => ["users", "pages", q] as const,
  allUserPages: ["users", "pages"] as const,
  /** One person looked up by id (a message or the open conversation is about someone not loaded yet). */
  person: (userId: string) => ["person", userId] as const,
  /** History pages from the API (older pages loaded on scroll). */
  messages: (peerId: string) => ["messages", peerId] as const,
  /** Messages that arrived live, from a sync or from my own sends, shown alongside the history. */
  live: (peerId: string) => ["live", peerId] as const,
};
