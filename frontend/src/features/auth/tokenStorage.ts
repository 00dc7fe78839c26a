const KEY = "parley.token";

/**
 * Tokens used to live in localStorage (where any script on the page could read them). They no longer do: the
 * access token is kept in memory and the session in an HttpOnly cookie. This only clears what an older
 * version left behind.
 */
export const tokenStorage = {
  clear(): void {
    try {
      localStorage.removeItem(KEY);
    } catch {
      // Nothing stored, nothing to clear.
    }
  },
};
