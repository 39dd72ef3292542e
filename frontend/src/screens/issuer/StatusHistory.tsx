import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { Panel } from "../../components/Panel";
import { QueryState } from "../../components/States";
import { UserName } from "../../components/UserName";
import { formatDateTime, humanize } from "../../lib/format";
import type { Instrument } from "../../lib/instruments";
import { hasRole, useMe } from "../../lib/me";
import { useUserDirectory } from "../../lib/users";
import styles from "./issuer.module.css";

/**
 * Where the bond has been: its own timestamps for everyone, and for admins and compliance every
 * audited change (GET /admin/audit by target), newest first.
 */
export function StatusHistory({ instrument }: { instrument: Instrument }) {
  const me = useMe();
  const overseer = hasRole(me.data, "admin", "compliance");
  return (
    <Panel title="Status history">
      <ul className={styles.timeline}>
        <li>Drafted {formatDateTime(instrument.created_at)}</li>
        {instrument.listed_at && <li>Listed {formatDateTime(instrument.listed_at)}</li>}
        {instrument.status_reason && (
          <li>
            Now {humanize(instrument.status).toLowerCase()}: {instrument.status_reason}
          </li>
        )}
        {instrument.payment_default_at && (
          <li className="sell-text">
            Payment default {formatDateTime(instrument.payment_default_at)}: {instrument.payment_default_reason}
          </li>
        )}
      </ul>
      {overseer && <AuditTrail instrumentId={instrument.id} />}
    </Panel>
  );
}

/** The audit log's entries about one instrument. */
function AuditTrail({ instrumentId }: { instrumentId: string }) {
  const trail = useQuery({
    queryKey: ["admin", "audit", { target: `instrument:${instrumentId}` }],
    queryFn: () =>
      unwrap(api.GET("/api/v1/admin/audit", { params: { query: { target: `instrument:${instrumentId}`, limit: 200 } } })),
  });
  const directory = useUserDirectory(trail.data?.items.map((entry) => entry.actor_id) ?? []);
  return (
    <>
      <h3>Audit trail</h3>
      <QueryState query={trail} isEmpty={(page) => page.items.length === 0} empty="No audited changes.">
        {(page) => (
          <ol className={styles.timeline} reversed>
            {page.items.map((entry) => {
              const { from, to, reason } = entry.payload as { from?: string; to?: string; reason?: string | null };
              return (
                <li key={entry.seq}>
                  {formatDateTime(entry.occurred_at)} — <code>{entry.action}</code>
                  {from && to && ` (${humanize(from)} → ${humanize(to)})`} by{" "}
                  <UserName id={entry.actor_id} directory={directory.data} />
                  {reason && `: “${reason}”`}
                </li>
              );
            })}
          </ol>
        )}
      </QueryState>
    </>
  );
}
