import { useState } from "react";
import { api, unwrap, type components } from "../../api/client";
import { DataTable, type Column } from "../../components/DataTable";
import { FilterBar, FilterSelect } from "../../components/FilterBar";
import { Page } from "../../components/Page";
import { PagedList } from "../../components/Pager";
import { KycStatusBadge } from "../../components/StatusBadge";
import { UserName } from "../../components/UserName";
import { formatDateTime, humanize } from "../../lib/format";
import { useMe } from "../../lib/me";
import { usePagedQuery } from "../../lib/paging";
import { useUserDirectory } from "../../lib/users";
import styles from "./admin.module.css";
import { Applicant } from "./Applicant";
import { KycReviewPanel } from "./KycReviewPanel";

type ReviewItem = components["schemas"]["KycReviewItem"];
type KycStatus = components["schemas"]["KycStatus"];
type Assignee = "me" | "none";

const STATUSES: readonly KycStatus[] = ["pending", "needs_info", "verified", "rejected", "revoked"];
const ASSIGNEES: Record<Assignee, string> = { me: "Assigned to me", none: "Unassigned" };

/** The compliance queue: KYC applications by status and assignee, each reviewed in a side panel. */
export function KycQueueScreen() {
  const me = useMe();
  const [status, setStatus] = useState<KycStatus | "">("pending");
  const [assignee, setAssignee] = useState<Assignee | "">("");
  const [selected, setSelected] = useState<ReviewItem | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const { query: queue, paging } = usePagedQuery({
    queryKey: ["admin", "kyc"],
    filters: { status, assignee },
    fetchPage: (cursor) =>
      unwrap(
        api.GET("/api/v1/admin/kyc", {
          params: { query: { limit: 50, cursor, status: status || null, assignee: assignee || null } },
        }),
      ),
  });
  const items = queue.data?.items ?? [];
  const directory = useUserDirectory(items.map((i) => i.assignee_id));
  // The freshest copy of the application under review: the settled page's, else the last one
  // the API answered (a decision may have moved it off the filtered page).
  const listed = queue.isFetching ? undefined : items.find((item) => item.id === selected?.id);
  const current = listed ?? selected;

  const columns: Column<ReviewItem>[] = [
    { header: "Applicant", className: "wrap", cell: (item) => <Applicant item={item} /> },
    { header: "Status", cell: (item) => <KycStatusBadge status={item.status} /> },
    { header: "Provider", cell: (item) => (item.provider_outcome ? humanize(item.provider_outcome) : "—") },
    { header: "Submitted", cell: (item) => formatDateTime(item.submitted_at) },
    {
      header: "Assignee",
      cell: (item) =>
        item.assignee_id === me.data?.id ? (
          "Me"
        ) : item.assignee_id ? (
          <UserName id={item.assignee_id} directory={directory.data} />
        ) : (
          <span className="muted">Unassigned</span>
        ),
    },
    {
      header: <span className="muted">Review</span>,
      cell: (item) => (
        <button
          type="button"
          onClick={() => {
            setSelected(item);
            setOutcome(null);
          }}
          aria-pressed={item.id === current?.id}
        >
          Review
        </button>
      ),
    },
  ];

  return (
    <Page title="KYC review">
      <div aria-live="polite">
        {outcome && (
          <p className="notice notice-success" role="status">
            {outcome}
          </p>
        )}
      </div>
      <FilterBar>
        <FilterSelect label="Status" value={status} onChange={setStatus} options={STATUSES} any="All statuses" />
        <FilterSelect
          label="Assignee"
          value={assignee}
          onChange={setAssignee}
          options={["me", "none"]}
          any="Anyone"
          optionLabel={(value) => ASSIGNEES[value]}
        />
      </FilterBar>
      <div className={styles.split}>
        <div>
          <PagedList query={queue} paging={paging} label="Applications" empty="No applications match these filters.">
            {(page) => (
              <DataTable
                columns={columns}
                rows={page}
                rowKey={(item) => item.id}
                rowClassName={(item) => (item.id === current?.id ? styles.selected : undefined)}
                caption="Applications, oldest first"
              />
            )}
          </PagedList>
        </div>
        {current ? (
          <KycReviewPanel
            key={current.id}
            item={current}
            meId={me.data?.id}
            directory={directory.data}
            onChanged={(item, message) => {
              setSelected(item);
              setOutcome(message);
            }}
          />
        ) : (
          <p className="panel muted">Choose “Review” on an application to see its details and decide it.</p>
        )}
      </div>
    </Page>
  );
}
