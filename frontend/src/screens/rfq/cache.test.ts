import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { BALANCES_KEY } from "../../lib/balances";
import { storeRfq, storeSnapshot } from "./cache";
import { at, quote, rfq } from "./fixtures";
import { LIVE_RFQS_KEY, rfqKey, rfqListKey, type Rfq, type RfqPages } from "./rfq";

const pages = (items: Rfq[]): RfqPages => ({ pages: [{ items, next_cursor: null }], pageParams: [null] });
const ids = (client: QueryClient, key: readonly unknown[]) =>
  client.getQueryData<RfqPages>(key)?.pages.flatMap((page) => page.items.map((item) => item.id));
const invalidated = (client: QueryClient, key: readonly unknown[]) => client.getQueryCache().find({ queryKey: key })?.state.isInvalidated;

function cache() {
  const client = new QueryClient();
  const asked = rfq({ id: "asked", role: "requester", created_at: at(1) });
  client.setQueryData(LIVE_RFQS_KEY, [asked]);
  client.setQueryData(rfqListKey({ role: "requester" }), pages([asked]));
  client.setQueryData(rfqListKey({ role: "dealer" }), pages([]));
  client.setQueryData(["trades", "history"], []);
  client.setQueryData(BALANCES_KEY, []);
  return { client, asked };
}

describe("the RFQ cache", () => {
  it("puts a new RFQ in the live list and the lists it belongs to", () => {
    const { client } = cache();
    const incoming = rfq({ id: "incoming", role: "dealer", created_at: at(5) });
    storeRfq(client, incoming);
    expect(client.getQueryData(rfqKey("incoming"))).toBe(incoming);
    expect(client.getQueryData<Rfq[]>(LIVE_RFQS_KEY)?.map((item) => item.id)).toEqual(["incoming", "asked"]);
    expect(ids(client, rfqListKey({ role: "dealer" }))).toEqual(["incoming"]);
    expect(ids(client, rfqListKey({ role: "requester" }))).toEqual(["asked"]);
    expect(invalidated(client, ["trades", "history"])).toBe(false);
  });

  it("keeps the newer copy and refreshes my money when an RFQ trades", () => {
    const { client, asked } = cache();
    const quoted = { ...asked, seq: asked.seq + 1, quotes: [quote({ rfq_id: "asked", created_at: at(3) })] };
    storeRfq(client, quoted);
    storeRfq(client, asked); // an older copy, late
    expect(client.getQueryData(rfqKey("asked"))).toEqual(quoted);
    // (The cache shares what did not change between copies, so copies compare by value.)
    expect(client.getQueryData<Rfq[]>(LIVE_RFQS_KEY)?.[0]).toEqual(quoted);

    const done = { ...quoted, seq: quoted.seq + 1, status: "done" as const, ended_at: at(4), price: "100.25" };
    storeRfq(client, done);
    expect(client.getQueryData(rfqKey("asked"))).toEqual(done);
    expect(client.getQueryData<RfqPages>(rfqListKey({ role: "requester" }))?.pages[0]?.items[0]).toEqual(done);
    expect(invalidated(client, ["trades", "history"])).toBe(true);
    expect(invalidated(client, BALANCES_KEY)).toBe(true);
  });

  it("takes the channel's first state as the live list and reads again what ended meanwhile", () => {
    const { client, asked } = cache();
    client.setQueryData(rfqKey("asked"), asked);
    const fresh = rfq({ id: "fresh", role: "dealer", created_at: at(6) });
    storeSnapshot(client, [fresh]);
    expect(client.getQueryData<Rfq[]>(LIVE_RFQS_KEY)).toEqual([fresh]);
    expect(ids(client, rfqListKey({ role: "dealer" }))).toEqual(["fresh"]);
    expect(invalidated(client, rfqKey("asked"))).toBe(true);
    expect(invalidated(client, rfqListKey({ role: "requester" }))).toBe(true);
    expect(invalidated(client, rfqListKey({ role: "dealer" }))).toBe(false);
  });
});
