import { useRealtimeStatus } from "../lib/ws";
import styles from "./LiveStatus.module.css";

const LABELS = { idle: "Offline", connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…" } as const;

/** A small indicator of the real-time connection: live, connecting or reconnecting. */
export function LiveStatus() {
  const status = useRealtimeStatus();
  return (
    <span className={`${styles.status} ${styles[status]}`} role="status" aria-live="polite" title="Real-time updates">
      <span className={styles.dot} aria-hidden="true" />
      {LABELS[status]}
    </span>
  );
}
