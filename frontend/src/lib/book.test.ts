import { describe, expect, it } from "vitest";
import { applyDelta, bookFromSnapshot, spreadTicks, withDepth, type Book, type BookDelta, type BookLevel } from "./book";

const TICK = 0.0025;
const level = (ticks: number, quantity: number, orders = 1): BookLevel => ({
  price: (ticks * TICK).toFixed(4),
  price_ticks: ticks,
  quantity,
  orders,
});

const snapshot = bookFromSnapshot({
  instrument_id: "i",
  seq: 10,
  bids: [level(398, 200), level(400, 100), level(399, 0)],
  asks: [level(404, 300), level(402, 100)],
});

const delta = (prev_seq: number, seq: number, bids: BookLevel[] = [], asks: BookLevel[] = []): BookDelta => ({
  instrument_id: "i",
  prev_seq,
  seq,
  bids,
  asks,
});

function applied(book: Book, change: BookDelta): Book {
  const result = applyDelta(book, change);
  if (result.kind !== "applied") throw new Error(`expected applied, got ${result.kind}`);
  return result.book;
}

const ticks = (levels: BookLevel[]) => levels.map((l) => l.price_ticks);

describe("bookFromSnapshot", () => {
  it("sorts bids descending and asks ascending, dropping empty levels", () => {
    expect(snapshot.seq).toBe(10);
    expect(ticks(snapshot.bids)).toEqual([400, 398]);
    expect(ticks(snapshot.asks)).toEqual([402, 404]);
  });
});

describe("applyDelta", () => {
  it("adds, replaces and removes levels and takes the delta's seq", () => {
    const book = applied(snapshot, delta(10, 11, [level(401, 50), level(398, 0)], [level(402, 75), level(403, 10)]));
    expect(book.seq).toBe(11);
    expect(ticks(book.bids)).toEqual([401, 400]);
    expect(ticks(book.asks)).toEqual([402, 403, 404]);
    expect(book.asks[0]?.quantity).toBe(75);
  });

  it("does not change the book it was given", () => {
    applied(snapshot, delta(10, 11, [level(400, 0)]));
    expect(ticks(snapshot.bids)).toEqual([400, 398]);
    expect(snapshot.seq).toBe(10);
  });

  it("applies a conflated delta spanning several sequence numbers", () => {
    const book = applied(snapshot, delta(10, 15, [], [level(402, 0)]));
    expect(book.seq).toBe(15);
    expect(ticks(book.asks)).toEqual([404]);
  });

  it("applies deltas in a chain", () => {
    const once = applied(snapshot, delta(10, 11, [level(399, 5)]));
    const twice = applied(once, delta(11, 12, [level(399, 0)]));
    expect(ticks(twice.bids)).toEqual([400, 398]);
    expect(twice.seq).toBe(12);
  });

  it("ignores a delta the book already holds", () => {
    expect(applyDelta(snapshot, delta(9, 10, [level(400, 0)]))).toEqual({ kind: "stale" });
    expect(applyDelta(snapshot, delta(5, 8))).toEqual({ kind: "stale" });
  });

  it("reports a gap when the delta does not start at the held seq", () => {
    expect(applyDelta(snapshot, delta(11, 12, [level(400, 0)]))).toEqual({ kind: "gap" });
  });

  it("reports a gap for a delta that starts before the held seq but ends after it", () => {
    expect(applyDelta(snapshot, delta(9, 11))).toEqual({ kind: "gap" });
  });

  it("empties a side", () => {
    const book = applied(snapshot, delta(10, 11, [level(400, 0), level(398, 0)]));
    expect(book.bids).toEqual([]);
    expect(spreadTicks(book)).toBeNull();
  });
});

describe("depth", () => {
  it("accumulates quantity from the best level outwards", () => {
    expect(withDepth(snapshot.bids, 5).map((l) => l.cumulative)).toEqual([100, 300]);
    expect(withDepth(snapshot.asks, 1).map((l) => l.cumulative)).toEqual([100]);
  });

  it("measures the spread in ticks", () => {
    expect(spreadTicks(snapshot)).toBe(2);
  });
});
