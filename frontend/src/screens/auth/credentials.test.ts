import { describe, expect, it } from "vitest";
import { isEmail, loginRequest, loginSchema, registerSchema, safeRedirect } from "./credentials";

const login = { email: "a@b.in", password: "pw", factor: "none" as const, totp_code: "", recovery_code: "" };
const registration = { display_name: "Asha", email: "asha@example.in", password: "correct horse battery", confirm_password: "correct horse battery" };

function issues(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) {
  return Object.fromEntries((result.error?.issues ?? []).map((issue) => [issue.path.join("."), issue.message]));
}

describe("isEmail", () => {
  it("follows the server's rule", () => {
    expect(isEmail("asha@example.in")).toBe(true);
    expect(isEmail(" asha@example.in ")).toBe(true);
    expect(isEmail("asha@localhost")).toBe(false);
    expect(isEmail("@example.in")).toBe(false);
    expect(isEmail("a sha@example.in")).toBe(false);
  });
});

describe("loginSchema", () => {
  it("asks for no second factor until the server does", () => {
    expect(loginSchema.safeParse(login).success).toBe(true);
  });
  it("wants six digits once an authenticator code is asked for", () => {
    expect(issues(loginSchema.safeParse({ ...login, factor: "totp", totp_code: "12345" }))).toHaveProperty("totp_code");
    expect(loginSchema.safeParse({ ...login, factor: "totp", totp_code: "123456" }).success).toBe(true);
  });
  it("takes a recovery code instead", () => {
    expect(issues(loginSchema.safeParse({ ...login, factor: "recovery", recovery_code: "abc" }))).toHaveProperty("recovery_code");
    expect(loginSchema.safeParse({ ...login, factor: "recovery", recovery_code: "abcde-12345" }).success).toBe(true);
  });
});

describe("loginRequest", () => {
  it("sends only the factor in use", () => {
    expect(loginRequest({ ...login, factor: "totp", totp_code: " 123456 ", recovery_code: "stale-code" })).toEqual({
      email: "a@b.in",
      password: "pw",
      totp_code: "123456",
    });
    expect(loginRequest({ ...login, factor: "recovery", recovery_code: "abcde-12345" })).toEqual({
      email: "a@b.in",
      password: "pw",
      recovery_code: "abcde-12345",
    });
    expect(loginRequest(login)).toEqual({ email: "a@b.in", password: "pw" });
  });
});

describe("registerSchema", () => {
  it("accepts a sound registration", () => {
    expect(registerSchema.safeParse(registration).success).toBe(true);
  });
  it("wants 12 characters", () => {
    expect(issues(registerSchema.safeParse({ ...registration, password: "short", confirm_password: "short" }))).toHaveProperty("password");
  });
  it("refuses the e-mail as password, whatever its case", () => {
    const same = { ...registration, email: "Long.Name@Example.in", password: "long.name@example.in", confirm_password: "long.name@example.in" };
    expect(issues(registerSchema.safeParse(same)).password).toMatch(/e-mail/);
  });
  it("wants the confirmation to match", () => {
    expect(issues(registerSchema.safeParse({ ...registration, confirm_password: "something else" }))).toHaveProperty("confirm_password");
  });
});

describe("safeRedirect", () => {
  it("keeps in-app paths only", () => {
    expect(safeRedirect("/funds")).toBe("/funds");
    expect(safeRedirect(undefined)).toBe("/markets");
    expect(safeRedirect("//evil.example")).toBe("/markets");
    expect(safeRedirect("/\\evil.example")).toBe("/markets");
    expect(safeRedirect("https://evil.example")).toBe("/markets");
  });
});
