import { describe, expect, it } from "vitest";
import { ApiProblem } from "../api/problem";
import { IdempotencyKeys, newIdempotencyKey, withIdempotencyKey } from "./idempotency";

describe("IdempotencyKeys", () => {
  it("makes version-4 UUIDs", () => {
    expect(newIdempotencyKey()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
  it("reuses a key for a retry until the server has answered", () => {
    const keys = new IdempotencyKeys();
    const first = keys.keyFor({ amount: 100 });
    keys.settle(new TypeError("Failed to fetch"));
    expect(keys.keyFor({ amount: 100 })).toBe(first);
    keys.settle(new ApiProblem(503, "internal.unavailable", "down"));
    expect(keys.keyFor({ amount: 100 })).toBe(first);
    keys.settle(undefined);
    expect(keys.keyFor({ amount: 100 })).not.toBe(first);
  });
  it("gives another body another key", () => {
    const keys = new IdempotencyKeys();
    const first = keys.keyFor({ amount: 100 });
    expect(keys.keyFor({ amount: 200 })).not.toBe(first);
  });
  it("frees the key after a client error", () => {
    const keys = new IdempotencyKeys();
    const first = keys.keyFor({ amount: 100 });
    keys.settle(new ApiProblem(422, "payment.above_upi_limit", "too much"));
    expect(keys.keyFor({ amount: 100 })).not.toBe(first);
  });
  it("puts the key in the request's headers", () => {
    expect(withIdempotencyKey("k1")).toEqual({ header: { "idempotency-key": "k1" } });
  });
});
