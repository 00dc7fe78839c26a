import { useQueryClient } from "@tanstack/react-query";
import { createContext, use, useCallback, useMemo, useRef, useState, type ReactNode } from "react";
import { ApiClient } from "../../api/client.ts";
import type { AuthResponse } from "../../api/types.ts";
import { tokenStorage } from "./tokenStorage.ts";

type AuthContextValue = {
  token: string | null;
  api: ApiClient;
  signIn: (answer: AuthResponse) => void;
  logOut: () => void;
};

const AuthContext = createContext<AuthContextValue | null>(null);

/** `fetch` is injectable for tests; the browser's is used otherwise. */
export function AuthProvider({ children, fetch }: { children: ReactNode; fetch?: typeof globalThis.fetch }) {
  const queryClient = useQueryClient();
  const [token, setToken] = useState<string | null>(() => tokenStorage.get());
  const tokenRef = useRef(token);

  const logOut = useCallback(() => {
    tokenStorage.clear();
    tokenRef.current = null;
    setToken(null);
    queryClient.clear();
  }, [queryClient]);

  // Any authenticated call answering 401 ends the session it was made in (not a newer one).
  const [api] = useState(
    () =>
      new ApiClient({
        getToken: () => tokenRef.current,
        onUnauthorized: (refused) => {
          if (refused === tokenRef.current) logOut();
        },
        ...(fetch ? { fetch } : {}),
      }),
  );

  const signIn = useCallback(
    (answer: AuthResponse) => {
      queryClient.clear();
      tokenStorage.set(answer.access_token);
      tokenRef.current = answer.access_token;
      setToken(answer.access_token);
    },
    [queryClient],
  );

  const value = useMemo(() => ({ token, api, signIn, logOut }), [token, api, signIn, logOut]);
  return <AuthContext value={value}>{children}</AuthContext>;
}

export function useAuth(): AuthContextValue {
  const value = use(AuthContext);
  if (!value) throw new Error("useAuth needs an <AuthProvider>");
  return value;
}

/** The typed API client of the current session. */
export function useApi(): ApiClient {
  return useAuth().api;
}
