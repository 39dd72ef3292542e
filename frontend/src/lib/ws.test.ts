import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RealtimeClient, type ChannelMessage, type SocketLike } from "./ws";

interface Sent {
  op: string;
  id?: number;
  token?: string;
  channels?: string[];
}

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Sent[] = [];
  onopen: SocketLike["onopen"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;

  send(text: string): void {
    this.sent.push(JSON.parse(text) as Sent);
  }

  close(): void {
    this.drop();
  }

  /** The server accepts the connection and says welcome. */
  accept(): void {
    this.readyState = 1;
    this.onopen?.({} as Event);
    this.push({ type: "welcome", user_id: null, heartbeat_seconds: 15, heartbeat_timeout_seconds: 45 });
  }

  push(message: object): void {
    this.onmessage?.({ data: JSON.stringify(message) } as MessageEvent);
  }

  drop(): void {
    this.readyState = 3;
    this.onclose?.({} as CloseEvent);
  }

  ops(op: string): Sent[] {
    return this.sent.filter((message) => message.op === op);
  }
}

const BOOK = "book:11111111-1111-1111-1111-111111111111";
const TICKER = "ticker:11111111-1111-1111-1111-111111111111";

let sockets: FakeSocket[];
let token: string | null;
let sessionListener: () => void;

function client(): RealtimeClient {
  return new RealtimeClient({
    url: () => "ws://test/api/v1/ws",
    connect: () => {
      const socket = new FakeSocket();
      sockets.push(socket);
      return socket;
    },
    token: () => Promise.resolve(token),
    watchSession: (listener) => {
      sessionListener = listener;
      return () => undefined;
    },
  });
}

