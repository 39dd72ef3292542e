import { zodResolver } from "@hookform/resolvers/zod";
import { useEffect, useId, useRef, type ReactNode } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import styles from "./ConfirmDialog.module.css";
import { Field } from "./Field";
import { ErrorState } from "./States";

/** Whether the dialog asks for a reason (the server's StatusChange / ReviewDecision: 3–500 characters). */
export type ReasonPolicy = "none" | "optional" | "required";

const REASON_MIN = 3;
const REASON_MAX = 500;

/** The reason rule the server applies, as a zod schema. */
export function reasonSchema(policy: ReasonPolicy) {
  const text = z
    .string()
    .trim()
    .max(REASON_MAX, `At most ${REASON_MAX} characters.`)
    .refine((value) => value.length >= REASON_MIN || (policy !== "required" && value.length === 0), {
      message: policy === "required" ? `Give a reason (at least ${REASON_MIN} characters).` : `At least ${REASON_MIN} characters, or leave it empty.`,
    });
  return z.object({ reason: text });
}

interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  reason?: ReasonPolicy;
  reasonLabel?: string;
  confirmLabel?: string;
  danger?: boolean;
  pending: boolean;
  error: unknown;
  /** Called with the trimmed reason (undefined when none was asked or given). */
  onConfirm: (reason: string | undefined) => void;
  onClose: () => void;
}

/**
 * A modal confirmation for a consequential action, optionally asking for a reason. Render it
 * only while it is open; Escape or "Cancel" closes it. Its buttons are "Cancel" and "Confirm".
 */
export function ConfirmDialog({
  title,
  children,
  reason = "none",
  reasonLabel = "Reason",
  confirmLabel = "Confirm",
  danger = false,
  pending,
  error,
  onConfirm,
  onClose,
}: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();
  const form = useForm<{ reason: string }>({ resolver: zodResolver(reasonSchema(reason)), defaultValues: { reason: "" } });

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  const submit = form.handleSubmit(({ reason: text }) => onConfirm(reason === "none" || text === "" ? undefined : text));

  return (
    <dialog
      ref={dialog}
      className={styles.dialog}
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(event) => {
        event.preventDefault();
        if (!pending) onClose();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      <div id={bodyId}>{children}</div>
      <form onSubmit={(event) => void submit(event)} noValidate>
        {reason !== "none" && (
          <Field
            label={reasonLabel}
            error={form.formState.errors.reason?.message}
            hint={reason === "optional" ? "Optional." : undefined}
          >
            <textarea rows={3} maxLength={REASON_MAX} autoFocus {...form.register("reason")} />
          </Field>
        )}
        {Boolean(error) && <ErrorState error={error} />}
        <div className={styles.buttons}>
          <button type="button" onClick={onClose} disabled={pending} autoFocus={reason === "none"}>
            Cancel
          </button>
          <button type="submit" className={danger ? styles.danger : "primary"} disabled={pending}>
            {pending ? "Working…" : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
