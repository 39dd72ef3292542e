import { describe, expect, it } from "vitest";
import { ApiProblem } from "../../api/problem";
import { custodialWallet, isChainOff, safeHref, shortHex, supplyLine } from "./chain";

const ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const HASH = "0x9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

describe("shortHex", () => {
  it("keeps the 0x, the first and the last digits of an address or hash", () => {
    expect(shortHex(ADDRESS)).toBe("0x5FbD…0aa3");
    expect(shortHex(HASH, 6, 6)).toBe("0x9f86d0…f00a08");
  });

  it("leaves short values whole", () => {
    expect(shortHex("0x1234")).toBe("0x1234");
    expect(shortHex("0x123456789")).toBe("0x123456789");
    expect(shortHex("0x1234567890")).toBe("0x1234…7890");
    expect(shortHex("")).toBe("");
  });

  it("shortens hex without a prefix", () => {
    expect(shortHex("abcdef0123456789")).toBe("abcd…6789");
  });
});

describe("safeHref", () => {
  it("links paths on this site and http(s) addresses", () => {
    expect(safeHref("/api/v1/instruments/01a2")).toBe("/api/v1/instruments/01a2");
    expect(safeHref("https://example.com/terms.pdf")).toBe("https://example.com/terms.pdf");
    expect(safeHref("HTTP://example.com")).toBe("HTTP://example.com");
  });

  it("refuses script, data and protocol-relative links", () => {
    expect(safeHref("javascript:alert(1)")).toBeNull();
    expect(safeHref("data:text/html,hi")).toBeNull();
    expect(safeHref("//evil.example")).toBeNull();
    expect(safeHref("")).toBeNull();
    expect(safeHref(null)).toBeNull();
  });
});

describe("isChainOff", () => {
  it("recognises the chain.off problem only", () => {
    expect(isChainOff(new ApiProblem(503, "chain.off", "This venue runs without a chain"))).toBe(true);
    expect(isChainOff(new ApiProblem(503, "internal.unavailable", "down"))).toBe(false);
    expect(isChainOff(new ApiProblem(404, "token.not_found", "No token"))).toBe(false);
    expect(isChainOff(new Error("chain.off"))).toBe(false);
  });
});

describe("custodialWallet", () => {
  it("finds the custodial wallet, or none", () => {
    const linked = { address: "0x1", custody: "linked" };
    const custodial = { address: "0x2", custody: "custodial" };
    expect(custodialWallet([linked, custodial])).toBe(custodial);
    expect(custodialWallet([linked])).toBeNull();
    expect(custodialWallet([])).toBeNull();
    expect(custodialWallet(null)).toBeNull();
  });
});

describe("supplyLine", () => {
  it("says the supply on chain against the units minted, grouped the Indian way", () => {
    expect(supplyLine(150000, 150000)).toBe("1,50,000 units on chain · 1,50,000 minted");
    expect(supplyLine(900, 1000)).toBe("900 units on chain · 1,000 minted");
    expect(supplyLine(1, 1)).toBe("1 unit on chain · 1 minted");
  });
});
