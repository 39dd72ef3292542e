/** KYC rules (mirroring the server's), labels, the multipart body, and the application query. */
import { useQuery } from "@tanstack/react-query";
import { z } from "zod";
import { api, unwrap, type components } from "../../api/client";
import { ApiProblem } from "../../api/problem";

export type KycApplication = components["schemas"]["KycApplicationOut"];
export type KycStatus = components["schemas"]["KycStatus"];
type DocumentKind = components["schemas"]["DocumentKind"];
type KycSubmission = components["schemas"]["KycSubmission"];

/** The version of the consent text below; the server refuses consent to any other. */
export const KYC_TERMS_VERSION = "2026-11";
export const MINIMUM_AGE = 18;
export const MAX_DOCUMENT_BYTES = 768 * 1024;
const DOCUMENT_TYPES = ["application/pdf", "image/jpeg", "image/png"];
/** What the file picker offers. */
export const DOCUMENT_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png";
const PAN_FORMAT = /^[A-Z]{5}[0-9]{4}[A-Z]$/;
const INDIVIDUAL_HOLDER = "P";
const EARLIEST_BIRTH_DATE = "1900-01-01";

export const DOCUMENT_KINDS: readonly { value: DocumentKind; label: string }[] = [
  { value: "pan_card", label: "PAN card" },
  { value: "aadhaar", label: "Aadhaar" },
  { value: "passport", label: "Passport" },
  { value: "driving_licence", label: "Driving licence" },
  { value: "voter_id", label: "Voter ID" },
];

/** What each status is called on screen. */
export const KYC_STATUS_LABELS: Record<KycStatus, string> = {
  pending: "Under review",
  verified: "Verified",
  needs_info: "More information needed",
  rejected: "Rejected",
  revoked: "Verification revoked",
};

/** Whole years between a YYYY-MM-DD birth date and `today` (YYYY-MM-DD). */
export function ageOn(dateOfBirth: string, today: string): number {
  const [by = 0, bm = 0, bd = 0] = dateOfBirth.split("-").map(Number);
  const [ty = 0, tm = 0, td = 0] = today.split("-").map(Number);
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

/** Today in UTC as YYYY-MM-DD: the calendar the server checks ages against. */
export function utcToday(): string {
  return new Date().toISOString().slice(0, 10);
}

function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/** Why a file cannot be the identity document, or null when it can. */
export function documentProblem(file: { size: number; type: string }): string | null {
  if (file.type && !DOCUMENT_TYPES.includes(file.type)) return "Upload a PDF, JPEG or PNG file.";
  if (file.size === 0) return "The file is empty.";
  if (file.size > MAX_DOCUMENT_BYTES) return `The file is larger than ${MAX_DOCUMENT_BYTES / 1024} KB; upload a smaller scan.`;
  return null;
}

export const kycSchema = z.object({
  pan: z
    .string()
    .trim()
    .toUpperCase()
    .regex(PAN_FORMAT, "A PAN is 5 letters, 4 digits and a letter, e.g. ABCPE1234F.")
    .refine((pan) => pan[3] === INDIVIDUAL_HOLDER, "Only individuals can onboard here: the 4th letter of your PAN must be P."),
  date_of_birth: z
    .string()
    .refine(isCalendarDate, "Enter your date of birth.")
    .refine((date) => date > EARLIEST_BIRTH_DATE && date <= utcToday(), "Enter your real date of birth.")
    .refine((date) => ageOn(date, utcToday()) >= MINIMUM_AGE, `You must be at least ${MINIMUM_AGE} years old to invest.`),
  address_line: z.string().trim().min(5, "Enter your house, street and locality.").max(200, "Use at most 200 characters."),
  city: z.string().trim().min(2, "Enter your city.").max(100, "Use at most 100 characters."),
  state: z.string().trim().min(2, "Enter your state or union territory.").max(100, "Use at most 100 characters."),
  pincode: z.string().trim().regex(/^[1-9][0-9]{5}$/, "A PIN code is 6 digits and does not start with 0."),
  document_kind: z.enum(["pan_card", "aadhaar", "passport", "driving_licence", "voter_id"], "Choose the kind of document."),
  document: z.custom<FileList | undefined>().superRefine((files, ctx) => {
    const file = files?.[0];
    const problem = file ? documentProblem(file) : "Choose the file of your identity document.";
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
  consent: z.boolean().refine(Boolean, "Tick the box to consent; we cannot check your identity without it."),
});
export type KycValues = z.input<typeof kycSchema>;
export type KycForm = z.output<typeof kycSchema>;

/** The multipart body of a submission, the document as its file part. */
export function kycFormData(values: KycForm): FormData {
  const file = values.document?.[0];
  if (!file) throw new Error("A KYC submission needs its document.");
  const data = new FormData();
  data.set("pan", values.pan);
  data.set("date_of_birth", values.date_of_birth);
  data.set("address_line", values.address_line);
  data.set("city", values.city);
  data.set("state", values.state);
  data.set("pincode", values.pincode);
  data.set("document_kind", values.document_kind);
  data.set("document", file, file.name);
  data.set("consent", String(values.consent));
  data.set("terms_version", KYC_TERMS_VERSION);
  return data;
}

/** Submit (or resubmit) an application as multipart/form-data. */
export function submitKyc(values: KycForm): Promise<KycApplication> {
  const data = kycFormData(values);
  return unwrap(
    api.POST("/api/v1/kyc", {
      // The generated type calls the file part a string; what is sent is the FormData itself.
      body: data as unknown as KycSubmission,
      bodySerializer: () => data,
    }),
  );
}

export const KYC_QUERY_KEY = ["kyc"] as const;
const REVIEW_POLL_MS = 3000;

/** The user's application (null before the first submission), polled while it is under review. */
export function useKycApplication() {
  return useQuery({
    queryKey: KYC_QUERY_KEY,
    queryFn: async (): Promise<KycApplication | null> => {
      try {
        return await unwrap(api.GET("/api/v1/kyc"));
      } catch (error) {
        if (error instanceof ApiProblem && error.status === 404) return null;
        throw error;
      }
    },
    refetchInterval: (query) => (query.state.data?.status === "pending" ? REVIEW_POLL_MS : false),
  });
}
