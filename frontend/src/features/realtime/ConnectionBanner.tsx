import { useEffect, useState } from "react";
import { useChatSocket } from "./ChatSocketProvider.tsx";

const FIRST_CONNECT_GRACE_MS = 1500;

/**
 * Shown while the live connection is down; missed messages fill in when it is back.
 * The very first connect gets a moment before "Connecting…" shows, so a normal load does not flash it.
 */
export function ConnectionBanner() {
  const { status, everConnected } = useChatSocket();
  const [graceOver, setGraceOver] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setGraceOver(true), FIRST_CONNECT_GRACE_MS);
    return () => clearTimeout(timer);
  }, []);

  if (status === "connected" || (!everConnected && !graceOver)) return null;
  const text = everConnected
    ? "Connection lost. Reconnecting… Messages you missed will appear when it is back."
    : "Connecting…";
  return (
    <div
      role="status"
      data-testid="connection-banner"
      className="flex items-center justify-center gap-2 bg-amber-100 px-4 py-1.5 text-center text-sm font-medium text-amber-900 dark:bg-amber-900/60 dark:text-amber-100"
    >
      <span className="h-2 w-2 animate-pulse rounded-full bg-amber-500" aria-hidden="true" />
      {text}
    </div>
  );
}
