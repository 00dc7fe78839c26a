/** Who is typing to me right now. A `typing` event lasts a few seconds unless renewed. */
export class TypingStore {
  private readonly until = new Map<string, number>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly listeners = new Set<() => void>();
  private readonly ttlMs: number;

  constructor(ttlMs = 4000) {
    this.ttlMs = ttlMs;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  isTyping = (peerId: string): boolean => this.until.has(peerId);

  typing(peerId: string): void {
    const wasTyping = this.until.has(peerId);
    this.until.set(peerId, Date.now() + this.ttlMs);
    clearTimeout(this.timers.get(peerId));
    this.timers.set(
      peerId,
      setTimeout(() => this.stopped(peerId), this.ttlMs),
    );
    if (!wasTyping) this.emit();
  }

  /** The peer stopped (their message arrived, or the indicator timed out). */
  stopped(peerId: string): void {
    clearTimeout(this.timers.get(peerId));
    this.timers.delete(peerId);
    if (this.until.delete(peerId)) this.emit();
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.until.clear();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}
