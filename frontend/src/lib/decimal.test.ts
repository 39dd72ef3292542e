import { describe, expect, it } from "vitest";
import {
  addDecimal,
  compareDecimal,
  currencyScale,
  decimalToString,
  formatDecimal,
  formatMoney,
  isMultipleOf,
  multiplyDecimal,
  parseDecimal,
  roundDecimal,
  toMinor,
} from "./decimal";

const d = (text: string) => {
  const value = parseDecimal(text);
  if (!value) throw new Error(`bad decimal ${text}`);
  return value;
};

describe("decimal", () => {
  it("parses and prints exactly", () => {
    expect(decimalToString(d("101.2500"))).toBe("101.2500");
    expect(decimalToString(d("-0.05"))).toBe("-0.05");
    expect(parseDecimal("1e3")).toBeNull();
    expect(parseDecimal("1.2.3")).toBeNull();
    expect(parseDecimal("")).toBeNull();
  });

  it("adds and multiplies without float error", () => {
    expect(decimalToString(addDecimal(d("0.1"), d("0.2")))).toBe("0.3");
    expect(decimalToString(multiplyDecimal(d("101.0918"), d("1000")))).toBe("101091.8000");
    expect(compareDecimal(d("100.10"), d("100.1"))).toBe(0);
    expect(compareDecimal(d("99.99"), d("100"))).toBe(-1);
  });

  it("checks multiples of a tick", () => {
    expect(isMultipleOf(d("101.25"), d("0.0025"))).toBe(true);
    expect(isMultipleOf(d("101.2501"), d("0.0025"))).toBe(false);
  });

  it("rounds half away from zero", () => {
    expect(decimalToString(roundDecimal(d("1.005"), 2))).toBe("1.01");
    expect(decimalToString(roundDecimal(d("-1.005"), 2))).toBe("-1.01");
    expect(decimalToString(roundDecimal(d("1.004"), 2))).toBe("1.00");
  });

  it("converts to minor units only when exact", () => {
    expect(toMinor(d("1234.5"), 2)).toBe(123450n);
    expect(toMinor(d("1234.567"), 2)).toBeNull();
    expect(toMinor(d("1234.500"), 2)).toBe(123450n);
  });

  it("formats with Indian grouping, beyond float precision", () => {
    expect(formatMoney(12345678901234567n, 2)).toBe("12,34,56,78,90,12,345.67");
    expect(formatMoney(123450, 2, "INR")).toBe("₹1,234.50");
    expect(formatDecimal("100.9500", 4)).toBe("100.9500");
    expect(formatMoney(null, 2)).toBe("—");
  });

  it("knows the minor-unit digits of ISO currencies", () => {
    expect(currencyScale("INR")).toBe(2);
    expect(currencyScale("JPY")).toBe(0);
    expect(currencyScale("not a currency")).toBe(2);
  });
});
