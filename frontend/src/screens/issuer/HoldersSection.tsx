import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type components } from "../../api/client";
import { DataTable, type Column } from "../../components/DataTable";
import { Panel } from "../../components/Panel";
import { QueryState } from "../../components/States";
import { formatPrice, formatQuantity } from "../../lib/decimal";
import { shortId } from "../../lib/format";

type Holder = components["schemas"]["HolderOut"];

/** A bond's register of holders (its issuer, admins and compliance may read it). */
export function useHolders(instrumentId: string) {
  return useQuery({
    queryKey: ["instruments", "holders", instrumentId],
    queryFn: () =>
      unwrap(api.GET("/api/v1/instruments/{instrument_id}/holders", { params: { path: { instrument_id: instrumentId } } })),
  });
}

const COLUMNS: readonly Column<Holder>[] = [
  {
    header: "Holder",
    cell: (holder) => (
      <span title={holder.user_id}>
        {holder.display_name} <span className="muted">({shortId(holder.user_id)})</span>
      </span>
    ),
  },
  { header: "Units", num: true, cell: (holder) => formatQuantity(holder.units) },
  { header: "Share of issue", num: true, cell: (holder) => `${formatPrice(holder.percent_of_issue)}%` },
];

/** The bond's register: who holds it now (available and locked units), largest first. */
export function HoldersSection({ instrumentId }: { instrumentId: string }) {
  const register = useHolders(instrumentId);
  return (
    <Panel title="Holders">
      <QueryState query={register} isEmpty={(data) => data.holders.length === 0} empty="Nobody holds this bond.">
        {(data) => (
          <DataTable
            columns={COLUMNS}
            rows={data.holders}
            rowKey={(holder) => holder.user_id}
            caption={`${formatQuantity(data.held_units)} of ${formatQuantity(data.issue_size_units)} units held, by ${data.holders.length} ${data.holders.length === 1 ? "holder" : "holders"}`}
          />
        )}
      </QueryState>
    </Panel>
  );
}
