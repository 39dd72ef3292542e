/**
 * Real-time channels over one shared WebSocket to `/api/v1/ws` (the protocol is described in
 * the server's `liquibond.realtime`). The connection opens with the first subscriber, closes a
 * while after the last one leaves, reconnects by itself with backoff, authenticates with the
 * session's access token (again before it expires), re-subscribes every channel after a
 * reconnect and answers heartbeats.
 */
import { useEffect, useEffectEvent, useSyncExternalStore } from "react";
import { accessToken, type components } from "../api/client";
import type { BookDelta, BookSnapshot } from "./book";
import { onSessionChange } from "./session";

/** idle: nothing subscribed; connecting: first attempt; live: connected; reconnecting: lost, retrying. */
export type RealtimeStatus = "idle" | "connecting" | "live" | "reconnecting";

/** A trade on the public tape (`trades:{id}`): who traded is never shown. */
export interface TapeTrade {
  id: string;
  trade_seq: number;
  /** `book`, or `rfq` for a trade on an accepted quote. */
  venue: components["schemas"]["Venue"];
  price: string;
  price_ticks: number | null;
  quantity: number;
  aggressor_side: "buy" | "sell";
  created_at: string;
}

/** What happened to one of my orders (`orders`). */
export type OrderEvent =
  | "queued"
  | "accepted"
  | "triggered"
  | "replaced"
  | "partially_filled"
  | "filled"
  | "cancelled"
  | "expired"
  | "rejected";

/** One of my orders as it is now, as the `orders` channel sends it. */
export interface OrderUpdate {
  order_id: string;
  instrument_id: string;
  client_order_id: string;
  side: "buy" | "sell";
  order_type: components["schemas"]["OrderKind"];
  time_in_force: components["schemas"]["OrderTif"];
  price: string | null;
  quantity: number;
  status: components["schemas"]["OrderState"];
  filled_quantity: number;
  cancelled_quantity: number;
  leaves_quantity: number;
  reject_reason: string | null;
  reserved_asset: string;
  reserved: number;
}

/** My side of a trade (`fills`); amounts in minor units of the instrument's currency. */
export interface Fill {
  id: string;
  trade_seq: number;
  instrument_id: string;
  venue: components["schemas"]["Venue"];
  /** My order; null for a trade on an accepted RFQ quote. */
  order_id: string | null;
  side: "buy" | "sell";
  liquidity: "maker" | "taker";
  price: string;
  quantity: number;
  accrued_interest: number;
  dirty_amount: number;
  settlement_date: string;
  created_at: string;
}

/** One of my balances (`balances`), in minor units. */
export interface Balance {
  asset: string;
  bucket: string;
  balance: number;
  scale: number;
}

/** One of my RFQs as `GET /api/v1/rfqs/{id}` shows it to me (as requester or as dealer). */
export type RfqState = components["schemas"]["RfqOut"];

/** Every message a channel listener receives. `subscribed` says the channel is live; `resumed`
 * when it was live before a reconnect (so events may have been missed: refetch). */
export type ChannelMessage =
  | { type: "snapshot"; channel: string; data: BookSnapshot }
  | { type: "delta"; channel: string; data: BookDelta }
  | { type: "trades"; channel: string; data: TapeTrade[] }
  | { type: "ticker"; channel: string; data: components["schemas"]["TickerOut"] }
  | { type: "order"; channel: string; event: OrderEvent; data: OrderUpdate }
  | { type: "fill"; channel: string; data: Fill }
  | { type: "balances"; channel: string; data: Balance[] }
  | { type: "portfolio"; channel: string; data: components["schemas"]["PortfolioOut"] }
  /** `auction:{id}`: the auction as anybody may see it, on subscribe and after each public change. */
  | { type: "auction"; channel: string; data: components["schemas"]["AuctionOut"] }
  /** `rfq`, on subscribe: my open RFQs (open or in last look), as requester and as dealer. */
  | { type: "rfqs"; channel: string; data: RfqState[] }
  /** `rfq`: one of my RFQs, whenever it changes. */
  | { type: "rfq"; channel: string; data: RfqState }
  | { type: "subscribed"; channel: string; resumed: boolean }
  | { type: "error"; channel: string; code: string; detail: string };

/** The parts of a browser WebSocket the client uses (a fake one in tests). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(text: string): void;
  close(code?: number): void;
}

/** What the client needs from its surroundings. */
export interface RealtimeOptions {
  url: () => string;
  connect: (url: string) => SocketLike;
  /** A valid access token (refreshed when about to expire), or null when signed out. */
  token: () => Promise<string | null>;
  /** Call `listener` whenever the session changes; returns the unsubscribe function. */
  watchSession: (listener: () => void) => () => void;
}

