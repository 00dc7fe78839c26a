import { describe, expect, it } from "vitest";
import { BOB, ME, message, read, summary, user } from "../test/fixtures.ts";
import {
  applyMessageToUsers,
  applyPresence,
  applyPresences,
  applyReadToUsers,
  flattenPages,
  mergeById,
  mergePeople,
  updateMe,
  upsertUser,
  type MessagesData,
} from "./cache.ts";

describe("mergeById", () => {
  it("adds new messages in seq order and ignores ids it already has", () => {
    const m1 = message({ seq: 1 });
    const m2 = message({ seq: 2 });
    const m3 = message({ seq: 3 });
    const merged = mergeById([m1, m3], [m3, m2, m2]);
    expect(merged.map((m) => m.seq)).toEqual([1, 2, 3]);
  });

  it("returns the same array when nothing is new (no re-render)", () => {
    const list = [message({ seq: 1 })];
    expect(mergeById(list, [...list])).toBe(list);
  });
});

describe("flattenPages", () => {
  it("orders pages oldest first and drops an id seen on two pages", () => {
    const shared = message({ seq: 3 });
    const data: MessagesData = {
      pageParams: [null, 3],
      pages: [
        { messages: [shared, message({ seq: 4 })], next_before: 3, peer_read_seq: 0 },
        { messages: [message({ seq: 1 }), message({ seq: 2 }), shared], next_before: null, peer_read_seq: 0 },
      ],
    };
    expect(flattenPages(data).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
  });
});

describe("applyMessageToUsers", () => {
  const users = [user({ id: BOB, name: "Bob", conversation: summary({ read_seq: 2 }) })];

  it("sets the preview and activity time and counts a peer's message as unread", () => {
    const m = message({ seq: 3, sent_at: "2026-03-02T11:00:00Z" });
    const [bob] = applyMessageToUsers(users, m, ME);
    expect(bob?.conversation?.last_message?.id).toBe(m.id);
    expect(bob?.conversation?.last_activity_at).toBe("2026-03-02T11:00:00Z");
    expect(bob?.conversation?.unread).toBe(1);
  });

  it("is idempotent: the same message from the socket and a sync counts once", () => {
    const m = message({ seq: 3 });
    const once = applyMessageToUsers(users, m, ME);
    const twice = applyMessageToUsers(once, m, ME);
    expect(twice).toBe(once);
    expect(twice[0]?.conversation?.unread).toBe(1);
  });

  it("does not count my own messages as unread", () => {
    const mine = message({ seq: 3, sender_id: ME, receiver_id: BOB });
    expect(applyMessageToUsers(users, mine, ME)[0]?.conversation?.unread).toBe(0);
  });

  it("starts a summary for a first conversation", () => {
    const fresh = [user({ id: BOB, name: "Bob" })];
    const [bob] = applyMessageToUsers(fresh, message({ seq: 1 }), ME);
    expect(bob?.conversation).toMatchObject({ unread: 1, read_seq: 0 });
  });
});

describe("applyReadToUsers", () => {
  it("moves the peer's read mark (my messages become seen), never backwards", () => {
    const users = [user({ id: BOB, name: "Bob", conversation: summary({ peer_read_seq: 5 }) })];
    expect(applyReadToUsers(users, read({ up_to_seq: 7 }), ME)[0]?.conversation?.peer_read_seq).toBe(7);
    expect(applyReadToUsers(users, read({ up_to_seq: 3 }), ME)).toBe(users);
  });

  it("clears my unread count when I read up to the last message (e.g. in another tab)", () => {
    const last = message({ seq: 4 });
    const users = [user({ id: BOB, name: "Bob", conversation: summary({ last_message: last, unread: 2 }) })];
    const mine = read({ up_to_seq: 4, reader_id: ME, peer_id: BOB });
    expect(applyReadToUsers(users, mine, ME)[0]?.conversation).toMatchObject({ unread: 0, read_seq: 4 });
  });
});

describe("presence and new users", () => {
  it("updates online and last seen", () => {
    const users = [user({ id: BOB, name: "Bob" })];
    const [bob] = applyPresence(users, { user_id: BOB, online: true, last_seen: null });
    expect(bob?.online).toBe(true);
  });

  it("applies a batch of changes in order", () => {
    const users = [user({ id: BOB, name: "Bob" }), user({ id: "carol", name: "Carol" })];
    const [bob, carol] = applyPresences(users, [
      { user_id: BOB, online: true, last_seen: "2026-11-27T10:00:00Z" },
      { user_id: "carol", online: true, last_seen: "2026-11-27T10:00:01Z" },
      { user_id: BOB, online: false, last_seen: "2026-11-27T10:00:02Z" },
    ]);
    expect([bob?.online, bob?.last_seen, carol?.online]).toEqual([false, "2026-11-27T10:00:02Z", true]);
  });

  it("adds a new user once, and never adds me", () => {
    const users = [user({ id: BOB, name: "Bob" })];
    const carol = { id: "carol", name: "Carol", avatar: null, online: false, last_seen: null };
    const added = upsertUser(users, carol, ME);
    expect(added.map((u) => u.name)).toEqual(["Bob", "Carol"]);
    expect(upsertUser(added, { ...carol, name: "Caroline" }, ME).map((u) => u.name)).toEqual(["Bob", "Caroline"]);
    expect(upsertUser(users, { ...carol, id: ME }, ME)).toBe(users);
  });

  it("merges a profile change ({id, name, avatar} only) and keeps presence and the conversation", () => {
    const talk = summary({ last_message: message({ seq: 3 }), unread: 2 });
    const users = [user({ id: BOB, name: "Bob", online: true, last_seen: "2026-03-01T10:00:00Z", conversation: talk })];
    const [bob] = upsertUser(users, { id: BOB, name: "Robert", avatar: "/api/media/a/thumbnail?sig=s" }, ME);
    expect(bob).toMatchObject({ name: "Robert", avatar: "/api/media/a/thumbnail?sig=s", online: true });
    expect(bob?.last_seen).toBe("2026-03-01T10:00:00Z");
    expect(bob?.conversation).toBe(talk);
    const [, dan] = upsertUser(users, { id: "dan", name: "Dan", avatar: null }, ME);
    expect(dan).toMatchObject({ online: false, last_seen: null, conversation: null });
  });

  it("merges my own profile change into me", () => {
    const me = { ...user({ id: ME, name: "Me", online: true }), email: "me@example.com" };
    expect(updateMe(me, { id: ME, name: "New me", avatar: null })).toEqual({ ...me, name: "New me" });
    expect(updateMe(me, { id: BOB, name: "Bob", avatar: null })).toBe(me);
  });
});

describe("mergePeople", () => {
  it("keeps a newer live summary when the fetched read model lags", () => {
    const live = [user({ id: BOB, name: "Bob", conversation: summary({ last_message: message({ seq: 9 }), unread: 1 }) })];
    const stale = [
      user({ id: BOB, name: "Bob", online: true, conversation: summary({ last_message: message({ seq: 8 }) }) }),
    ];
    const [bob] = mergePeople(live, stale);
    expect(bob?.online).toBe(true);
    expect(bob?.conversation?.last_message?.seq).toBe(9);
    expect(bob?.conversation?.unread).toBe(1);
  });

  it("adds new people and keeps the ones the answer does not mention", () => {
    const known = [user({ id: BOB, name: "Bob" })];
    const merged = mergePeople(known, [user({ id: "carol", name: "Carol" }), user({ id: "carol", name: "Carol" })]);
    expect(merged.map((u) => u.id)).toEqual([BOB, "carol"]);
    const bob = user({ id: BOB, name: "Bob" });
    expect(mergePeople(undefined, [bob, bob]).map((u) => u.id)).toEqual([BOB]);
  });
});
