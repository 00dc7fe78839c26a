// A stand-in for socket.io-client's Socket: tests play the server's part.
type Handler = (...args: unknown[]) => void;

export class FakeSocket {
  connected = false;
  active = true;
  readonly emitted: [string, unknown][] = [];
  private readonly handlers = new Map<string, Set<Handler>>();

  on(event: string, handler: Handler): this {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(handler);
    return this;
  }

  emit(event: string, payload: unknown): this {
    this.emitted.push([event, payload]);
    return this;
  }

  removeAllListeners(): this {
    this.handlers.clear();
    return this;
  }

  connect(): this {
    return this;
  }

  disconnect(): this {
    this.connected = false;
    return this;
  }

  /** The server side: deliver an event to the client's handlers. */
  serverSends(event: string, ...args: unknown[]): void {
    for (const handler of this.handlers.get(event) ?? []) handler(...args);
  }

  goOnline(): void {
    this.connected = true;
    this.serverSends("connect");
  }

  goOffline(): void {
    this.connected = false;
    this.serverSends("disconnect", "transport close");
  }
}

export const sockets: FakeSocket[] = [];

export function lastSocket(): FakeSocket {
  const socket = sockets[sockets.length - 1];
  if (!socket) throw new Error("no socket was opened");
  return socket;
}

/**
 * socket.io-client's `io`, for a test file's `vi.mock("socket.io-client", () => import(".../fakeSocket.ts"))`:
 * every connection the app opens is a FakeSocket, kept in `sockets` for the test to play the server.
 */
export function io(): FakeSocket {
  const socket = new FakeSocket();
  sockets.push(socket);
  return socket;
}
