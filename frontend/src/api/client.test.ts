import { describe, expect, it } from "vitest";
import { dispositionFilename } from "./client";

describe("dispositionFilename", () => {
  it("reads plain and RFC 5987 names", () => {
    expect(dispositionFilename('attachment; filename="CN-2026-000042.pdf"')).toBe("CN-2026-000042.pdf");
    expect(dispositionFilename("attachment; filename*=UTF-8''statement%202026.csv")).toBe("statement 2026.csv");
    expect(dispositionFilename("attachment")).toBeNull();
    expect(dispositionFilename(null)).toBeNull();
  });
});
