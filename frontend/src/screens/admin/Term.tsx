import type { ReactNode } from "react";

/** One labelled value of a definition list (`<dl className={styles.terms}>`). */
export function Term({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
