import { useEffect, useState } from "react";

/**
 * `value` once it has stopped changing for `delayMs`. Values for which `immediate` says so are passed
 * through at once (an emptied search box shows the whole list without waiting).
 */
export function useDebouncedValue<T>(value: T, delayMs: number, immediate?: (value: T) => boolean): T {
  const [settled, setSettled] = useState(value);
  const now = immediate?.(value) ?? false;
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), now ? 0 : delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs, now]);
  return now ? value : settled;
}