type Listener = (message: ChannelMessage) => void;

interface ServerMessage {
  type?: string;
  id?: number | string;
  channel?: string;
  channels?: string[];
  code?: string;
  detail?: string;
  user_id?: string;
  expires_at?: string | null;
  heartbeat_timeout_seconds?: number;
}

const OPEN = 1;
const PRIVATE = new Set(["orders", "fills", "balances", "portfolio", "rfq"]);
/** Channels whose subscription starts with their state (a new listener needs it sent again). */
const STATEFUL = new Set(["book", "ticker", "balances", "portfolio", "auction", "rfq"]);
const MAX_CHANNELS_PER_OP = 100;
const FLUSH_DELAY_MS = 10;
const IDLE_CLOSE_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;
const WATCHDOG_MS = 5_000;
const MAX_BACKOFF_MS = 15_000;
const REAUTH_BEFORE_MS = 45_000;
const REAUTH_RETRY_MS = 15_000;
const RATE_LIMIT_RETRY_MS = 1_000;

const kindOf = (channel: string) => channel.split(":", 1)[0] ?? channel;

/** One shared connection and the listeners of each channel. */
export class RealtimeClient {
  private readonly options: RealtimeOptions;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly statusListeners = new Set<() => void>();
  private status: RealtimeStatus = "idle";
  private socket: SocketLike | null = null;
  /** Channels asked of the server on this connection (answered or not). */
  private readonly sent = new Set<string>();
  /** Channels the server refused on this connection (not asked again until a listener returns). */
  private readonly refused = new Set<string>();
  /** Channels to subscribe again for a fresh first state. */
  private readonly resync = new Set<string>();
  /** Channels that were live on the previous connection. */
  private resumable = new Set<string>();
  private readonly live = new Set<string>();
  private readonly ops = new Map<number, string[]>();
  private nextOp = 1;
  private authUser: string | null = null;
  private authToken: string | null = null;
  private authOp: { id: number; token: string } | null = null;
  private attempt = 0;
  /** Whether a connection was live since the first subscriber came (so a new one re-connects). */
  private wasLive = false;
  private deadline = 0;
  private heartbeatTimeoutMs = 45_000;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private reauthTimer: ReturnType<typeof setTimeout> | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;

  constructor(options: RealtimeOptions) {
    this.options = options;
    options.watchSession(() => void this.sessionChanged());
    if (typeof window !== "undefined") window.addEventListener("online", () => this.reconnectNow());
  }

