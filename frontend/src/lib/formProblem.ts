/** Mapping an API problem onto a form: field errors at their fields, the rest as one message. */
import { useState } from "react";
import type { FieldValues, Path, UseFormSetError } from "react-hook-form";
import { ApiProblem, errorMessage } from "../api/problem";

/** A problem's field errors keyed by form field name ("body.pan" → "pan", "query.from" → "from"). */
export function problemFieldErrors(error: unknown): Map<string, string> {
  const byField = new Map<string, string>();
  if (!(error instanceof ApiProblem)) return byField;
  for (const { field, message } of error.errors) {
    const name = field.replace(/^(body|query)\./, "");
    if (!byField.has(name)) byField.set(name, message);
  }
  return byField;
}

/**
 * Put a problem's field errors on the form's `fields` (and the detail of the problem codes in
 * `byCode` on their field); returns the message for whatever no field shows, or null.
 */
export function applyProblem<T extends FieldValues>(
  error: unknown,
  setError: UseFormSetError<T>,
  fields: readonly Path<T>[],
  byCode: Readonly<Record<string, Path<T>>> = {},
): string | null {
  const known = new Set<string>(fields);
  const unplaced: string[] = [];
  for (const [name, message] of problemFieldErrors(error)) {
    if (known.has(name)) setError(name as Path<T>, { type: "server", message });
    else unplaced.push(`${name}: ${message}`);
  }
  if (error instanceof ApiProblem) {
    const codeField = byCode[error.code];
    if (codeField) {
      setError(codeField, { type: "server", message: error.detail });
      return unplaced.length ? unplaced.join("; ") : null;
    }
    return unplaced.length ? `${error.detail} ${unplaced.join("; ")}` : error.detail;
  }
  return errorMessage(error);
}

/** Show server problems on a form: `show(error)` in a mutation's onError, `message` above the form. */
export function useFormProblem<T extends FieldValues>(
  setError: UseFormSetError<T>,
  fields: readonly Path<T>[],
  byCode: Readonly<Record<string, Path<T>>> = {},
) {
  const [message, setMessage] = useState<string | null>(null);
  return {
    message,
    show: (error: unknown) => setMessage(applyProblem(error, setError, fields, byCode)),
    clear: () => setMessage(null),
  };
}
