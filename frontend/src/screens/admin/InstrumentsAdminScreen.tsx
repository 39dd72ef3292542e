import { useState } from "react";
import { api, unwrap, type components } from "../../api/client";
import type { Column } from "../../components/DataTable";
import { Field } from "../../components/Field";
import { FilterBar, FilterSelect } from "../../components/FilterBar";
import { ADMIN_COMMANDS, InstrumentActions } from "../../components/InstrumentActions";
import { InstrumentTable } from "../../components/InstrumentTable";
import { Page } from "../../components/Page";
import { PagedList } from "../../components/Pager";
import { humanize } from "../../lib/format";
import type { Instrument } from "../../lib/instruments";
import { hasRole, useMe } from "../../lib/me";
import { usePagedQuery } from "../../lib/paging";
import { useDebounced } from "../../lib/useDebounced";

type InstrumentStatus = components["schemas"]["InstrumentStatus"];

const STATUSES: readonly InstrumentStatus[] = ["pending_approval", "draft", "listed", "suspended", "matured", "delisted"];

const RATING: Column<Instrument> = { header: "Rating", cell: (instrument) => instrument.credit_rating };
const ACTIONS: Column<Instrument> = {
  header: "Actions",
  cell: (instrument) => <InstrumentActions instrument={instrument} commands={ADMIN_COMMANDS} />,
};

/** Every instrument for admins: review submissions, halt, resume or delist, and the kill switch. */
export function InstrumentsAdminScreen() {
  const me = useMe();
  const isAdmin = hasRole(me.data, "admin");
  const [status, setStatus] = useState<InstrumentStatus | "">("");
  const [search, setSearch] = useState("");
  const q = useDebounced(search.trim());
  const { query, paging } = usePagedQuery({
    queryKey: ["instruments", "admin"],
    filters: { status, q },
    fetchPage: (cursor) =>
      unwrap(api.GET("/api/v1/instruments", { params: { query: { limit: 50, cursor, status: status || null, q: q || null } } })),
  });

  return (
    <Page title="Instruments">
      <FilterBar>
        <FilterSelect label="Status" value={status} onChange={setStatus} options={STATUSES} any="All statuses" />
        <Field label="Search" hint="ISIN prefix or words of the name">
          <input type="search" value={search} maxLength={100} onChange={(event) => setSearch(event.target.value)} />
        </Field>
      </FilterBar>
      {!isAdmin && me.data && <p className="notice">Only admins change an instrument's status; you can review the list.</p>}
      <PagedList query={query} paging={paging} label="Instruments" empty="No instruments match these filters.">
        {(instruments) => (
          <InstrumentTable
            instruments={instruments}
            caption={`Instruments${status ? ` — ${humanize(status)}` : ""}`}
            extra={isAdmin ? [RATING, ACTIONS] : [RATING]}
          />
        )}
      </PagedList>
    </Page>
  );
}
