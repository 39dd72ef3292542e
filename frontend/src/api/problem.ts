/** An RFC 9457 problem answered by the API, thrown so screens can show its message. */
export interface FieldError {
  field: string;
  message: string;
  type?: string;
}

export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly errors: FieldError[];

  constructor(status: number, code: string, detail: string, errors: FieldError[] = []) {
    super(detail);
    this.name = "ApiProblem";
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.errors = errors;
  }

  /** The problem from a response body (or a generic one if the body is not a problem). */
  static from(status: number, body: unknown): ApiProblem {
    if (body && typeof body === "object") {
      const p = body as { code?: unknown; detail?: unknown; title?: unknown; errors?: unknown };
      const code = typeof p.code === "string" ? p.code : `http.${status}`;
      const detail =
        typeof p.detail === "string" ? p.detail : typeof p.title === "string" ? p.title : `Request failed (${status}).`;
      const errors = Array.isArray(p.errors) ? (p.errors as FieldError[]) : [];
      return new ApiProblem(status, code, detail, errors);
    }
    return new ApiProblem(status, `http.${status}`, `Request failed (${status}).`);
  }
}

/** A message fit to show for any error a query or mutation throws. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiProblem) {
    const fields = error.errors.map((e) => `${e.field.replace(/^body\./, "")}: ${e.message}`);
    return fields.length ? `${error.detail} ${fields.join("; ")}` : error.detail;
  }
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
