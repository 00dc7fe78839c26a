import { useQueryClient } from "@tanstack/react-query";
import {
  createContext,
  use,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from "react";
import { io, type Socket } from "socket.io-client";
import type { Me, Message, Presence, Read, Typing, UserEntry, UserUpdate } from "../../api/types.ts";
import { useApi } from "../../data/ApiClientProvider.tsx";
import { applyMessagesToCache, applyReadsToCache } from "../../data/applyToCache.ts";
import { applyPresence, applyPresences, updateMe, upsertUser } from "../../data/cache.ts";
import { fetchPeople, knownPeople } from "../../data/knownPeople.ts";
import { useOutbox } from "../../data/OutboxProvider.tsx";
import { queryKeys } from "../../data/queryKeys.ts";
import { useAuth } from "../auth/AuthProvider.tsx";
import { SyncEngine } from "./syncEngine.ts";
import { TypingStore } from "./typingStore.ts";

export type ConnectionStatus = "connecting" | "connected" | "disconnected";

type ServerEvents = {
  message: (message: Message) => void;
  read: (read: Read) => void;
  typing: (typing: Typing) => void;
  presence: (presence: Presence) => void;
  /** Several presence changes of the same moment (a storm), in the order they happened. */
  presences: (batch: { changes: Presence[] }) => void;
  user: (user: UserUpdate) => void;
  /** Sent just before the server disconnects this socket: its session ended or its token expired. */
  session_ended: (payload: { reason: string }) => void;
  /** The node's bus connection came back: catch up from `after` (events meanwhile were not pushed). */
  resync: (payload: { after: number | null }) => void;
};
type ClientEvents = {
  typing: (payload: { to: string }) => void;
  /** The renewed access token: the socket then lives as long as it does. */
  renew: (payload: { token: string }) => void;
  /** The people whose presence this client shows: the server then pushes only theirs. */
  watch_presence: (payload: { user_ids: string[] }) => void;
};
type ChatSocket = Socket<ServerEvents, ClientEvents>;

export type ChatSocketValue = {
  status: ConnectionStatus;
  /** True once the socket has been connected at least once (so a drop is news). */
  everConnected: boolean;
  sendTyping: (peerId: string) => void;
  typing: TypingStore;
};

/** Exported for tests, which provide a fixed value. */
export const ChatSocketContext = createContext<ChatSocketValue | null>(null);

const TYPING_EVERY_MS = 2000;
const RETRY_MS = 3000;

/** One Socket.IO connection per session; its events update the query cache. */
export function ChatSocketProvider({
  token,
  me,
  syncPosition,
  children,
}: {
  token: string;
  me: Me;
  syncPosition: number;
  children: ReactNode;
}) {
  const api = useApi();
  const { renew, sessionEnded } = useAuth();
  const queryClient = useQueryClient();
  const { confirm } = useOutbox();
  const [status, setStatus] = useState<ConnectionStatus>("connecting");
  const [everConnected, setEverConnected] = useState(false);
  const [typing] = useState(() => new TypingStore());
  const socketRef = useRef<ChatSocket | null>(null);
  const lastTypingSent = useRef(new Map<string, number>());
  const meId = me.id;

  // The starting position is read once: later renders must not rewind the cursor.
  const startPosition = useRef(syncPosition);
  // The token changes at every renewal; the socket keeps going and is handed the new one (below), and any
  // reconnect uses the newest.
  const tokenRef = useRef(token);

  useEffect(() => {
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let connects = 0;
    const applyMessages = (messages: Message[]) => {
      // Someone not loaded yet (not in any page so far): look them up, so they join the top of the list.
      fetchPeople(queryClient, api, applyMessagesToCache(queryClient, messages, meId), meId);
      confirm(messages.filter((m) => m.sender_id === meId).map((m) => m.client_msg_id));
      for (const m of messages) if (m.sender_id !== meId) typing.stopped(m.sender_id);
    };
    const engine = new SyncEngine(startPosition.current, {
      fetchSync: (after) => api.sync(after),
      applyMessages,
      applyReads: (reads) => applyReadsToCache(queryClient, reads, meId),
      onError: () => {
        retryTimer = setTimeout(() => {
          if (socket.connected) void engine.connected();
        }, RETRY_MS);
      },
    });

    // Presence and people changes change the known people at once. A page of people that is on its way may
    // predate them (or the first page has not landed yet): they are applied again once it lands.
    let early: ((users: UserEntry[]) => UserEntry[])[] = [];
    const pagesInFlight = () =>
      queryClient.getQueryData(queryKeys.userPages("")) === undefined ||
      queryClient.isFetching({ queryKey: queryKeys.allUserPages }) > 0;
    const changeUsers = (change: (users: UserEntry[]) => UserEntry[]) => {
      queryClient.setQueryData<UserEntry[]>(queryKeys.users, (old) => change(old ?? []));
      if (pagesInFlight()) early = [...early.slice(-999), change];
    };
    const stopWatchingUsers = queryClient.getQueryCache().subscribe((event) => {
      if (early.length === 0 || event.type !== "updated") return;
      const [root, kind] = event.query.queryKey as unknown[];
      if (root !== queryKeys.allUserPages[0] || kind !== queryKeys.allUserPages[1]) return;
      if (event.action.type !== "success" || event.action.manual) return;
      const pending = early;
      // Changes are idempotent: replay them after every page, forget them once no page is on its way.
      queueMicrotask(() => {
        queryClient.setQueryData<UserEntry[]>(queryKeys.users, (old) =>
          pending.reduce((users, change) => change(users), old ?? []),
        );
        if (!pagesInFlight()) early = early.filter((change) => !pending.includes(change));
      });
    });

    const socket: ChatSocket = io({ auth: (cb) => cb({ token: tokenRef.current }), transports: ["websocket"] });
    socketRef.current = socket;

    // The server pushes the presence of the people named here, the people this client knows (pages, searches,
    // conversations), not of everyone: otherwise a thousand people coming online is a thousand pushes to each
    // of the thousand. Named on each connect and again when they change, changes of one moment together.
    let watched = "";
    let watchQueued = false;
    const watchKnownPeople = () => {
      if (watchQueued) return;
      watchQueued = true;
      queueMicrotask(() => {
        watchQueued = false;
        if (!socket.connected) return;
        const ids = knownPeople(queryClient)
          .map((u) => u.id)
          .sort();
        const key = ids.join(",");
        if (key === watched) return;
        watched = key;
        socket.emit("watch_presence", { user_ids: ids });
      });
    };
    const stopWatchingPeople = queryClient.getQueryCache().subscribe((event) => {
      if (event.type !== "updated" || event.query.queryKey[0] !== queryKeys.users[0]) return;
      if (event.query.queryKey.length === queryKeys.users.length) watchKnownPeople();
    });

    // The server refused us or dropped us on purpose: find out whether the session is
    // over (a 401 logs out), otherwise try again.
    const recheck = () => {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => {
        api.me().then(
          () => socket.connect(),
          () => {
            if (!socket.connected) socket.connect();
          },
        );
      }, RETRY_MS);
    };

    socket.on("connect", () => {
      connects++;
      watched = ""; // a new socket hears about everyone until it names its people
      watchKnownPeople();
      setStatus("connected");
      setEverConnected(true);
      void engine.connected();
      // Presence changed while we were away; the list merges without losing newer summaries.
      if (connects > 1) void queryClient.invalidateQueries({ queryKey: queryKeys.users });
    });
    socket.on("disconnect", (reason) => {
      engine.disconnected();
      setStatus("disconnected");
      if (reason === "io server disconnect") recheck();
    });
    socket.on("connect_error", () => {
      setStatus("disconnected");
      if (!socket.active) recheck();
    });
    // The server ended this socket: the session is over (logged out here or elsewhere) or the token ran out
    // (a sleeping laptop missed its renewal). A renewal tells which; the reconnect above uses the new token.
    socket.on("session_ended", () => {
      void renew().then((fresh) => {
        if (fresh === null) sessionEnded();
      });
    });
    socket.on("resync", ({ after }) => void engine.resync(after));
    socket.on("message", (message) => engine.liveMessage(message));
    socket.on("read", (read) => engine.liveRead(read));
    socket.on("typing", ({ from }) => {
      if (from !== meId) typing.typing(from);
    });
    // Presence of someone not known here yet (a sign-up's `user` push is gathered for a moment, its presence is
    // not): kept until they arrive, so a new person does not show offline while they are online.
    const unknownPresence = new Map<string, Presence>();
    const changePresence = (changes: Presence[]) =>
      changeUsers((users) => {
        for (const change of changes) {
          if (!users.some((u) => u.id === change.user_id)) unknownPresence.set(change.user_id, change);
        }
        return applyPresences(users, changes);
      });
    socket.on("presence", (presence) => changePresence([presence]));
    socket.on("presences", ({ changes }) => changePresence(changes));
    socket.on("user", (user) => {
      const presence = unknownPresence.get(user.id);
      unknownPresence.delete(user.id);
      changeUsers((users) => {
        const next = upsertUser(users, user, meId);
        return presence ? applyPresence(next, presence) : next;
      });
      queryClient.setQueryData<{ user: Me; sync_position?: number }>(queryKeys.me, (old) =>
        old ? { ...old, user: updateMe(old.user, user) } : old,
      );
    });

    return () => {
      clearTimeout(retryTimer);
      stopWatchingUsers();
      stopWatchingPeople();
      socket.removeAllListeners();
      socket.disconnect();
      socketRef.current = null;
    };
  }, [api, queryClient, confirm, typing, meId, renew, sessionEnded]);

  useEffect(() => {
    if (tokenRef.current === token) return;
    tokenRef.current = token;
    const socket = socketRef.current;
    if (socket?.connected) socket.emit("renew", { token });
  }, [token]);

  useEffect(() => () => typing.dispose(), [typing]);

  const sendTyping = useCallback((peerId: string) => {
    const socket = socketRef.current;
    if (!socket?.connected) return;
    const now = Date.now();
    if (now - (lastTypingSent.current.get(peerId) ?? 0) < TYPING_EVERY_MS) return;
    lastTypingSent.current.set(peerId, now);
    socket.emit("typing", { to: peerId });
  }, []);

  const value = useMemo(
    () => ({ status, everConnected, sendTyping, typing }),
    [status, everConnected, sendTyping, typing],
  );
  return <ChatSocketContext value={value}>{children}</ChatSocketContext>;
}

export function useChatSocket(): ChatSocketValue {
  const value = use(ChatSocketContext);
  if (!value) throw new Error("useChatSocket needs a <ChatSocketProvider>");
  return value;
}

/** Whether `peerId` is typing to me right now. */
export function usePeerTyping(peerId: string): boolean {
  const { typing } = useChatSocket();
  return useSyncExternalStore(typing.subscribe, () => typing.isTyping(peerId));
}
