/** Presenting a TOTP secret for manual entry in an authenticator app. */

/** A base32 secret in groups of four ("JBSW Y3DP EHPK 3PXP"), easier to type. */
export function groupInFours(secret: string): string {
  return (secret.replace(/\s+/g, "").match(/.{1,4}/g) ?? []).join(" ");
}

/** What an authenticator asks for when the key is typed in, read from the otpauth:// URI. */
export interface TotpSettings {
  account: string;
  issuer: string;
  algorithm: string;
  digits: string;
  period: string;
}

/** The settings in a provisioning URI (otpauth://totp/Issuer:account?secret=…&issuer=…). */
export function totpSettings(uri: string): TotpSettings {
  let label = "";
  let query = new URLSearchParams();
  try {
    const url = new URL(uri);
    label = decodeURIComponent(url.pathname.replace(/^\/+/, ""));
    query = url.searchParams;
  } catch {
    // Not a URI: show the defaults every authenticator assumes.
  }
  const colon = label.indexOf(":");
  return {
    account: colon >= 0 ? label.slice(colon + 1) : label,
    issuer: query.get("issuer") ?? (colon >= 0 ? label.slice(0, colon) : ""),
    algorithm: query.get("algorithm") ?? "SHA1",
    digits: query.get("digits") ?? "6",
    period: query.get("period") ?? "30",
  };
}
