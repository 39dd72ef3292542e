import { describe, expect, it } from "vitest";
import { ApiProblem } from "../../../api/problem";
import { IdempotencyKeys, newIdempotencyKey } from "./idempotency";
import { applyProblem } from "./problems";

type Values = { pan: string; pincode: string };

function collect() {
  const set: Record<string, string> = {};
  const setError = (name: string, error: { message?: string }) => {
    set[name] = error.message ?? "";
  };
  return { set, setError };
}

describe("applyProblem", () => {
  it("puts field errors on their fields and keeps the rest as the message", () => {
    const { set, setError } = collect();
    const problem = new ApiProblem(422, "request.validation_failed", "The request has invalid or unknown fields.", [
      { field: "body.pan", message: "bad PAN" },
      { field: "body.terms_version", message: "expected 2026-11" },
    ]);
    const message = applyProblem<Values>(problem, setError, ["pan", "pincode"]);
    expect(set).toEqual({ pan: "bad PAN" });
    expect(message).toBe("The request has invalid or unknown fields. terms_version: expected 2026-11");
  });
  it("puts a coded problem's detail on its field", () => {
    const { set, setError } = collect();
    const problem = new ApiProblem(409, "kyc.pan_in_use", "This PAN belongs to another account.");
    expect(applyProblem<Values>(problem, setError, ["pan"], { "kyc.pan_in_use": "pan" })).toBeNull();
    expect(set).toEqual({ pan: "This PAN belongs to another account." });
  });
  it("shows anything else as a message", () => {
    const { setError } = collect();
    expect(applyProblem<Values>(new Error("offline"), setError, ["pan"])).toBe("offline");
  });
});

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
});
