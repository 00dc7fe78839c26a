import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { ApiError, errorMessage } from "../../api/errors.ts";
import { Logo } from "../../components/Logo.tsx";
import { useApi } from "../../data/ApiClientProvider.tsx";
import { OutboxProvider } from "../../data/OutboxProvider.tsx";
import { queryKeys } from "../../data/queryKeys.ts";
import { useAuth } from "../auth/AuthProvider.tsx";
import { ChatSocketProvider } from "../realtime/ChatSocketProvider.tsx";
import { ChatLayout } from "./ChatLayout.tsx";

/**
 * The signed-in app. `GET /api/me` comes first: it names me and gives the log
 * position that live updates and reconnect syncs start from.
 */
export function ChatShell({ token }: { token: string }) {
  const api = useApi();
  const { logOut } = useAuth();
  const me = useQuery({
    queryKey: queryKeys.me,
    queryFn: () => api.me(),
    staleTime: Number.POSITIVE_INFINITY,
    // Right after sign-up the read model may not have me yet (404): try again shortly.
    retry: (failures, error) =>
      error instanceof ApiError ? error.status === 404 && failures < 10 : failures < 3,
    retryDelay: (failures) => Math.min(250 * 2 ** failures, 3000),
  });

  if (me.isPending || (me.isError && me.isFetching)) {
    return <Splash>Loading your conversations…</Splash>;
  }
  if (me.isError) {
    return (
      <Splash>
        <p role="alert" className="text-red-600 dark:text-red-400">
          {errorMessage(me.error)}
        </p>
        <div className="mt-4 flex justify-center gap-3">
          <button
            type="button"
            onClick={() => void me.refetch()}
            className="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500"
          >
            Try again
          </button>
          <button
            type="button"
            onClick={logOut}
            className="rounded-lg px-4 py-2 text-sm font-medium text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
          >
            Log out
          </button>
        </div>
      </Splash>
    );
  }

  return (
    <OutboxProvider>
      <ChatSocketProvider token={token} me={me.data.user} syncPosition={me.data.sync_position ?? 0}>
        <ChatLayout me={me.data.user} />
      </ChatSocketProvider>
    </OutboxProvider>
  );
}

function Splash({ children }: { children: ReactNode }) {
  return (
    <main className="flex min-h-dvh flex-col items-center justify-center gap-4 bg-slate-50 px-6 text-center text-slate-600 dark:bg-slate-950 dark:text-slate-300">
      <Logo />
      <div>{children}</div>
    </main>
  );
}
