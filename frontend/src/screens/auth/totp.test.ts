import { describe, expect, it } from "vitest";
import { groupInFours, totpSettings } from "./totp";

describe("groupInFours", () => {
  it("groups a secret for typing", () => {
    expect(groupInFours("XG3UGDZZKCCPYAT2MMUAX5XVJUM7LF3K")).toBe("XG3U GDZZ KCCP YAT2 MMUA X5XV JUM7 LF3K");
    expect(groupInFours("ABCDEF")).toBe("ABCD EF");
  });
});

describe("totpSettings", () => {
  it("reads the account and issuer", () => {
    expect(
      totpSettings("otpauth://totp/Liquibond:investor%40demo.liquibond.dev?secret=XG3U&issuer=Liquibond"),
    ).toEqual({ account: "investor@demo.liquibond.dev", issuer: "Liquibond", algorithm: "SHA1", digits: "6", period: "30" });
  });
  it("falls back to the defaults", () => {
    expect(totpSettings("not a uri")).toMatchObject({ account: "", issuer: "", digits: "6", period: "30" });
  });
});
