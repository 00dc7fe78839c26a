import { createContext, use, type ReactNode } from "react";
import type { ApiClient } from "../api/client.ts";

// The session (features/auth) builds the client, since only it knows the token; every feature asks for it here,
// so that needing the API does not mean depending on the auth feature.
const ApiClientContext = createContext<ApiClient | null>(null);

export function ApiClientProvider({ client, children }: { client: ApiClient; children: ReactNode }) {
  return <ApiClientContext value={client}>{children}</ApiClientContext>;
}

/** The typed API client of the current session. */
export function useApi(): ApiClient {
  const client = use(ApiClientContext);
  if (!client) throw new Error("useApi needs an <ApiClientProvider> (AuthProvider renders one)");
  return client;
}
