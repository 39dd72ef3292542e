/** The typed API client, generated from Liquibond's OpenAPI document (see `npm run gen:api`). */
import createClient, { type Middleware } from "openapi-fetch";
import { getSession, sessionFromTokens, setSession, type Session } from "../lib/session";
import { ApiProblem } from "./problem";
import type { paths } from "./schema";

export type { components, paths } from "./schema";

const REFRESH_MARGIN_MS = 60_000;
let refreshing: Promise<Session | null> | null = null;

/** Exchange the refresh token once for everyone waiting (refresh tokens are single-use). */
export function refreshSession(): Promise<Session | null> {
  const session = getSession();
  if (!session) return Promise.resolve(null);
  refreshing ??= fetch("/api/v1/auth/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: session.refreshToken }),
  })
    .then(async (response) => {
      if (!response.ok) {
        setSession(null);
        return null;
      }
      const fresh = sessionFromTokens(await response.json());
      setSession(fresh);
      return fresh;
    })
    .catch(() => getSession())
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** A valid access token, refreshed first when it is about to expire. */
export async function accessToken(): Promise<string | null> {
  let session = getSession();
  if (session && session.expiresAt - Date.now() < REFRESH_MARGIN_MS) session = await refreshSession();
  return session?.accessToken ?? null;
}

const auth: Middleware = {
  async onRequest({ request }) {
    if (request.url.includes("/auth/refresh")) return request;
    const token = await accessToken();
    if (token && !request.headers.has("Authorization")) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  async onResponse({ response }) {
    // A revoked or expired session signs out; screens then show the sign-in page.
    if (response.status === 401 && getSession()) {
      const body = await response.clone().json().catch(() => null);
      const code = (body as { code?: string } | null)?.code ?? "";
      if (code.startsWith("auth.token") || code === "auth.session_revoked") setSession(null);
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: "" });
api.use(auth);

/** The data of an openapi-fetch result, or throw its problem. */
export async function unwrap<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok || data === undefined) {
    if (response.ok && response.status === 204) return undefined as T;
    throw ApiProblem.from(response.status, error);
  }
  return data;
}

/** The file name a `Content-Disposition` header gives, if any. */
export function dispositionFilename(header: string | null): string | null {
  if (!header) return null;
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (encoded?.[1]) return decodeURIComponent(encoded[1].trim());
  const plain = /filename="?([^";]+)"?/i.exec(header);
  return plain?.[1]?.trim() ?? null;
}

/**
 * GET with the session's token, for answers the typed client cannot describe (binary documents,
 * downloads); throws the problem of a failed response.
 */
export async function authorizedGet(path: string): Promise<Response> {
  const token = await accessToken();
  const response = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw ApiProblem.from(response.status, await response.json().catch(() => null));
  return response;
}

/**
 * Fetch a binary or text download (statements, contract notes) with the session's token; the
 * file keeps the name the server gives it, else `fallbackName`.
 */
export async function download(path: string, fallbackName: string): Promise<void> {
  const response = await authorizedGet(path);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = dispositionFilename(response.headers.get("Content-Disposition")) ?? fallbackName;
  link.click();
  URL.revokeObjectURL(url);
}