const last = () => sockets[sockets.length - 1]!;
const settle = () => vi.advanceTimersByTimeAsync(20);

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, "random").mockReturnValue(1);
  sockets = [];
  token = null;
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("RealtimeClient", () => {
  it("connects with the first subscriber and subscribes its channels in one operation", async () => {
    const realtime = client();
    expect(realtime.getStatus()).toBe("idle");
    realtime.subscribe(BOOK, () => undefined);
    realtime.subscribe(TICKER, () => undefined);
    expect(sockets).toHaveLength(1);
    expect(realtime.getStatus()).toBe("connecting");
    last().accept();
    await settle();
    expect(realtime.getStatus()).toBe("live");
    expect(last().ops("subscribe")).toEqual([{ op: "subscribe", id: 1, channels: [BOOK, TICKER] }]);
    expect(last().ops("auth")).toEqual([]);
  });

  it("answers heartbeats", async () => {
    const realtime = client();
    realtime.subscribe(TICKER, () => undefined);
    last().accept();
    await settle();
    last().push({ type: "heartbeat", ts: "2026-01-01T00:00:00Z" });
    expect(last().ops("pong")).toHaveLength(1);
  });

  it("delivers channel messages and says when a channel is live", async () => {
    const realtime = client();
    const received: ChannelMessage[] = [];
    realtime.subscribe(TICKER, (message) => received.push(message));
    last().accept();
    await settle();
    last().push({ type: "subscribed", id: 1, channels: [TICKER] });
    last().push({ type: "ticker", channel: TICKER, data: { last_price: "100" } });
    last().push({ type: "ticker", channel: "ticker:other", data: {} });
    expect(received.map((message) => message.type)).toEqual(["subscribed", "ticker"]);
    expect(received[0]).toEqual({ type: "subscribed", channel: TICKER, resumed: false });
  });

  it("authenticates before subscribing private channels", async () => {
    token = "token-1";
    const realtime = client();
    realtime.subscribe("orders", () => undefined);
    realtime.subscribe(TICKER, () => undefined);
    last().accept();
    await settle();
    const [auth] = last().ops("auth");
    expect(auth).toMatchObject({ op: "auth", token: "token-1" });
    expect(last().ops("subscribe").flatMap((op) => op.channels)).toEqual([TICKER]);
    last().push({ type: "authenticated", id: auth!.id, user_id: "u", expires_at: null });
    await settle();
    expect(last().ops("subscribe").flatMap((op) => op.channels)).toEqual([TICKER, "orders"]);
  });

  it("subscribes my RFQs once authenticated, and again for a second listener (it starts with my open RFQs)", async () => {
    token = "token-1";
    const realtime = client();
    const received: string[] = [];
    realtime.subscribe("rfq", (message) => received.push(message.type));
    last().accept();
    await settle();
    expect(last().ops("subscribe")).toEqual([]);
    last().push({ type: "authenticated", id: last().ops("auth")[0]!.id, user_id: "u", expires_at: null });
    await settle();
    expect(last().ops("subscribe").flatMap((op) => op.channels)).toEqual(["rfq"]);
    last().push({ type: "subscribed", id: 3, channels: ["rfq"] });
    last().push({ type: "rfqs", channel: "rfq", data: [] });
    last().push({ type: "rfq", channel: "rfq", data: { id: "r1" } });
    expect(received).toEqual(["subscribed", "rfqs", "rfq"]);
    realtime.subscribe("rfq", () => undefined);
    await settle();
    expect(last().ops("subscribe").flatMap((op) => op.channels)).toEqual(["rfq", "rfq"]);
  });

  it("authenticates again with a refreshed token, and subscribes again what expired", async () => {
    token = "token-1";
    const realtime = client();
    realtime.subscribe("fills", () => undefined);
    last().accept();
    await settle();
    last().push({ type: "authenticated", id: last().ops("auth")[0]!.id, user_id: "u", expires_at: null });
    await settle();
    token = "token-2";
    sessionListener();
    await settle();
    expect(last().ops("auth").map((op) => op.token)).toEqual(["token-1", "token-2"]);
    const second = last().ops("auth")[1]!;
    last().push({ type: "authenticated", id: second.id, user_id: "u", expires_at: null });
    token = "token-3";
    last().push({ type: "error", code: "auth.token_expired", detail: "expired", channels: ["fills"] });
    await settle();
    const third = last().ops("auth")[2]!;
    expect(third.token).toBe("token-3");
    last().push({ type: "authenticated", id: third.id, user_id: "u", expires_at: null });
    await settle();
    expect(last().ops("subscribe").flatMap((op) => op.channels)).toEqual(["fills", "fills"]);
  });

  it("re-authenticates before the token expires", async () => {
    token = "token-1";
    const realtime = client();
    realtime.subscribe("orders", () => undefined);
    last().accept();
    await settle();
    const expires = new Date(Date.now() + 120_000).toISOString();
    last().push({ type: "authenticated", id: last().ops("auth")[0]!.id, user_id: "u", expires_at: expires });
    token = "token-2";
    for (let second = 0; second < 76; second += 15) {
      last().push({ type: "heartbeat", ts: "" });
      await vi.advanceTimersByTimeAsync(15_000);
    }
    expect(sockets).toHaveLength(1);
    expect(last().ops("auth").map((op) => op.token)).toEqual(["token-1", "token-2"]);
  });

  it("reconnects with backoff and subscribes every channel again", async () => {
    const realtime = client();
    const received: ChannelMessage[] = [];
    realtime.subscribe(BOOK, (message) => received.push(message));
    last().accept();
    await settle();
    last().push({ type: "subscribed", id: 1, channels: [BOOK] });
    last().drop();
    expect(realtime.getStatus()).toBe("reconnecting");
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sockets).toHaveLength(2);
    last().drop(); // refused: the next attempt waits longer
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sockets).toHaveLength(3);
    last().accept();
    await settle();
    expect(realtime.getStatus()).toBe("live");
    expect(last().ops("subscribe")[0]?.channels).toEqual([BOOK]);
    last().push({ type: "subscribed", id: 1, channels: [BOOK] });
    expect(received.at(-1)).toEqual({ type: "subscribed", channel: BOOK, resumed: true });
  });

  it("reconnects when the server goes silent", async () => {
    const realtime = client();
    realtime.subscribe(TICKER, () => undefined);
    last().accept();
    await settle();
    await vi.advanceTimersByTimeAsync(55_000);
    expect(sockets[0]!.readyState).toBe(3);
    expect(realtime.getStatus()).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sockets).toHaveLength(2);
  });

  it("subscribes again on request (a book resync) and for a second listener of a state channel", async () => {
    const realtime = client();
    realtime.subscribe(BOOK, () => undefined);
    last().accept();
    await settle();
    realtime.resubscribe(BOOK);
    await settle();
    realtime.subscribe(BOOK, () => undefined);
    await settle();
    expect(last().ops("subscribe").map((op) => op.channels)).toEqual([[BOOK], [BOOK], [BOOK]]);
  });

  it("reports a refused channel to its listeners and does not ask again", async () => {
    const realtime = client();
    const received: ChannelMessage[] = [];
    realtime.subscribe(BOOK, (message) => received.push(message));
    last().accept();
    await settle();
    last().push({ type: "error", id: 1, code: "instrument.not_found", detail: "No such instrument.", channel: BOOK });
    last().push({ type: "subscribed", id: 1, channels: [] });
    realtime.subscribe(TICKER, () => undefined);
    await settle();
    expect(received).toEqual([{ type: "error", channel: BOOK, code: "instrument.not_found", detail: "No such instrument." }]);
    expect(last().ops("subscribe").map((op) => op.channels)).toEqual([[BOOK], [TICKER]]);
  });

  it("unsubscribes what nobody listens to and closes when idle", async () => {
    const realtime = client();
    const stop = realtime.subscribe(TICKER, () => undefined);
    last().accept();
    await settle();
    stop();
    await settle();
    expect(last().ops("unsubscribe")[0]?.channels).toEqual([TICKER]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(last().readyState).toBe(3);
    expect(realtime.getStatus()).toBe("idle");
  });

  it("coalesces a listener that leaves and comes back at once (React strict mode)", async () => {
    const realtime = client();
    realtime.subscribe(BOOK, () => undefined)();
    realtime.subscribe(BOOK, () => undefined);
    last().accept();
    await settle();
    expect(last().ops("subscribe").map((op) => op.channels)).toEqual([[BOOK]]);
    expect(last().ops("unsubscribe")).toEqual([]);
  });

  it("starts a fresh connection when another user signs in", async () => {
    token = "token-1";
    const realtime = client();
    realtime.subscribe("orders", () => undefined);
    last().accept();
    await settle();
    last().push({ type: "authenticated", id: last().ops("auth")[0]!.id, user_id: "u", expires_at: null });
    token = "token-of-v";
    sessionListener();
    await settle();
    const auth = last().ops("auth")[1]!;
    last().push({ type: "error", id: auth.id, code: "auth.user_mismatch", detail: "another user" });
    expect(sockets).toHaveLength(2);
    last().accept();
    await settle();
    expect(last().ops("auth").map((op) => op.token)).toEqual(["token-of-v"]);
  });

  it("starts a fresh anonymous connection after sign-out", async () => {
    token = "token-1";
    const realtime = client();
    realtime.subscribe(TICKER, () => undefined);
    last().accept();
    await settle();
    last().push({ type: "authenticated", id: last().ops("auth")[0]!.id, user_id: "u", expires_at: null });
    token = null;
    sessionListener();
    await settle();
    expect(sockets).toHaveLength(2);
    last().accept();
    await settle();
    expect(last().ops("auth")).toEqual([]);
    expect(last().ops("subscribe")[0]?.channels).toEqual([TICKER]);
  });
});
