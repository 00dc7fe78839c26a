// The people the client knows, kept under `queryKeys.users`: filled by sidebar pages, searches
// and single look-ups, changed by live events, read by every list and by the open conversation.
import { queryOptions, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import type { Message, UserEntry } from "../api/types.ts";
import { applyMessageToUsers, bySeq, mergePeople } from "./cache.ts";
import { queryKeys } from "./queryKeys.ts";

const NONE: UserEntry[] = [];

/**
 * Remember people the server answered with. Messages that already arrived live for them (while they were
 * not loaded, or while this answer was on its way) are applied again, so an answer never rewinds a summary.
 */
export function rememberPeople(queryClient: QueryClient, users: readonly UserEntry[], meId: string): void {
  const others = users.filter((u) => u.id !== meId);
  if (others.length === 0) return;
  queryClient.setQueryData<UserEntry[]>(queryKeys.users, (old) => {
    let next = mergePeople(old, others);
    for (const user of others) {
      const live = queryClient.getQueryData<Message[]>(queryKeys.live(user.id));
      if (live?.length) next = [...live].sort(bySeq).reduce((acc, m) => applyMessageToUsers(acc, m, meId), next);
    }
    return next;
  });
}

/**
 * `GET /api/users/{id}`, remembered. A 404 is tried again a few times: someone who just signed up may not be
 * in the read model yet when their first message arrives.
 */
export function personQuery(queryClient: QueryClient, api: ApiClient, userId: string, meId: string) {
  return queryOptions({
    queryKey: queryKeys.person(userId),
    queryFn: async () => {
      const user = await api.user(userId);
      rememberPeople(queryClient, [user], meId);
      return user.id;
    },
    staleTime: Number.POSITIVE_INFINITY,
    gcTime: 60_000,
    retry: (failures, error) => (error instanceof ApiError && error.status < 500 ? error.status === 404 && failures < 3 : failures < 3),
    retryDelay: (failures) => Math.min(500 * 2 ** failures, 4000),
  });
}

/** Look up people not known yet (at most one request per person at a time); failures are left for later. */
export function fetchPeople(queryClient: QueryClient, api: ApiClient, userIds: Iterable<string>, meId: string): void {
  for (const userId of userIds) {
    if (userId === meId) continue;
    queryClient.fetchQuery({ ...personQuery(queryClient, api, userId, meId), staleTime: 0 }).catch(() => {
      // Unknown or unreachable: the person shows up with the next page or reconnect that brings them.
    });
  }
}

export function knownPeople(queryClient: QueryClient): UserEntry[] {
  return queryClient.getQueryData<UserEntry[]>(queryKeys.users) ?? NONE;
}

/** Everyone known, re-rendering on every change. */
export function useKnownPeople(): UserEntry[] {
  const queryClient = useQueryClient();
  const { data } = useQuery({
    queryKey: queryKeys.users,
    queryFn: () => knownPeople(queryClient),
    staleTime: Number.POSITIVE_INFINITY,
  });
  return data ?? NONE;
}
