import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { renewDelayMs, SessionRenewal, type Renewed } from "./renewal.ts";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("renewDelayMs", () => {
  it("renews a minute before a 15-minute token runs out, and short tokens at 80% of their life", () => {
    expect(renewDelayMs(900)).toBe(720_000);
    expect(renewDelayMs(3600)).toBe(2_880_000);
    expect(renewDelayMs(60)).toBe(48_000);
    expect(renewDelayMs(2)).toBe(5_000);
    expect(renewDelayMs(undefined)).toBe(720_000);
  });
});

describe("SessionRenewal", () => {
  function renewal(refresh: () => Promise<Renewed | null>) {
    const renewed: Renewed[] = [];
    let ended = 0;
    const r = new SessionRenewal({
      refresh,
      onRenewed: (x) => renewed.push(x),
      onEnded: () => ended++,
      retryMs: 1000,
    });
    return { r, renewed, ended: () => ended };
  }

  it("renews when the timer fires, and joins a renewal already in flight", async () => {
    const refresh = vi.fn(async () => ({ token: "t2", expiresIn: 900 }));
    const { r, renewed } = renewal(refresh);
    r.schedule(720_000);
    await vi.advanceTimersByTimeAsync(719_000);
    expect(refresh).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(renewed).toEqual([{ token: "t2", expiresIn: 900 }]);
    const [a, b] = [r.renewNow(), r.renewNow()];
    expect(await a).toBe("t2");
    expect(await b).toBe("t2");
    expect(refresh).toHaveBeenCalledTimes(2);
  });

  it("ends the session when the server says no, and tries again when it cannot be reached", async () => {
    const answers: (Renewed | null | Error)[] = [new Error("offline"), null];
    const refresh = vi.fn(async () => {
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return next ?? null;
    });
    const { r, ended } = renewal(refresh);
    expect(await r.renewNow()).toBeUndefined();
    expect(ended()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(refresh).toHaveBeenCalledTimes(2);
    expect(ended()).toBe(1);
  });
});
