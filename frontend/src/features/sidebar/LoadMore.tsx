import { useEffect, useRef, useState } from "react";

type Props = {
  /** The scrolling element the sentinel must come into view in. */
  root: HTMLElement | null;
  loading: boolean;
  failed: boolean;
  /** How many pages are loaded: each new page is a reason to look again (the end may still be in view). */
  pages: number;
  onLoadMore: () => void;
};

/**
 * The end of a paged list: while it is in view (or nearly), the next page is asked for, one at a time,
 * again after each page lands as long as the end is still in view. Without IntersectionObserver, and after
 * a failure, it is a button.
 */
export function LoadMore({ root, loading, failed, pages, onLoadMore }: Props) {
  const sentinel = useRef<HTMLDivElement>(null);
  const [inView, setInView] = useState(false);
  const observable = typeof IntersectionObserver !== "undefined";

  useEffect(() => {
    const target = sentinel.current;
    if (!observable || !target || !root) return;
    const observer = new IntersectionObserver(
      (entries) => setInView(entries.some((entry) => entry.isIntersecting)),
      { root, rootMargin: "0px 0px 300px 0px" },
    );
    observer.observe(target);
    return () => observer.disconnect();
  }, [observable, root]);

  useEffect(() => {
    if (inView && !loading && !failed) onLoadMore();
  }, [inView, loading, failed, pages, onLoadMore]);

  return (
    <div ref={sentinel} data-testid="load-more" className="px-3 py-3 text-center text-sm text-slate-500">
      {loading ? (
        <span aria-live="polite">Loading more people…</span>
      ) : failed || !observable ? (
        <button
          type="button"
          onClick={onLoadMore}
          className="font-medium text-indigo-600 hover:underline dark:text-indigo-400"
        >
          {failed ? "Couldn’t load more people. Try again" : "Show more people"}
        </button>
      ) : null}
    </div>
  );
}
