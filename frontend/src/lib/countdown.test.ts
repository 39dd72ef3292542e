import { describe, expect, it } from "vitest";
import { formatCountdown, formatDuration, formatTenths, msUntil } from "./countdown";

describe("countdowns", () => {
  it("count down in whole seconds, rounding up", () => {
    expect(formatCountdown(0)).toBe("now");
    expect(formatCountdown(-5)).toBe("now");
    expect(formatCountdown(65_000)).toBe("01:05");
    expect(formatCountdown(3_600_000 + 1_000)).toBe("01:00:01");
    expect(formatCountdown(2 * 86_400_000 + 3_000)).toBe("2d 00:00:03");
    expect(formatCountdown(400)).toBe("00:01");
  });

  it("count a short hold down in tenths", () => {
    expect(formatTenths(3_210)).toBe("3.3 s");
    expect(formatTenths(3_200)).toBe("3.2 s");
    expect(formatTenths(50)).toBe("0.1 s");
    expect(formatTenths(0)).toBe("0.0 s");
    expect(formatTenths(-100)).toBe("0.0 s");
  });

  it("measure the time until an instant", () => {
    const now = Date.parse("2026-11-22T10:00:00Z");
    expect(msUntil("2026-11-22T10:00:30.250Z", now)).toBe(30_250);
    expect(msUntil("2026-11-22T09:59:59Z", now)).toBe(-1_000);
    expect(msUntil(null, now)).toBe(Number.NEGATIVE_INFINITY);
    expect(msUntil("soon", now)).toBe(Number.NEGATIVE_INFINITY);
  });

  it("write durations", () => {
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(4_320)).toBe("4.3 s");
    expect(formatDuration(59_990)).toBe("1 min 00 s");
    expect(formatDuration(125_000)).toBe("2 min 05 s");
  });
});
