import type { ReactNode } from "react";
import { ErrorNotice } from "./States";

/** A form's last row: the server's message that no field shows, then the submit button (disabled while `pending`). */
export function FormFooter({
  message,
  pending,
  primary = true,
  children,
}: {
  message: string | null;
  pending: boolean;
  primary?: boolean;
  /** The submit button's label. */
  children: ReactNode;
}) {
  return (
    <>
      <ErrorNotice message={message} />
      <div>
        <button type="submit" className={primary ? "primary" : undefined} disabled={pending}>
          {children}
        </button>
      </div>
    </>
  );
}
