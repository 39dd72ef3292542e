import { useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { api, unwrap, type components } from "../../api/client";
import { FilterBar, FilterSelect } from "../../components/FilterBar";
import { InstrumentTable } from "../../components/InstrumentTable";
import { Page } from "../../components/Page";
import { PagedList } from "../../components/Pager";
import { Panel } from "../../components/Panel";
import { Loading } from "../../components/States";
import { formatDateTime } from "../../lib/format";
import { hasRole, useMe } from "../../lib/me";
import { usePagedQuery } from "../../lib/paging";
import { BondForm } from "./BondForm";
import { EMPTY_BOND, toCreate } from "./bondForm";

type InstrumentStatus = components["schemas"]["InstrumentStatus"];

const STATUSES: readonly InstrumentStatus[] = ["draft", "pending_approval", "listed", "suspended", "matured", "delisted"];

/** The issuer's bonds (drafts included) by status, and drafting a new one; admins see every issuer's. */
export function IssuerScreen() {
  const me = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [drafting, setDrafting] = useState(false);
  const [status, setStatus] = useState<InstrumentStatus | "">("");
  const isIssuer = hasRole(me.data, "issuer");
  // An issuer sees their own bonds; an admin who issues nothing sees every issuer's.
  const issuerId = isIssuer ? me.data?.id : null;
  const { query: bonds, paging } = usePagedQuery({
    queryKey: ["instruments", "issuer"],
    filters: { issuerId, status },
    fetchPage: (cursor) =>
      unwrap(api.GET("/api/v1/instruments", { params: { query: { limit: 50, cursor, issuer_id: issuerId, status: status || null } } })),
    enabled: Boolean(me.data),
  });

  if (me.isPending) return <Loading />;

  return (
    <Page
      title={isIssuer ? "My bonds" : "Bonds by issuer"}
      actions={
        isIssuer &&
        !drafting && (
          <button type="button" className="primary" onClick={() => setDrafting(true)}>
            Draft a bond
          </button>
        )
      }
    >
      {!isIssuer && (
        <p className="notice">
          Only issuers draft bonds. These are every issuer's; review submissions under{" "}
          <Link to="/admin/instruments">Instruments</Link>.
        </p>
      )}
      {drafting && (
        <Panel title="Draft a bond">
          <BondForm
            initial={EMPTY_BOND}
            editing={false}
            save={(values) => unwrap(api.POST("/api/v1/instruments", { body: toCreate(values) }))}
            onSaved={(instrument) => {
              void queryClient.invalidateQueries({ queryKey: ["instruments"] });
              void navigate({ to: "/issuer/$instrumentId", params: { instrumentId: instrument.id } });
            }}
            onCancel={() => setDrafting(false)}
          />
        </Panel>
      )}
      <FilterBar>
        <FilterSelect label="Status" value={status} onChange={setStatus} options={STATUSES} any="All statuses" />
      </FilterBar>
      <PagedList
        query={bonds}
        paging={paging}
        label="Bonds"
        empty={status ? "None of your bonds has this status." : "You have no bonds yet. Draft one to get started."}
      >
        {(instruments) => (
          <InstrumentTable
            instruments={instruments}
            caption={isIssuer ? "Your bonds" : "Every issuer's bonds"}
            extra={[{ header: "Drafted", cell: (bond) => formatDateTime(bond.created_at) }]}
          />
        )}
      </PagedList>
    </Page>
  );
}
