import { keepPreviousData, useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useMemo } from "react";
import type { UserEntry } from "../../api/types.ts";
import { useApi } from "../../data/ApiClientProvider.tsx";
import { rememberPeople, useKnownPeople } from "../../data/knownPeople.ts";
import { queryKeys } from "../../data/queryKeys.ts";
import { useDebouncedValue } from "../../lib/useDebouncedValue.ts";
import { searchText, sidebarList } from "./people.ts";

export const PAGE_SIZE = 30;
export const SEARCH_DEBOUNCE_MS = 300;

/** A page as cached: the people themselves live in the known-people store, so live events change them once. */
export type IdsPage = { q: string; ids: string[]; next_cursor: string | null };

export type SidebarPages = {
  /** The rows to show, each person once. */
  people: UserEntry[];
  /** The search these rows answer ("" for the normal list). */
  shownQuery: string;
  /** The first page is on its way and there is nothing to show yet. */
  loading: boolean;
  /** The first page failed. */
  error: unknown;
  /** A newer search is on its way; the rows are still the previous answer. */
  searching: boolean;
  hasMore: boolean;
  /** Pages loaded so far. */
  pageCount: number;
  loadingMore: boolean;
  /** The last "load more" failed (retry with `loadMore`). */
  loadMoreFailed: boolean;
  /** Load the next page, unless one is on its way or there is none. */
  loadMore: () => void;
};

function emptyQuery(text: string): boolean {
  return text === "";
}

/**
 * The sidebar's people from the server: the first page, more pages on demand, and a search on the server as
 * `text` is typed (debounced; every search has its own cache entry, so a late answer to an older search is
 * never shown for a newer one). Clearing the text returns to the normal list at once.
 */
export function useSidebarPages(text: string, meId: string): SidebarPages {
  const api = useApi();
  const queryClient = useQueryClient();
  const q = useDebouncedValue(searchText(text), SEARCH_DEBOUNCE_MS, emptyQuery);

  const pages = useInfiniteQuery({
    queryKey: queryKeys.userPages(q),
    // No abort signal on purpose: a page or search that is on its way is let finish (and cached) rather than
    // cancelled and asked for again when its list comes back (or when React mounts twice in development).
    queryFn: async ({ pageParam }): Promise<IdsPage> => {
      const page = await api.usersPage({ limit: PAGE_SIZE, cursor: pageParam, q: q || undefined });
      rememberPeople(queryClient, page.users, meId);
      return { q, ids: page.users.map((u) => u.id), next_cursor: page.next_cursor };
    },
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    staleTime: Number.POSITIVE_INFINITY,
    // Searches are many and short-lived; the normal list stays for the session.
    gcTime: q ? 60_000 : Number.POSITIVE_INFINITY,
    placeholderData: keepPreviousData,
  });

  const known = useKnownPeople();
  const { data, isPlaceholderData, hasNextPage, isFetchingNextPage, isFetchNextPageError, fetchNextPage } = pages;
  const shownQuery = data?.pages[0]?.q ?? q;
  const people = useMemo(() => {
    if (!data) return [];
    const ids = data.pages.flatMap((page) => page.ids);
    return sidebarList(known, ids, { search: shownQuery !== "", complete: !hasNextPage });
  }, [data, known, shownQuery, hasNextPage]);

  // While a placeholder (the previous search's pages) is shown, its cursor is not this query's.
  const canLoadMore = hasNextPage && !isFetchingNextPage && !isPlaceholderData;
  const loadMore = useCallback(() => {
    if (canLoadMore) void fetchNextPage({ cancelRefetch: false });
  }, [canLoadMore, fetchNextPage]);

  return {
    people,
    shownQuery,
    loading: pages.isPending,
    error: pages.isError && !data ? pages.error : null,
    searching: isPlaceholderData,
    hasMore: hasNextPage && !isPlaceholderData,
    pageCount: data?.pages.length ?? 0,
    loadingMore: isFetchingNextPage,
    loadMoreFailed: isFetchNextPageError,
    loadMore,
  };
}
