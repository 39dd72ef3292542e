import { useState } from "react";
import { errorMessage } from "../../api/problem";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { CopyButton } from "../../components/CopyButton";
import { DataTable, type Column } from "../../components/DataTable";
import { Page } from "../../components/Page";
import { Panel } from "../../components/Panel";
import { ErrorNotice, QueryState } from "../../components/States";
import { formatQuantity } from "../../lib/decimal";
import { formatDateTime, shortId } from "../../lib/format";
import { hasRole, useMe } from "../../lib/me";
import styles from "../admin/admin.module.css";
import { shortHex } from "./chain";
import chainStyles from "./Chain.module.css";
import { useBreaks, useFlaggedDeposits, useNetwork, useReconcile, useSettlementAction, type Break, type Network, type Settlement } from "./queries";

type Action = "retry" | "unwind";

/** What each action does to a failed settlement, as its confirmation says. */
const ACTIONS: Record<Action, { label: string; explains: string; done: string }> = {
  retry: {
    label: "Retry",
    explains: "It goes back to the queue for the next settlement run. Retry it once what failed it is fixed.",
    done: "goes back to the queue for the next run",
  },
  unwind: {
    label: "Unwind",
    explains:
      "The trade is reversed in the ledger: the buyer gets back what it paid and the fees, the seller its units. The chain never delivered them.",
    done: "is unwound",
  },
};

/** Units on chain less units in the ledger, signed: "+100", "-2,500", "0". */
function difference(item: Break): string {
  const units = item.chain_units - item.ledger_units;
  return `${units > 0 ? "+" : ""}${formatQuantity(units)}`;
}

type FlaggedDeposit = NonNullable<ReturnType<typeof useFlaggedDeposits>["data"]>[number];

/** "1 open break", "3 open breaks". */
const openBreaks = (count: number) => `${count} open ${count === 1 ? "break" : "breaks"}`;

/** An id shortened, the whole id in its tooltip. */
const ShortId = ({ id }: { id: string }) => (
  <span className={styles.mono} title={id}>
    {shortId(id)}
  </span>
);

/**
 * The chain's breaks queue (admins and compliance): the venue's network, the settlements out of
 * tries and the wallets whose tokens differ from the ledger. Admins put a failed settlement back
 * for the next run and reconcile on demand.
 */
