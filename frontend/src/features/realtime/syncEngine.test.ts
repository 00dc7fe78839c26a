import { describe, expect, it, vi } from "vitest";
import type { Message, SyncResponse } from "../../api/types.ts";
import { message } from "../../test/fixtures.ts";
import { mergeById } from "../../data/cache.ts";
import { SyncEngine } from "./syncEngine.ts";

function page(messages: Message[], position: number, more = false): SyncResponse {
  return { messages, reads: [], position, more };
}

/** A client whose timeline is the dedupe-merge of everything applied. */
function harness(start: number, pages: SyncResponse[]) {
  let timeline: Message[] = [];
  const fetchSync = vi.fn(async (_after: number) => {
    const next = pages.shift();
    if (!next) throw new Error("no more pages");
    return next;
  });
  const engine = new SyncEngine(start, {
    fetchSync,
    applyMessages: (ms) => {
      timeline = mergeById(timeline, ms);
    },
    applyReads: () => {},
  });
  return { engine, fetchSync, timeline: () => timeline };
}

describe("SyncEngine (missing nothing across reconnects)", () => {
  it("on connect fetches after the start position and repeats while `more`", async () => {
    const m1 = message({ seq: 1, position: 11 });
    const m2 = message({ seq: 2, position: 12 });
    const { engine, fetchSync, timeline } = harness(10, [page([m1], 11, true), page([m2], 12)]);
    await engine.connected();
    expect(fetchSync.mock.calls.map((c) => c[0])).toEqual([10, 11]);
    expect(timeline().map((m) => m.seq)).toEqual([1, 2]);
    expect(engine.cursor).toBe(12);
    expect(engine.isCaughtUp).toBe(true);
  });

  it("shows a message exactly once when it arrives live and again in the sync", async () => {
    const m1 = message({ seq: 1, position: 11 });
    const { engine, timeline } = harness(10, [page([m1], 11)]);
    engine.liveMessage(m1);
    await engine.connected();
    engine.liveMessage(m1);
    expect(timeline()).toHaveLength(1);
  });

  it("a live event during the catch-up does not move the cursor past the gap", async () => {
    const gap = message({ seq: 1, position: 11 });
    const live = message({ seq: 2, position: 20 });
    let release: (value: SyncResponse) => void = () => {};
    const fetchSync = vi.fn(() => new Promise<SyncResponse>((resolve) => (release = resolve)));
    const engine = new SyncEngine(10, { fetchSync, applyMessages: () => {}, applyReads: () => {} });
    const sync = engine.connected();
    await vi.waitFor(() => expect(fetchSync).toHaveBeenCalled());
    engine.liveMessage(live);
    expect(engine.cursor).toBe(10);
    release(page([gap], 11));
    await sync;
    expect(engine.cursor).toBe(11);
    // Caught up now: live events advance it.
    engine.liveMessage(message({ seq: 3, position: 21 }));
    expect(engine.cursor).toBe(21);
  });

  it("a resync from the node catches up again from before what it could not push", async () => {
    const pushed = message({ seq: 3, position: 30 });
    const missed = message({ seq: 2, position: 20 });
    const { engine, fetchSync, timeline } = harness(10, [page([], 15), page([missed, pushed], 30)]);
    await engine.connected();
    engine.liveMessage(pushed); // the cursor moves past the event the node never heard
    expect(engine.cursor).toBe(30);
    await engine.resync(15);
    expect(fetchSync.mock.calls.map((c) => c[0])).toEqual([10, 15]);
    expect(timeline().map((m) => m.seq).sort()).toEqual([2, 3]);
    expect(engine.cursor).toBe(30);
  });

  it("a resync naming no position catches up from the cursor", async () => {
    const { engine, fetchSync } = harness(10, [page([], 12), page([], 12)]);
    await engine.connected();
    await engine.resync(null);
    expect(fetchSync.mock.calls.map((c) => c[0])).toEqual([10, 12]);
  });

  it("after a disconnect, the next connect syncs from the last applied position", async () => {
    const { engine, fetchSync } = harness(10, [page([], 15), page([message({ seq: 5, position: 30 })], 30)]);
    await engine.connected();
    engine.disconnected();
    engine.liveMessage(message({ seq: 4, position: 25 })); // not caught up: cursor stays
    await engine.connected();
    expect(fetchSync.mock.calls.map((c) => c[0])).toEqual([10, 15]);
    expect(engine.cursor).toBe(30);
  });

  it("a failed sync leaves the position for the next try and reports the error", async () => {
    const onError = vi.fn();
    const fetchSync = vi.fn().mockRejectedValueOnce(new Error("offline")).mockResolvedValueOnce(page([], 12));
    const engine = new SyncEngine(10, { fetchSync, applyMessages: () => {}, applyReads: () => {}, onError });
    await engine.connected();
    expect(onError).toHaveBeenCalledOnce();
    expect(engine.isCaughtUp).toBe(false);
    expect(engine.cursor).toBe(10);
    await engine.connected();
    expect(engine.cursor).toBe(12);
  });

  it("never runs two syncs at once: a quick reconnect waits for the running one", async () => {
    let active = 0;
    let maxActive = 0;
    const fetchSync = vi.fn(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
      return page([], 10);
    });
    const engine = new SyncEngine(10, { fetchSync, applyMessages: () => {}, applyReads: () => {} });
    await Promise.all([engine.connected(), engine.connected()]);
    expect(fetchSync).toHaveBeenCalledTimes(2);
    expect(maxActive).toBe(1);
  });
});
