import type { ReactNode } from "react";
import styles from "./Terms.module.css";

/** A definition list of `Term`s, in as many columns as fit. */
export function Terms({ children }: { children: ReactNode }) {
  return <dl className={styles.terms}>{children}</dl>;
}

/** One labelled value of `Terms`. */
export function Term({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
