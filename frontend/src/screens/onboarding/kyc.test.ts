import { describe, expect, it } from "vitest";
import { ageOn, documentProblem, KYC_TERMS_VERSION, kycFormData, kycSchema, MAX_DOCUMENT_BYTES } from "./kyc";

const png = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], "pan.png", { type: "image/png" });
const application = {
  pan: " abcpe1234f ",
  date_of_birth: "1990-04-15",
  address_line: "12 MG Road, Fort",
  city: "Mumbai",
  state: "Maharashtra",
  pincode: "400001",
  document_kind: "pan_card" as const,
  document: [png] as unknown as FileList,
  consent: true,
};

function issueFields(values: Partial<typeof application>): string[] {
  const result = kycSchema.safeParse({ ...application, ...values });
  return (result.error?.issues ?? []).map((issue) => issue.path.join("."));
}

describe("ageOn", () => {
  it("counts whole years, birthdays included", () => {
    expect(ageOn("2008-06-10", "2026-06-09")).toBe(17);
    expect(ageOn("2008-06-10", "2026-06-10")).toBe(18);
    expect(ageOn("2008-02-29", "2026-02-28")).toBe(17);
  });
});

describe("documentProblem", () => {
  it("takes a PDF, JPEG or PNG up to the limit", () => {
    expect(documentProblem({ size: 1000, type: "application/pdf" })).toBeNull();
    expect(documentProblem({ size: MAX_DOCUMENT_BYTES, type: "image/jpeg" })).toBeNull();
    expect(documentProblem({ size: MAX_DOCUMENT_BYTES + 1, type: "image/png" })).toMatch(/larger/);
    expect(documentProblem({ size: 10, type: "image/gif" })).toMatch(/PDF, JPEG or PNG/);
    expect(documentProblem({ size: 0, type: "image/png" })).toMatch(/empty/);
  });
});

describe("kycSchema", () => {
  it("accepts a complete application and normalises the PAN", () => {
    const result = kycSchema.safeParse(application);
    expect(result.success).toBe(true);
    expect(result.data?.pan).toBe("ABCPE1234F");
  });
  it("checks the PAN's shape and that it is an individual's", () => {
    expect(issueFields({ pan: "ABCPE12345" })).toEqual(["pan"]);
    expect(issueFields({ pan: "ABCCE1234F" })).toEqual(["pan"]);
  });
  it("wants an adult with a real birth date", () => {
    const today = new Date().toISOString().slice(0, 10);
    expect(issueFields({ date_of_birth: today })).toEqual(["date_of_birth"]);
    expect(issueFields({ date_of_birth: "1899-12-31" })).toEqual(["date_of_birth"]);
    expect(issueFields({ date_of_birth: "1990-02-30" })).toEqual(["date_of_birth"]);
  });
  it("wants a PIN code, a document and consent", () => {
    expect(issueFields({ pincode: "012345" })).toEqual(["pincode"]);
    expect(issueFields({ document: [] as unknown as FileList })).toEqual(["document"]);
    expect(issueFields({ consent: false })).toEqual(["consent"]);
  });
});

describe("kycFormData", () => {
  it("sends every field, the document as a file and the terms version", () => {
    const data = kycFormData(kycSchema.parse(application));
    expect(data.get("pan")).toBe("ABCPE1234F");
    expect(data.get("consent")).toBe("true");
    expect(data.get("terms_version")).toBe(KYC_TERMS_VERSION);
    expect((data.get("document") as File).name).toBe("pan.png");
  });
});
