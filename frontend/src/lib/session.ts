/** The signed-in session: tokens kept in localStorage so a reload stays signed in. */
export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
}

const KEY = "liquibond.session";
type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();

function read(): Session | null {
  try {
    const raw = globalThis.localStorage?.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

let current: Session | null = read();

/** The session now, or null when signed out. */
export function getSession(): Session | null {
  return current;
}

/** Replace the session (null signs out) and tell every listener. */
export function setSession(session: Session | null): void {
  current = session;
  if (session) globalThis.localStorage?.setItem(KEY, JSON.stringify(session));
  else globalThis.localStorage?.removeItem(KEY);
  listeners.forEach((listener) => listener(session));
}

/** Call `listener` on every change; returns the unsubscribe function. */
export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A session from the API's token pair. */
export function sessionFromTokens(tokens: { access_token: string; refresh_token: string; expires_in: number }): Session {
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    expiresAt: Date.now() + tokens.expires_in * 1000,
  };
}
