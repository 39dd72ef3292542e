import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap, type components } from "../../api/client";
import { Field } from "../../components/Field";
import { Page } from "../../components/Page";
import { QueryState } from "../../components/States";
import { useMe } from "../../lib/me";
import styles from "./admin.module.css";
import { formatDateTime, humanize } from "./format";
import { KycReviewPanel } from "./KycReviewPanel";
import { Pager, useCursorPaging } from "./paging";
import { KycStatusBadge } from "./StatusBadge";
import { Applicant, UserName, useUserDirectory } from "./users";

type ReviewItem = components["schemas"]["KycReviewItem"];
type KycStatus = components["schemas"]["KycStatus"];
type Assignee = "me" | "none" | "";

const STATUSES: readonly KycStatus[] = ["pending", "needs_info", "verified", "rejected"];

/** The compliance queue: KYC applications by status and assignee, each reviewed in a side panel. */
export function KycQueueScreen() {
  const me = useMe();
  const [status, setStatus] = useState<KycStatus | "">("pending");
  const [assignee, setAssignee] = useState<Assignee>("");
  const [selected, setSelected] = useState<ReviewItem | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const paging = useCursorPaging(`${status}|${assignee}`);
  const queue = useQuery({
    queryKey: ["admin", "kyc", { status, assignee, cursor: paging.cursor }],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/admin/kyc", {
          params: { query: { limit: 50, cursor: paging.cursor, status: status || null, assignee: assignee || null } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const items = queue.data?.items ?? [];
  const directory = useUserDirectory(items.map((i) => i.assignee_id));
  // The freshest copy of the application under review: the settled page's, else the last one
  // the API answered (a decision may have moved it off the filtered page).
  const listed = queue.isFetching ? undefined : items.find((item) => item.id === selected?.id);
  const current = listed ?? selected;

  return (
    <Page title="KYC review">
      <div aria-live="polite">
        {outcome && (
          <p className="notice notice-success" role="status">
            {outcome}
          </p>
        )}
      </div>
      <form className={styles.filters} role="search" onSubmit={(event) => event.preventDefault()}>
        <Field label="Status">
          <select value={status} onChange={(event) => setStatus(event.target.value as KycStatus | "")}>
            <option value="">All statuses</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {humanize(value)}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Assignee">
          <select value={assignee} onChange={(event) => setAssignee(event.target.value as Assignee)}>
            <option value="">Anyone</option>
            <option value="me">Assigned to me</option>
            <option value="none">Unassigned</option>
          </select>
        </Field>
      </form>
      <div className={styles.split}>
        <div>
          <QueryState query={queue} isEmpty={(page) => page.items.length === 0} empty="No applications match these filters.">
            {(page) => (
              <>
                <div className="table-scroll">
                  <table>
                    <caption className={styles.caption}>Applications, oldest first</caption>
                    <thead>
                      <tr>
                        <th scope="col">Applicant</th>
                        <th scope="col">Status</th>
                        <th scope="col">Provider</th>
                        <th scope="col">Submitted</th>
                        <th scope="col">Assignee</th>
                        <th scope="col">
                          <span className="muted">Review</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {page.items.map((item) => (
                        <tr key={item.id} className={item.id === current?.id ? styles.selected : undefined}>
                          <td className={styles.wrap}>
                            <Applicant item={item} />
                          </td>
                          <td>
                            <KycStatusBadge status={item.status} />
                          </td>
                          <td>{item.provider_outcome ? humanize(item.provider_outcome) : "—"}</td>
                          <td>{formatDateTime(item.submitted_at)}</td>
                          <td>
                            {item.assignee_id === me.data?.id ? (
                              "Me"
                            ) : item.assignee_id ? (
                              <UserName id={item.assignee_id} directory={directory.data} />
                            ) : (
                              <span className="muted">Unassigned</span>
                            )}
                          </td>
                          <td>
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
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <Pager paging={paging} nextCursor={page.next_cursor} label="Applications" />
              </>
            )}
          </QueryState>
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
