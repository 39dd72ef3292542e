import { describe, expect, it } from "vitest";
import { ApiProblem } from "../api/problem";
import { applyProblem } from "./formProblem";

type Values = { pan: string; pincode: string };

function collect() {
  const set: Record<string, string> = {};
  const setError = (name: string, error: { message?: string }) => {
    set[name] = error.message ?? "";
  };
  return { set, setError };
}

describe("applyProblem", () => {
  it("puts field errors on their fields and keeps the rest as the message", () => {
    const { set, setError } = collect();
    const problem = new ApiProblem(422, "request.validation_failed", "The request has invalid or unknown fields.", [
      { field: "body.pan", message: "bad PAN" },
      { field: "body.terms_version", message: "expected 2026-11" },
    ]);
    const message = applyProblem<Values>(problem, setError, ["pan", "pincode"]);
    expect(set).toEqual({ pan: "bad PAN" });
    expect(message).toBe("The request has invalid or unknown fields. terms_version: expected 2026-11");
  });
  it("puts a coded problem's detail on its field", () => {
    const { set, setError } = collect();
    const problem = new ApiProblem(409, "kyc.pan_in_use", "This PAN belongs to another account.");
    expect(applyProblem<Values>(problem, setError, ["pan"], { "kyc.pan_in_use": "pan" })).toBeNull();
    expect(set).toEqual({ pan: "This PAN belongs to another account." });
  });
  it("places a query parameter's error on its field", () => {
    const { set, setError } = collect();
    const problem = new ApiProblem(422, "request.validation_failed", "Invalid query.", [{ field: "query.pan", message: "bad" }]);
    applyProblem<Values>(problem, setError, ["pan"]);
    expect(set).toEqual({ pan: "bad" });
  });
  it("shows anything else as a message", () => {
    const { setError } = collect();
    expect(applyProblem<Values>(new Error("offline"), setError, ["pan"])).toBe("offline");
  });
});
