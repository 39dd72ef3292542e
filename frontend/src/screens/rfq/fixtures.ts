/** RFQs and quotes for the unit tests. */
import type { Quote, Rfq } from "./rfq";

export const T0 = Date.parse("2026-11-22T10:00:00Z");
/** The instant `seconds` after T0, as the API writes it. */
export const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

export function quote(overrides: Partial<Quote> = {}): Quote {
  return {
    id: "q1",
    rfq_id: "r1",
    dealer_id: "d1",
    dealer_name: "Dealer One",
    price: "100.25",
    firm: true,
    valid_until: at(30),
    last_look_ms: null,
    status: "live",
    counter_price: null,
    countered_at: null,
    held_at: null,
    decided_at: null,
    decision: null,
    decision_reason: null,
    created_at: at(1),
    ...overrides,
  };
}

export function rfq(overrides: Partial<Rfq> = {}): Rfq {
  return {
    id: "r1",
    seq: 1,
    instrument_id: "i1",
    isin: "IN0020220060",
    side: "buy",
    quantity: 500,
    disclosed: false,
    status: "open",
    expires_at: at(120),
    created_at: at(0),
    ended_at: null,
    role: "requester",
    requester_id: "me",
    requester_name: "Me",
    dealers: [],
    quotes: [],
    hold_until: null,
    price: null,
    trade_id: null,
    outcome: null,
    cover_price: null,
    ...overrides,
  };
}