  /** Listen to a channel; returns the function that stops listening. */
  subscribe(channel: string, listener: Listener): () => void {
    let set = this.listeners.get(channel);
    // A channel already asked for sends its state again, so the new listener receives it too.
    if ((set || this.sent.has(channel)) && STATEFUL.has(kindOf(channel))) this.resync.add(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(listener);
    this.ensureConnected();
    this.queueFlush();
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(channel) === set) {
        this.listeners.delete(channel);
        this.refused.delete(channel);
        this.resync.delete(channel);
      }
      this.queueFlush();
      if (this.listeners.size === 0) this.scheduleIdleClose();
    };
  }

  /** Subscribe to a channel again: the server starts it afresh (a book sends a new snapshot). */
  resubscribe(channel: string): void {
    if (!this.listeners.has(channel)) return;
    this.refused.delete(channel);
    this.resync.add(channel);
    this.queueFlush();
  }

  /** The connection's status now. */
  getStatus(): RealtimeStatus {
    return this.status;
  }

  /** Call `listener` when the status changes; returns the unsubscribe function. */
  onStatus(listener: () => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  // -- the connection ------------------------------------------------------------------------

  private setStatus(status: RealtimeStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.statusListeners.forEach((listener) => listener());
  }

  private ensureConnected(): void {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    if (this.socket || this.reconnectTimer) return;
    this.open();
  }

  private open(): void {
    this.reconnectTimer = null;
    if (this.listeners.size === 0) {
      this.setStatus("idle");
      return;
    }
    this.setStatus(this.wasLive ? "reconnecting" : "connecting");
    let socket: SocketLike;
    try {
      socket = this.options.connect(this.options.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.deadline = Date.now() + CONNECT_TIMEOUT_MS;
    this.watchdog = setInterval(() => {
      if (Date.now() > this.deadline) this.drop(); // silent: reconnect after a backoff
    }, WATCHDOG_MS);
    socket.onopen = () => void this.authenticate();
    socket.onmessage = (event) => this.receive(socket, event.data);
    socket.onclose = () => this.closed(socket);
    socket.onerror = () => undefined; // a close follows
  }

  /** Close the connection; another follows after a backoff. */
  private drop(): void {
    const socket = this.socket;
    if (!socket) return;
    this.closed(socket);
    socket.close();
  }

  /** Close the connection and open a fresh one at once. */
  private restart(): void {
    this.drop();
    this.reconnectNow();
  }

  private closed(socket: SocketLike): void {
    if (this.socket !== socket) return;
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    this.socket = null;
    for (const timer of [this.flushTimer, this.reauthTimer]) if (timer) clearTimeout(timer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.flushTimer = this.reauthTimer = this.watchdog = null;
    this.resumable = new Set([...this.resumable, ...this.live]);
    this.live.clear();
    this.sent.clear();
    this.refused.clear();
    this.resync.clear();
    this.ops.clear();
    this.authUser = this.authToken = this.authOp = null;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.listeners.size === 0) {
      this.setStatus("idle");
      return;
    }
    this.setStatus(this.wasLive ? "reconnecting" : "connecting");
    const ceiling = Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** this.attempt);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => this.open(), ceiling * (0.5 + Math.random() / 2));
  }

  private reconnectNow(): void {
    if (!this.reconnectTimer) return;
    clearTimeout(this.reconnectTimer);
    this.attempt = 0;
    this.open();
  }

  private scheduleIdleClose(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.listeners.size > 0) return;
      if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
      this.resumable.clear();
      this.wasLive = false;
      const socket = this.socket;
      if (socket) {
        this.closed(socket);
        socket.close(1000);
      }
      this.setStatus("idle");
    }, IDLE_CLOSE_MS);
  }

  private send(message: Record<string, unknown>): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(message));
  }

  // -- authentication ------------------------------------------------------------------------

  /** Authenticate with the session's token (or, signed out, go on with public channels). */
  private async authenticate(): Promise<void> {
    const socket = this.socket;
    const token = await this.options.token().catch(() => null);
    if (this.socket !== socket || socket?.readyState !== OPEN) return;
    if (token === null || token === this.authToken || token === this.authOp?.token) {
      this.queueFlush();
      return;
    }
    const id = this.nextOp++;
    this.authOp = { id, token };
    this.send({ op: "auth", id, token });
    this.queueFlush(); // public channels need not wait
  }

  private async sessionChanged(): Promise<void> {
    if (!this.socket) return;
    const token = await this.options.token().catch(() => null);
    if (token === null && this.authUser) this.restart(); // signed out: a connection stays one user's
    else if (token !== null) await this.authenticate();
  }

  private authenticated(message: ServerMessage): void {
    this.authUser = message.user_id ?? null;
    this.authToken = this.authOp?.token ?? null;
    this.authOp = null;
    this.scheduleReauth(message.expires_at ? Date.parse(message.expires_at) - Date.now() - REAUTH_BEFORE_MS : null);
    this.queueFlush();
  }

  private scheduleReauth(delay: number | null): void {
    if (this.reauthTimer) clearTimeout(this.reauthTimer);
    this.reauthTimer = null;
    if (delay === null || Number.isNaN(delay)) return;
    this.reauthTimer = setTimeout(() => {
      this.reauthTimer = null;
      const before = this.authToken;
      void this.authenticate().then(() => {
        // The token was not refreshed yet (clocks differ): look again soon.
        if (this.authToken === before && !this.authOp) this.scheduleReauth(REAUTH_RETRY_MS);
      });
    }, Math.max(1_000, delay));
  }

  // -- subscriptions -------------------------------------------------------------------------

  private queueFlush(): void {
    if (this.flushTimer || !this.socket) return;
    this.flushTimer = setTimeout(() => this.flush(), FLUSH_DELAY_MS);
  }

  /** Send one subscribe and one unsubscribe for what changed since the last flush. */
  private flush(): void {
    this.flushTimer = null;
    if (this.socket?.readyState !== OPEN) return;
    const subscribe: string[] = [];
    for (const channel of this.listeners.keys()) {
      if (this.refused.has(channel)) continue;
      if (this.sent.has(channel) && !this.resync.has(channel)) continue;
      if (PRIVATE.has(channel) && !this.authUser) continue;
      subscribe.push(channel);
      this.resync.delete(channel);
    }
    const unsubscribe = [...this.sent].filter((channel) => !this.listeners.has(channel));
    this.sendOp("subscribe", subscribe);
    this.sendOp("unsubscribe", unsubscribe);
  }

  private sendOp(op: "subscribe" | "unsubscribe", channels: string[]): void {
    for (let start = 0; start < channels.length; start += MAX_CHANNELS_PER_OP) {
      const chunk = channels.slice(start, start + MAX_CHANNELS_PER_OP);
      const id = this.nextOp++;
      if (op === "subscribe") this.ops.set(id, chunk);
      for (const channel of chunk) {
        if (op === "subscribe") this.sent.add(channel);
        else {
          this.sent.delete(channel);
          this.live.delete(channel);
          this.resumable.delete(channel);
        }
      }
      this.send({ op, id, channels: chunk });
    }
  }

  // -- messages ------------------------------------------------------------------------------

  private receive(socket: SocketLike, raw: unknown): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(String(raw)) as ServerMessage;
    } catch {
      return;
    }
    this.deadline = Date.now() + this.heartbeatTimeoutMs + WATCHDOG_MS;
    switch (message.type) {
      case "welcome":
        this.attempt = 0;
        this.wasLive = true;
        if (message.heartbeat_timeout_seconds) this.heartbeatTimeoutMs = message.heartbeat_timeout_seconds * 1000;
        this.deadline = Date.now() + this.heartbeatTimeoutMs + WATCHDOG_MS;
        this.setStatus("live");
        return;
      case "heartbeat":
        if (this.socket === socket) this.send({ op: "pong" });
        return;
      case "authenticated":
        this.authenticated(message);
        return;
      case "subscribed":
        this.subscribed(message);
        return;
      case "error":
        this.error(message);
        return;
      case "pong":
      case "unsubscribed":
        return;
      default:
        if (message.channel) this.dispatch(message.channel, message as unknown as ChannelMessage);
    }
  }

  private subscribed(message: ServerMessage): void {
    if (typeof message.id === "number") this.ops.delete(message.id);
    for (const channel of message.channels ?? []) {
      const resumed = this.resumable.delete(channel);
      this.live.add(channel);
      this.dispatch(channel, { type: "subscribed", channel, resumed });
    }
  }

  private error(message: ServerMessage): void {
    const code = message.code ?? "";
    const op = typeof message.id === "number" ? message.id : null;
    if (code === "auth.user_mismatch") {
      this.restart(); // another user signed in: a connection stays one user's
      return;
    }
    if (op !== null && op === this.authOp?.id) {
      this.authOp = null; // a bad token: wait for the session to change
      return;
    }
    if (code === "auth.token_expired" && message.channels) {
      // The access token ran out: private channels ended; authenticate and subscribe again.
      this.authUser = this.authToken = null;
      for (const channel of message.channels) {
        this.sent.delete(channel);
        if (this.live.delete(channel)) this.resumable.add(channel);
      }
      void this.authenticate();
      return;
    }
    if (code === "ws.rate_limited") {
      for (const channel of (op !== null && this.ops.get(op)) || []) this.sent.delete(channel);
      setTimeout(() => this.queueFlush(), RATE_LIMIT_RETRY_MS);
      return;
    }
    const channel = message.channel;
    if (!channel) return;
    this.sent.delete(channel);
    if (code !== "auth.unauthenticated") this.refused.add(channel);
    this.dispatch(channel, { type: "error", channel, code, detail: message.detail ?? code });
  }

  private dispatch(channel: string, message: ChannelMessage): void {
    for (const listener of [...(this.listeners.get(channel) ?? [])]) listener(message);
  }
}

function defaultUrl(): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/v1/ws`;
}

/** The app's one connection. */
export const realtime = new RealtimeClient({
  url: defaultUrl,
  connect: (url) => new WebSocket(url),
  token: accessToken,
  watchSession: (listener) => onSessionChange(() => listener()),
});

/** Receive a channel's messages while the component is mounted (`channel` null: none). */
export function useChannel(channel: string | null, onMessage: (message: ChannelMessage) => void): void {
  const handle = useEffectEvent(onMessage);
  useEffect(() => {
    if (!channel) return undefined;
    return realtime.subscribe(channel, (message) => handle(message));
  }, [channel]);
}

/** The connection's status, re-rendering when it changes. */
export function useRealtimeStatus(): RealtimeStatus {
  return useSyncExternalStore(
    (listener) => realtime.onStatus(listener),
    () => realtime.getStatus(),
  );
}
