import { useState } from "react";
import type { FieldValues, Path, UseFormSetError } from "react-hook-form";
import { applyProblem } from "./problems";

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
