/** Idempotency-Key handling for POSTs that move money or place orders: a retry of the same request reuses its key. */
import { useMutation, type UseMutationOptions } from "@tanstack/react-query";
import { useState } from "react";
import { ApiProblem } from "../api/problem";

/** A random UUID v4 (crypto.randomUUID needs a secure context; a self-hosted http:// venue has none). */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The keys of one form's requests. The same body sent again before the server answered it (a
 * timeout, a dropped connection, a 5xx) gets the same key, so the server applies it at most once;
 * a new body, or any body after a definite answer, gets a fresh key.
 */
export class IdempotencyKeys {
  private unanswered: { body: string; key: string } | null = null;

  /** The key to send with `body`. */
  keyFor(body: unknown): string {
    const text = JSON.stringify(body);
    if (this.unanswered?.body !== text) this.unanswered = { body: text, key: newIdempotencyKey() };
    return this.unanswered.key;
  }

  /** Record the outcome: a success or a client error is final; anything else may be retried. */
  settle(error: unknown): void {
    if (!error || (error instanceof ApiProblem && error.status < 500)) this.unanswered = null;
  }
}

/** A component's own `IdempotencyKeys`, kept across renders. */
export function useIdempotencyKeys(): IdempotencyKeys {
  return useState(() => new IdempotencyKeys())[0];
}

/** The `params` of an openapi-fetch request that sends `key` as its Idempotency-Key. */
export function withIdempotencyKey(key: string): { header: { "idempotency-key": string } } {
  return { header: { "idempotency-key": key } };
}

/**
 * A mutation whose request is retry-safe: `send` asks `keyFor(body)` for the key to send with
 * each body, and the outcome settles it (see `IdempotencyKeys`).
 */
export function useIdempotentMutation<TVariables, TData>(
  send: (variables: TVariables, keyFor: (body: unknown) => string) => Promise<TData>,
  options: Omit<UseMutationOptions<TData, Error, TVariables>, "mutationFn"> = {},
) {
  const keys = useIdempotencyKeys();
  return useMutation({
    ...options,
    mutationFn: (variables: TVariables) => send(variables, (body) => keys.keyFor(body)),
    onSettled: (...args: Parameters<NonNullable<typeof options.onSettled>>) => {
      keys.settle(args[1]);
      return options.onSettled?.(...args);
    },
  });
}
