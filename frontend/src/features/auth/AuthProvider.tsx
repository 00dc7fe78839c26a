import { useQueryClient } from "@tanstack/react-query";
import {
  createContext,
  use,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from "react";
import { ApiClient } from "../../api/client.ts";
import { ApiError } from "../../api/errors.ts";
import type { AuthResponse } from "../../api/types.ts";
import { ApiClientProvider } from "../../data/ApiClientProvider.tsx";
import { renewDelayMs, SessionRenewal } from "./renewal.ts";
import { tokenStorage } from "./tokenStorage.ts";

/** "starting": asking the server whether the refresh cookie still holds a session (on load). */
export type AuthStatus = "starting" | "signedIn" | "signedOut";

type AuthContextValue = {
  status: AuthStatus;
  /** The current access token; it changes at every renewal (a few minutes before it expires). */
  token: string | null;
  /** Stable for one session: renewals keep it, a new sign-in changes it. */
  sessionKey: number;
  signIn: (answer: AuthResponse) => void;
  /** End this session, on the server too. */
  logOut: () => void;
  /** End every session of the account, on every device. */
  logOutEverywhere: () => Promise<void>;
  /** The session is known to be over (a refused token, a socket told so): forget it here. */
  sessionEnded: () => void;
  /** Renew now (a refused token may just have expired while the tab slept): the new token, null when the
   * session is over, undefined when the server could not be reached. */
  renew: () => Promise<string | null | undefined>;
};

const AuthContext = createContext<AuthContextValue | null>(null);

/**
 * The access token lives only in memory: a reload gets a fresh one from the HttpOnly refresh cookie
 * (`POST /api/auth/refresh`), and it is renewed the same way a little before it expires, for as long as the
 * app is open. `fetch` is injectable for tests; the browser's is used otherwise.
 */
export function AuthProvider({ children, fetch }: { children: ReactNode; fetch?: typeof globalThis.fetch }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<AuthStatus>("starting");
  const [token, setToken] = useState<string | null>(null);
  const [sessionKey, setSessionKey] = useState(0);
  const tokenRef = useRef<string | null>(null);
  const renewalRef = useRef<SessionRenewal | null>(null);

  const forget = useCallback(() => {
    renewalRef.current?.stop();
    tokenRef.current = null;
    setToken(null);
    setStatus("signedOut");
    queryClient.clear();
  }, [queryClient]);

  const [api] = useState(
    () =>
      new ApiClient({
        getToken: () => tokenRef.current,
        // A refused token may only have expired (a sleeping laptop missed the renewal): renew once, and end
        // the session only if that fails. A 401 for an older token changes nothing.
        onUnauthorized: (refused) => {
          if (refused !== tokenRef.current) return;
          void renewalRef.current?.renewNow().then((fresh) => {
            if (fresh === null && tokenRef.current === refused) forget();
          });
        },
        ...(fetch ? { fetch } : {}),
      }),
  );

  const accept = useCallback((accessToken: string, expiresIn: number | undefined) => {
    tokenRef.current = accessToken;
    setToken(accessToken);
    setStatus("signedIn");
    renewalRef.current?.schedule(renewDelayMs(expiresIn));
  }, []);

  // One renewal loop for the provider's life; it asks the server, then hands the token over here.
  if (renewalRef.current === null) {
    renewalRef.current = new SessionRenewal({
      refresh: async () => {
        try {
          const answer = await api.refresh();
          return { token: answer.access_token, expiresIn: answer.expires_in };
        } catch (error) {
          // An answer saying no ends the session; no answer (offline, server busy or down) is tried again.
          if (error instanceof ApiError && error.status < 500 && error.status !== 429) return null;
          throw error;
        }
      },
      onRenewed: ({ token: fresh, expiresIn }) => accept(fresh, expiresIn),
      onEnded: () => {
        if (tokenRef.current !== null) forget();
      },
    });
  }

  useEffect(() => {
    // Tokens were kept in localStorage before; one left there is no longer used (nor should it linger).
    tokenStorage.clear();
    const renewal = renewalRef.current;
    let cancelled = false;
    void renewal?.renewNow().then((fresh) => {
      if (!cancelled && fresh === null) setStatus((current) => (current === "starting" ? "signedOut" : current));
    });
    return () => {
      cancelled = true;
      renewal?.stop();
    };
  }, []);

  const signIn = useCallback(
    (answer: AuthResponse) => {
      queryClient.clear();
      setSessionKey((key) => key + 1);
      accept(answer.access_token, answer.expires_in);
    },
    [queryClient, accept],
  );

  const logOut = useCallback(() => {
    // The server ends the session (and its sockets); the app signs out at once whatever the answer.
    void api.logout().catch(() => undefined);
    forget();
  }, [api, forget]);

  const logOutEverywhere = useCallback(async () => {
    await api.logoutEverywhere();
    forget();
  }, [api, forget]);

  const renew = useCallback(async () => renewalRef.current?.renewNow(), []);

  const value = useMemo(
    () => ({ status, token, sessionKey, signIn, logOut, logOutEverywhere, sessionEnded: forget, renew }),
    [status, token, sessionKey, signIn, logOut, logOutEverywhere, forget, renew],
  );
  return (
    <AuthContext value={value}>
      <ApiClientProvider client={api}>{children}</ApiClientProvider>
    </AuthContext>
  );
}

export function useAuth(): AuthContextValue {
  const value = use(AuthContext);
  if (!value) throw new Error("useAuth needs an <AuthProvider>");
  return value;
}
