/** Sign-in and registration rules (mirroring the server's) and the sign-in call itself. */
import type { QueryClient } from "@tanstack/react-query";
import { z } from "zod";
import { api, unwrap, type components } from "../../api/client";
import { sessionFromTokens, setSession } from "../../lib/session";

type LoginRequest = components["schemas"]["LoginRequest"];

const EMAIL_MAX = 254;
export const PASSWORD_MIN = 12;
const PASSWORD_MAX = 128;
const TOTP_CODE = /^\d{6}$/;
const RECOVERY_CODE_MIN = 8;
const RECOVERY_CODE_MAX = 64;

/** The server's e-mail rule: something@domain.tld, no spaces. */
export function isEmail(value: string): boolean {
  const text = value.trim();
  const at = text.lastIndexOf("@");
  return at > 0 && text.slice(at + 1).includes(".") && !text.includes(" ") && text.length <= EMAIL_MAX;
}

const email = z.string().trim().min(1, "Enter your e-mail address.").refine(isEmail, "Enter a valid e-mail address.");

/** Which second factor a form is asking for ("none" until the server asks for one). */
export type SecondFactor = "none" | "totp" | "recovery";

const secondFactorShape = {
  factor: z.enum(["none", "totp", "recovery"]),
  totp_code: z.string(),
  recovery_code: z.string(),
};

function checkSecondFactor(
  values: { factor: SecondFactor; totp_code: string; recovery_code: string },
  ctx: z.RefinementCtx,
): void {
  if (values.factor === "totp" && !TOTP_CODE.test(values.totp_code.trim())) {
    ctx.addIssue({ code: "custom", path: ["totp_code"], message: "Enter the 6-digit code from your authenticator app." });
  }
  const recovery = values.recovery_code.trim();
  if (values.factor === "recovery" && (recovery.length < RECOVERY_CODE_MIN || recovery.length > RECOVERY_CODE_MAX)) {
    ctx.addIssue({ code: "custom", path: ["recovery_code"], message: "Enter one of your recovery codes, e.g. abcde-12345." });
  }
}

/** A second factor on its own (switching two-factor login off). */
export const secondFactorSchema = z.object(secondFactorShape).superRefine(checkSecondFactor);
export type SecondFactorValues = z.infer<typeof secondFactorSchema>;

/** The second factor a form holds, as the API takes it. */
export function secondFactor(values: SecondFactorValues): { code?: string; recovery_code?: string } {
  if (values.factor === "totp") return { code: values.totp_code.trim() };
  if (values.factor === "recovery") return { recovery_code: values.recovery_code.trim() };
  return {};
}

export const loginSchema = z
  .object({ email, password: z.string().min(1, "Enter your password.").max(PASSWORD_MAX), ...secondFactorShape })
  .superRefine(checkSecondFactor);
export type LoginValues = z.infer<typeof loginSchema>;

/** The login request for the form's values. */
export function loginRequest(values: LoginValues): LoginRequest {
  const { code, recovery_code } = secondFactor(values);
  return {
    email: values.email.trim(),
    password: values.password,
    ...(code ? { totp_code: code } : {}),
    ...(recovery_code ? { recovery_code } : {}),
  };
}

export const registerSchema = z
  .object({
    display_name: z.string().trim().min(1, "Enter the name to show on your account.").max(100, "Use at most 100 characters."),
    email,
    password: z
      .string()
      .min(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters.`)
      .max(PASSWORD_MAX, `Use at most ${PASSWORD_MAX} characters.`),
    confirm_password: z.string().min(1, "Enter the password again."),
  })
  .superRefine((values, ctx) => {
    if (values.password.toLowerCase() === values.email.trim().toLowerCase()) {
      ctx.addIssue({ code: "custom", path: ["password"], message: "The password must not be your e-mail address." });
    }
    if (values.confirm_password !== values.password) {
      ctx.addIssue({ code: "custom", path: ["confirm_password"], message: "The passwords do not match." });
    }
  });
export type RegisterValues = z.infer<typeof registerSchema>;

/** Log in and keep the session, dropping anything cached for whoever was signed in before. */
export async function signIn(request: LoginRequest, queryClient: QueryClient): Promise<void> {
  const tokens = await unwrap(api.POST("/api/v1/auth/login", { body: request }));
  queryClient.clear();
  setSession(sessionFromTokens(tokens));
}

/** Where to go after signing in: the requested in-app path, never another site. */
export function safeRedirect(target: string | undefined): string {
  return target && target.startsWith("/") && !target.startsWith("//") && !target.startsWith("/\\") ? target : "/markets";
}
