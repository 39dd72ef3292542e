/**
 * The query cache kept in step with my RFQs: every copy of an RFQ (a mutation's answer, a
 * message of the `rfq` channel) goes to each query that holds it — the RFQ itself, my live RFQs
 * and the paged lists — unless the copy held is newer.
 */
import type { QueryClient } from "@tanstack/react-query";
import { BALANCES_KEY } from "../../lib/balances";
import {
  inList,
  isLive,
  LIVE_RFQS_KEY,
  mergeLiveSnapshot,
  newerRfq,
  RFQ_LISTS_KEY,
  RFQS_KEY,
  rfqKey,
  upsertLive,
  upsertPages,
  type Rfq,
  type RfqListFilter,
  type RfqPages,
} from "./rfq";

const ONE_KEY = [...RFQS_KEY, "one"] as const;

/** The paged list queries held, with their filters. */
function lists(client: QueryClient) {
  return client
    .getQueryCache()
    .findAll({ queryKey: RFQ_LISTS_KEY })
    .map((query) => ({ key: query.queryKey, filter: query.queryKey[RFQ_LISTS_KEY.length] as RfqListFilter | undefined }));
}

/** Any copy of an RFQ the cache holds. */
function heldCopy(client: QueryClient, id: string): Rfq | undefined {
  const one = client.getQueryData<Rfq>(rfqKey(id));
  if (one) return one;
  const live = client.getQueryData<Rfq[]>(LIVE_RFQS_KEY)?.find((rfq) => rfq.id === id);
  if (live) return live;
  for (const { key } of lists(client)) {
    for (const page of client.getQueryData<RfqPages>(key)?.pages ?? []) {
      const found = page.items.find((rfq) => rfq.id === id);
      if (found) return found;
    }
  }
  return undefined;
}

/** A trade on an RFQ moved my cash and holdings: the screens that show them read again. */
function refreshMoney(client: QueryClient): void {
  for (const key of [["trades"], ["portfolio"], BALANCES_KEY]) void client.invalidateQueries({ queryKey: key });
}

/** The RFQ itself and the paged lists (not the live list). */
function storeCopies(client: QueryClient, rfq: Rfq): void {
  client.setQueryData<Rfq>(rfqKey(rfq.id), (held) => newerRfq(held, rfq));
  for (const { key, filter } of lists(client)) {
    if (!filter) continue;
    client.setQueryData<RfqPages>(key, (data) => upsertPages(data, rfq, inList(filter, rfq)));
  }
}

/** Put a copy of one RFQ everywhere it belongs; one that just traded refreshes my money too. */
export function storeRfq(client: QueryClient, rfq: Rfq): void {
  const before = heldCopy(client, rfq.id);
  storeCopies(client, rfq);
  client.setQueryData<Rfq[]>(LIVE_RFQS_KEY, (list) => (list ? upsertLive(list, rfq) : undefined));
  if (rfq.status === "done" && before?.status !== "done") refreshMoney(client);
}

/**
 * The `rfq` channel's first state: all my live RFQs. It replaces the live list; an RFQ held as
 * live that it no longer has ended while nobody listened, so whatever holds it reads again.
 */
export function storeSnapshot(client: QueryClient, snapshot: readonly Rfq[]): void {
  const { list, gone } = mergeLiveSnapshot(client.getQueryData<Rfq[]>(LIVE_RFQS_KEY), snapshot);
  client.setQueryData<Rfq[]>(LIVE_RFQS_KEY, list);
  for (const rfq of list) storeCopies(client, rfq);

  const live = new Set(list.map((rfq) => rfq.id));
  const ended = (rfq: Rfq) => isLive(rfq) && !live.has(rfq.id);
  const stale = new Set(gone);
  for (const query of client.getQueryCache().findAll({ queryKey: ONE_KEY })) {
    const held = query.state.data as Rfq | undefined;
    if (held && ended(held)) stale.add(held.id);
  }
  for (const id of stale) void client.invalidateQueries({ queryKey: rfqKey(id) });
  for (const { key } of lists(client)) {
    const pages = client.getQueryData<RfqPages>(key)?.pages ?? [];
    if (pages.some((page) => page.items.some(ended))) void client.invalidateQueries({ queryKey: key, exact: true });
  }
  if (stale.size > 0) refreshMoney(client);
}
