import { describe, expect, it } from "vitest";
import { providerOutcome, revocable } from "./kycReview";

const ME = "0190a1b2-0000-7000-8000-000000000001";
const INVESTOR = "0190a1b2-0000-7000-8000-000000000002";

describe("revocable", () => {
  it("is a verified application of somebody else", () => {
    expect(revocable({ status: "verified", user_id: INVESTOR }, ME)).toBe(true);
  });

  it("is never one's own, one not verified, or without knowing who one is", () => {
    expect(revocable({ status: "verified", user_id: ME }, ME)).toBe(false);
    for (const status of ["pending", "needs_info", "rejected", "revoked"] as const) {
      expect(revocable({ status, user_id: INVESTOR }, ME)).toBe(false);
    }
    expect(revocable({ status: "verified", user_id: INVESTOR }, undefined)).toBe(false);
  });
});

describe("providerOutcome", () => {
  it("names the provider's outcome", () => {
    expect(providerOutcome({ provider_outcome: "needs_info", revoked_at: null, status: "needs_info" })).toBe("Needs info");
  });

  it("says why a re-application after a revocation has none", () => {
    const item = { provider_outcome: null, revoked_at: "2026-11-22T05:00:00Z", status: "pending" } as const;
    expect(providerOutcome(item)).toMatch(/reviewed by compliance/);
    expect(providerOutcome({ ...item, revoked_at: null })).toBe("Awaiting the provider");
  });
});
