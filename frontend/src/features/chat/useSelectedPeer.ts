import { useCallback, useSyncExternalStore } from "react";

const PREFIX = "#/c/";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

function read(): string | null {
  const hash = window.location.hash;
  return hash.startsWith(PREFIX) ? decodeURIComponent(hash.slice(PREFIX.length)) || null : null;
}

/**
 * The open conversation lives in the URL (#/c/<peer id>): a reload keeps it, and the
 * browser's back button returns to the list on a phone.
 */
export function useSelectedPeer(): [string | null, (peerId: string | null) => void] {
  const selected = useSyncExternalStore(subscribe, read);
  const select = useCallback((peerId: string | null) => {
    if (peerId === read()) return;
    if (peerId) {
      window.location.hash = `${PREFIX}${encodeURIComponent(peerId)}`;
    } else {
      window.history.pushState(null, "", window.location.pathname + window.location.search);
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    }
  }, []);
  return [selected, select];
}
