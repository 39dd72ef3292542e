/**
 * Order-book state of the `book:{instrument_id}` channel: a snapshot, then sequenced deltas.
 * Pure functions; the screen holds the result in React state.
 */

/** One price level: its displayed quantity and how many orders rest there. */
export interface BookLevel {
  price: string;
  price_ticks: number;
  quantity: number;
  orders: number;
}

/** The `snapshot` message's data: every level, best first, as of `seq`. */
export interface BookSnapshot {
  instrument_id: string;
  seq: number;
  bids: BookLevel[];
  asks: BookLevel[];
}

/** The `delta` message's data: the levels that changed between `prev_seq` and `seq` (0: gone). */
export interface BookDelta {
  instrument_id: string;
  prev_seq: number;
  seq: number;
  bids: BookLevel[];
  asks: BookLevel[];
}

/** A book as held: bids best-first (descending price), asks best-first (ascending). */
export interface Book {
  seq: number;
  bids: BookLevel[];
  asks: BookLevel[];
}

/** What applying a delta did: a new book, nothing (already held), or a gap (resync needed). */
export type DeltaResult = { kind: "applied"; book: Book } | { kind: "stale" } | { kind: "gap" };

const descending = (a: BookLevel, b: BookLevel) => b.price_ticks - a.price_ticks;
const ascending = (a: BookLevel, b: BookLevel) => a.price_ticks - b.price_ticks;

/** Levels with quantity, sorted best first. */
function side(levels: readonly BookLevel[], order: typeof ascending): BookLevel[] {
  return levels.filter((level) => level.quantity > 0).sort(order);
}

/** Replace changed levels (by `price_ticks`) and drop those whose quantity is now 0. */
function merge(held: readonly BookLevel[], changed: readonly BookLevel[], order: typeof ascending): BookLevel[] {
  if (changed.length === 0) return held as BookLevel[];
  const levels = new Map(held.map((level) => [level.price_ticks, level]));
  for (const level of changed) {
    if (level.quantity > 0) levels.set(level.price_ticks, level);
    else levels.delete(level.price_ticks);
  }
  return [...levels.values()].sort(order);
}

/** The book a snapshot describes. */
export function bookFromSnapshot(snapshot: BookSnapshot): Book {
  return { seq: snapshot.seq, bids: side(snapshot.bids, descending), asks: side(snapshot.asks, ascending) };
}

/**
 * Apply a delta: stale when its `seq` is not newer than the book's, a gap when its `prev_seq`
 * is not the book's `seq` (one was missed: subscribe again for a fresh snapshot).
 */
export function applyDelta(book: Book, delta: BookDelta): DeltaResult {
  if (delta.seq <= book.seq) return { kind: "stale" };
  if (delta.prev_seq !== book.seq) return { kind: "gap" };
  return {
    kind: "applied",
    book: { seq: delta.seq, bids: merge(book.bids, delta.bids, descending), asks: merge(book.asks, delta.asks, ascending) },
  };
}

/** A level with the quantity resting at it and every better level on its side. */
export interface DepthLevel extends BookLevel {
  cumulative: number;
}

/** The first `count` levels of a side with their cumulative depth (for depth bars). */
export function withDepth(levels: readonly BookLevel[], count: number): DepthLevel[] {
  let cumulative = 0;
  return levels.slice(0, count).map((level) => {
    cumulative += level.quantity;
    return { ...level, cumulative };
  });
}

/** The spread in ticks between the best bid and the best ask (null when a side is empty). */
export function spreadTicks(book: Book): number | null {
  const bid = book.bids[0];
  const ask = book.asks[0];
  return bid && ask ? ask.price_ticks - bid.price_ticks : null;
}
