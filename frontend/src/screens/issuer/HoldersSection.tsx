import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { QueryState } from "../../components/States";
import { formatPrice, formatQuantity } from "../../lib/decimal";
import { shortId } from "../admin/format";
import adminStyles from "../admin/admin.module.css";

/** A bond's register of holders (its issuer, admins and compliance may read it). */
export function useHolders(instrumentId: string) {
  return useQuery({
    queryKey: ["instruments", "holders", instrumentId],
    queryFn: () =>
      unwrap(api.GET("/api/v1/instruments/{instrument_id}/holders", { params: { path: { instrument_id: instrumentId } } })),
  });
}

/** The bond's register: who holds it now (available and locked units), largest first. */
export function HoldersSection({ instrumentId }: { instrumentId: string }) {
  const register = useHolders(instrumentId);
  return (
    <section className={`panel ${adminStyles.section}`} aria-labelledby="holders-title">
      <h2 id="holders-title">Holders</h2>
      <QueryState query={register} isEmpty={(data) => data.holders.length === 0} empty="Nobody holds this bond.">
        {(data) => (
          <div className="table-scroll">
            <table>
              <caption className={adminStyles.caption}>
                {formatQuantity(data.held_units)} of {formatQuantity(data.issue_size_units)} units held, by {data.holders.length}{" "}
                {data.holders.length === 1 ? "holder" : "holders"}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Holder</th>
                  <th scope="col" className="num">Units</th>
                  <th scope="col" className="num">Share of issue</th>
                </tr>
              </thead>
              <tbody>
                {data.holders.map((holder) => (
                  <tr key={holder.user_id}>
                    <td title={holder.user_id}>
                      {holder.display_name} <span className="muted">({shortId(holder.user_id)})</span>
                    </td>
                    <td className="num">{formatQuantity(holder.units)}</td>
                    <td className="num">{formatPrice(holder.percent_of_issue)}%</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </section>
  );
}
