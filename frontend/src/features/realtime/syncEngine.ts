import type { Message, Read, SyncResponse } from "../../api/types.ts";

export type SyncHandlers = {
  fetchSync: (after: number) => Promise<SyncResponse>;
  applyMessages: (messages: Message[]) => void;
  applyReads: (reads: Read[]) => void;
  onError?: (error: unknown) => void;
};

/**
 * "Missing nothing across reconnects" (docs/api.md): remember the highest log position
 * applied, and on every socket connect fetch `GET /api/sync?after=<position>` (repeating
 * while `more`) and apply it. Live events are applied the same way; appliers ignore
 * message ids they already have, so each message shows exactly once.
 *
 * Live events move the position forward only once this connection has caught up: an
 * event that arrives while a gap is still being filled must not let a later sync skip
 * the gap.
 */
export class SyncEngine {
  private position: number;
  private caughtUp = false;
  private generation = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly handlers: SyncHandlers;

  constructor(startPosition: number, handlers: SyncHandlers) {
    this.position = startPosition;
    this.handlers = handlers;
  }

  get cursor(): number {
    return this.position;
  }

  get isCaughtUp(): boolean {
    return this.caughtUp;
  }

  /** The socket (re)connected: fill the gap since the last applied position. */
  connected(): Promise<void> {
    const generation = ++this.generation;
    this.caughtUp = false;
    // Syncs never overlap: a reconnect during a sync waits for it, then syncs again.
    this.queue = this.queue.then(() => this.catchUp(generation));
    return this.queue;
  }

  /**
   * The server's node lost the bus for a while: events published meanwhile were never pushed, and live events
   * since may have moved the cursor past them. Catch up again from `after` (the last position the node pushed
   * before), or from here when the node names none.
   */
  resync(after: number | null): Promise<void> {
    if (after !== null && after < this.position) this.position = after;
    return this.connected();
  }

  disconnected(): void {
    this.generation++;
    this.caughtUp = false;
  }

  liveMessage(message: Message): void {
    this.handlers.applyMessages([message]);
    this.advanceLive(message.position);
  }

  liveRead(read: Read): void {
    this.handlers.applyReads([read]);
    this.advanceLive(read.position);
  }

  private advanceLive(position: number | undefined): void {
    if (this.caughtUp && typeof position === "number" && position > this.position) {
      this.position = position;
    }
  }

  private async catchUp(generation: number): Promise<void> {
    try {
      for (let round = 0; round < 1000; round++) {
        const page = await this.handlers.fetchSync(this.position);
        if (page.messages.length > 0) this.handlers.applyMessages(page.messages);
        if (page.reads.length > 0) this.handlers.applyReads(page.reads);
        const progressed = page.position > this.position;
        if (progressed) this.position = page.position;
        if (!page.more || !progressed) break;
      }
      if (generation === this.generation) this.caughtUp = true;
    } catch (error) {
      // Stay "not caught up"; the next connect tries again from the same position.
      this.handlers.onError?.(error);
    }
  }
}