export function BreaksScreen() {
  const me = useMe();
  const isAdmin = hasRole(me.data, "admin");
  const network = useNetwork();
  const breaks = useBreaks();
  const reconcile = useReconcile();
  const flagged = useFlaggedDeposits();
  const retry = useSettlementAction("retry");
  const unwind = useSettlementAction("unwind");
  const [acting, setActing] = useState<{ settlement: Settlement; action: Action } | null>(null);
  const mutation = acting?.action === "unwind" ? unwind : retry;
  const [outcome, setOutcome] = useState<string | null>(null);

  function reconcileNow() {
    setOutcome(null);
    reconcile.mutate(undefined, {
      onSuccess: (open) => setOutcome(`Reconciled: ${open.length ? openBreaks(open.length) : "chain and ledger agree"}.`),
    });
  }

  const failedColumns: Column<Settlement>[] = [
    { header: "Trade", rowHeader: true, cell: (settlement) => <ShortId id={settlement.trade_id} /> },
    { header: "Status", cell: (settlement) => (settlement.status === "unwound" ? "Unwound" : "Failed") },
    { header: "Attempts", num: true, cell: (settlement) => settlement.attempts },
    { header: "Last error", className: "wrap", cell: (settlement) => settlement.last_error ?? <span className="muted">—</span> },
    { header: "Created", cell: (settlement) => formatDateTime(settlement.created_at) },
  ];
  if (isAdmin) {
    failedColumns.push({
      header: <span className="muted">Action</span>,
      cell: (settlement) =>
        settlement.status === "failed" ? (
          <div className="page-actions">
            {(["retry", "unwind"] as const).map((action) => (
              <button
                key={action}
                type="button"
                onClick={() => {
                  retry.reset();
                  unwind.reset();
                  setOutcome(null);
                  setActing({ settlement, action });
                }}
              >
                {ACTIONS[action].label}
              </button>
            ))}
          </div>
        ) : null,
    });
  }

  const depositColumns: Column<FlaggedDeposit>[] = [
    { header: "Investor", rowHeader: true, cell: (deposit) => <ShortId id={deposit.user_id} /> },
    { header: "Instrument", cell: (deposit) => <ShortId id={deposit.instrument_id} /> },
    {
      header: "Transaction",
      cell: (deposit) => (
        <span className={styles.mono} title={deposit.tx_hash}>
          {shortHex(deposit.tx_hash)}
        </span>
      ),
    },
    { header: "Units sent", num: true, cell: (deposit) => formatQuantity(deposit.quantity) },
    { header: "Credited", num: true, cell: (deposit) => formatQuantity(deposit.credited) },
    { header: "Received", cell: (deposit) => formatDateTime(deposit.created_at) },
  ];

  const breakColumns: Column<Break>[] = [
    { header: "Instrument", rowHeader: true, cell: (item) => <ShortId id={item.instrument_id} /> },
    {
      header: "Wallet",
      cell: (item) => (
        <span className={styles.mono} title={item.wallet}>
          {shortHex(item.wallet)}
        </span>
      ),
    },
    { header: "Ledger units", num: true, cell: (item) => formatQuantity(item.ledger_units) },
    { header: "Chain units", num: true, cell: (item) => formatQuantity(item.chain_units) },
    {
      header: <span title="Units on chain less units in the ledger">Difference</span>,
      num: true,
      className: (item) => (item.chain_units < item.ledger_units ? "sell-text" : undefined),
      cell: difference,
    },
  ];

  const withChain = network.data !== null && breaks.data !== null;
  return (
    <Page
      title="Chain"
      actions={
        isAdmin && withChain ? (
          <button type="button" className="primary" onClick={reconcileNow} disabled={reconcile.isPending}>
            {reconcile.isPending ? "Reconciling…" : "Reconcile now"}
          </button>
        ) : undefined
      }
    >
      <div aria-live="polite">
        {outcome && (
          <p className="notice notice-success" role="status">
            {outcome}
          </p>
        )}
      </div>
      <ErrorNotice message={reconcile.isError ? `Could not reconcile: ${errorMessage(reconcile.error)}` : null} />
      {!isAdmin && me.data && withChain && (
        <p className="notice">Only admins retry or unwind settlements and reconcile; you can review the queue.</p>
      )}
      <Panel title="Network">
        <QueryState query={network}>
          {(found) => (found ? <NetworkFacts network={found} /> : <p className="muted">This venue runs without a chain.</p>)}
        </QueryState>
      </Panel>
      {withChain && (
        <>
          <Panel title="Failed settlements">
            <QueryState
              query={breaks}
              isEmpty={(queue) => !queue?.failed_settlements.length}
              empty="No failed settlements"
            >
              {(queue) => (
                <DataTable
                  columns={failedColumns}
                  rows={queue?.failed_settlements ?? []}
                  rowKey={(settlement) => settlement.trade_id}
                  className={styles.topAligned}
                  caption="Settlements out of tries, oldest first: failed ones wait for an admin, unwound ones were reversed in the ledger"
                />
              )}
            </QueryState>
          </Panel>
          <Panel title="Flagged deposits">
            <QueryState query={flagged} isEmpty={(rows) => !rows?.length} empty="No flagged deposits">
              {(rows) => (
                <DataTable
                  columns={depositColumns}
                  rows={rows ?? []}
                  rowKey={(deposit) => deposit.id}
                  caption="Deposits that brought more units than their sender had withdrawn: the rest is outside the ledger"
                />
              )}
            </QueryState>
          </Panel>
          <Panel title="Reconciliation breaks">
            <QueryState query={breaks} isEmpty={(queue) => !queue?.reconciliation.length} empty="Chain and ledger agree">
              {(queue) => (
                <DataTable
                  columns={breakColumns}
                  rows={queue?.reconciliation ?? []}
                  rowKey={(item) => item.id}
                  caption="Wallets whose tokens differ from the ledger"
                />
              )}
            </QueryState>
          </Panel>
        </>
      )}
      {acting && (
        <ConfirmDialog
          title={`${ACTIONS[acting.action].label} the settlement of trade ${shortId(acting.settlement.trade_id)}?`}
          confirmLabel={ACTIONS[acting.action].label}
          pending={mutation.isPending}
          error={mutation.error}
          onConfirm={() =>
            mutation.mutate(acting.settlement.trade_id, {
              onSuccess: () => {
                setOutcome(`The settlement of trade ${shortId(acting.settlement.trade_id)} ${ACTIONS[acting.action].done}.`);
                setActing(null);
              },
            })
          }
          onClose={() => setActing(null)}
        >
          <p>
            After {acting.settlement.attempts} {acting.settlement.attempts === 1 ? "attempt" : "attempts"}, it failed with:{" "}
            <span className={styles.mono}>{acting.settlement.last_error ?? "no error recorded"}</span>
          </p>
          <p>{ACTIONS[acting.action].explains}</p>
        </ConfirmDialog>
      )}
    </Page>
  );
}

/** The venue's chain: its kind, id and block, and its contracts' addresses (shortened, copyable). */
function NetworkFacts({ network }: { network: Network }) {
  const address = (value: string) => (
    <>
      <span className={chainStyles.address} title={value}>
        {shortHex(value)}
      </span>
      <CopyButton text={value} label="Copy address" />
    </>
  );
  return (
    <>
      {!network.persistent && <p className={`${chainStyles.summary} muted`}>This chain starts afresh when the venue restarts.</p>}
      <dl className={chainStyles.facts}>
        <div>
          <dt>Kind</dt>
          <dd>{network.kind}</dd>
        </div>
        <div>
          <dt>Chain id</dt>
          <dd>{network.chain_id}</dd>
        </div>
        <div>
          <dt>Block</dt>
          <dd>{network.block}</dd>
        </div>
        <div>
          <dt>Identity registry</dt>
          <dd>{address(network.registry)}</dd>
        </div>
        <div>
          <dt>DvP</dt>
          <dd>{address(network.dvp)}</dd>
        </div>
      </dl>
    </>
  );
}
