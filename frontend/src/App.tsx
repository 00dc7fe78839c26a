import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState } from "react";
import { AuthProvider, useAuth } from "./features/auth/AuthProvider.tsx";
import { AuthScreen } from "./features/auth/AuthScreen.tsx";
import { ChatShell } from "./features/chat/ChatShell.tsx";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      // The socket keeps the cache fresh; nothing is refetched behind the user's back.
      queries: { refetchOnWindowFocus: false, gcTime: Number.POSITIVE_INFINITY, retry: 2 },
      mutations: { retry: false },
    },
  });
}

function Screens() {
  const { status, token, sessionKey } = useAuth();
  if (status === "starting") return <Starting />;
  // Keyed by session, not by token: a renewed token keeps the app (and its socket) as it is.
  return status === "signedIn" && token ? <ChatShell key={sessionKey} token={token} /> : <AuthScreen />;
}

function Starting() {
  return (
    <main className="flex min-h-dvh items-center justify-center bg-slate-50 text-slate-600 dark:bg-slate-950 dark:text-slate-300">
      <p>Loading…</p>
    </main>
  );
}

/** `fetch` and `queryClient` are injectable for tests. */
export default function App({ fetch, queryClient }: { fetch?: typeof globalThis.fetch; queryClient?: QueryClient }) {
  const [client] = useState(() => queryClient ?? createQueryClient());
  return (
    <QueryClientProvider client={client}>
      <AuthProvider fetch={fetch}>
        <Screens />
      </AuthProvider>
    </QueryClientProvider>
  );
}
