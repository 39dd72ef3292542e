import { describe, expect, it } from "vitest";
import { isinCheckDigit, isValidIsin } from "./isin";

describe("ISIN", () => {
  it("accepts real ISINs", () => {
    for (const isin of ["US0378331005", "IN0020220037", "INE002A08534", "INE062A08264", "GB0002634946"]) {
      expect(isValidIsin(isin)).toBe(true);
    }
  });

  it("computes the check digit over letters and digits", () => {
    expect(isinCheckDigit("US037833100")).toBe(5);
    expect(isinCheckDigit("INE002A0853")).toBe(4);
  });

  it("refuses a wrong check digit, a bad shape or lower case", () => {
    expect(isValidIsin("US0378331006")).toBe(false);
    expect(isValidIsin("US037833100")).toBe(false);
    expect(isValidIsin("1S0378331005")).toBe(false);
    expect(isValidIsin("us0378331005")).toBe(false);
  });
});
