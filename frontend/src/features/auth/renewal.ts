/** A renewed access token and its lifetime in seconds. */
export type Renewed = { token: string; expiresIn: number | undefined };

type Options = {
  /** Ask the server for a new token: the token, null when the session is over; throws when unreachable. */
  refresh: () => Promise<Renewed | null>;
  onRenewed: (renewed: Renewed) => void;
  onEnded: () => void;
  /** How soon to try again after a failed attempt (offline, server down). */
  retryMs?: number;
};

const DEFAULT_LIFETIME_S = 15 * 60;

/** When to renew a token valid for `expiresIn` seconds: at 80% of its life, and at least a minute before it
 * runs out when it lives long enough for that; never sooner than 5 s. */
export function renewDelayMs(expiresIn: number | undefined): number {
  const seconds = expiresIn ?? DEFAULT_LIFETIME_S;
  const at = seconds > 300 ? Math.min(seconds * 0.8, seconds - 60) : seconds * 0.8;
  return Math.max(5_000, at * 1000);
}

/**
 * Renews the session's access token before it expires, for as long as the app is open. One renewal at a time:
 * asking again while one is in flight joins it. `renewNow` resolves to the new token, null when the session has
 * ended, undefined when the server could not be reached (tried again later).
 */
export class SessionRenewal {
  private readonly options: Options;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<string | null | undefined> | null = null;

  constructor(options: Options) {
    this.options = options;
  }

  schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.renewNow(), delayMs);
  }

  renewNow(): Promise<string | null | undefined> {
    if (this.inFlight) return this.inFlight;
    clearTimeout(this.timer);
    const attempt = (async () => {
      try {
        const renewed = await this.options.refresh();
        if (renewed === null) {
          this.options.onEnded();
          return null;
        }
        this.options.onRenewed(renewed);
        return renewed.token;
      } catch {
        this.schedule(this.options.retryMs ?? 10_000);
        return undefined;
      } finally {
        this.inFlight = null;
      }
    })();
    this.inFlight = attempt;
    return attempt;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
