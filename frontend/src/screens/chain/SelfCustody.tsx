import { useMutation } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { errorMessage } from "../../api/problem";
import { CopyButton } from "../../components/CopyButton";
import { DataTable, type Column } from "../../components/DataTable";
import { Field } from "../../components/Field";
import { ErrorNotice, QueryState } from "../../components/States";
import { StatusBadge } from "../../components/StatusBadge";
import { useBalances } from "../../lib/balances";
import { formatQuantity } from "../../lib/decimal";
import { formatDateTime } from "../../lib/format";
import { useHoldings, type Holding } from "../portfolio/queries";
import { shortHex } from "./chain";
import styles from "./Chain.module.css";
import own from "./SelfCustody.module.css";
import { depositText, depositTone, parseTxHash, parseUnits, unitsIn, withdrawalState } from "./custody";
import { injectedProvider, sendTokenTransfer, type Eip1193Provider } from "./metamask";
import {
  useDepositTokens,
  useMyDeposits,
  useMyWithdrawals,
  useNetwork,
  useToken,
  useWithdrawTokens,
  type TokenDeposit,
  type TokenWithdrawal,
  type Wallet,
} from "./queries";

/**
 * Self-custody: withdraw a tokenized bond's units to a wallet I linked, deposit them back from it
 * (MetaMask sends the transfer, or I give the hash of one I sent), and my withdrawals and deposits.
 */
export function SelfCustody({ custodial, linked }: { custodial: Wallet; linked: Wallet[] }) {
  const holdings = useHoldings();
  return (
    <>
      <h3>Self-custody</h3>
      <p className="muted">
        Units of a tokenized bond you withdraw to a wallet you hold stay yours, but cannot be sold here until you
        deposit them back to your custodial wallet.
      </p>
      <QueryState query={holdings} isEmpty={(page) => page.items.length === 0} empty="You hold no bonds yet.">
        {(page) => (
          <div className={own.forms}>
            <WithdrawTokens bonds={page.items} wallets={linked.filter((wallet) => wallet.listed)} />
            <DepositTokens bonds={page.items} custodial={custodial} linked={linked} />
          </div>
        )}
      </QueryState>
      <Withdrawals bonds={holdings.data?.items ?? []} />
      <Deposits bonds={holdings.data?.items ?? []} />
    </>
  );
}

/** The bond picker both forms share: my holdings by name and ISIN. */
function BondSelect({ bonds, value, onChange }: { bonds: Holding[]; value: string; onChange: (id: string) => void }) {
  return (
    <Field label="Bond">
      <select value={value} onChange={(event) => onChange(event.target.value)}>
        {bonds.map((bond) => (
          <option key={bond.instrument_id} value={bond.instrument_id}>
            {bond.name} ({bond.isin})
          </option>
        ))}
      </select>
    </Field>
  );
}

/** A bond's ISIN, from my holdings (its id's end when I no longer hold it). */
function bondLabel(bonds: Holding[], instrumentId: string): string {
  return bonds.find((bond) => bond.instrument_id === instrumentId)?.isin ?? shortHex(instrumentId, 0, 8);
}

/** "Withdraw to my wallet": a bond, one of my linked wallets the registry lists, and the units. */
function WithdrawTokens({ bonds, wallets }: { bonds: Holding[]; wallets: Wallet[] }) {
  const [instrumentId, setInstrumentId] = useState(bonds[0]?.instrument_id ?? "");
  const [wallet, setWallet] = useState(wallets[0]?.address ?? "");
  const [quantity, setQuantity] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);
  const network = useNetwork();
  const token = useToken(instrumentId, { enabled: Boolean(network.data && instrumentId) });
  const balances = useBalances();
  const withdraw = useWithdrawTokens();
  const bond = bonds.find((item) => item.instrument_id === instrumentId);
  const available = bond && balances.data ? unitsIn(balances.data, bond.isin, "available") : undefined;
  const headingId = useId();

  function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseUnits(quantity, available);
    if ("error" in parsed) {
      setInvalid(parsed.error);
      return;
    }
    setInvalid(null);
    withdraw.mutate(
      { instrument_id: instrumentId, wallet: wallet || (wallets[0]?.address ?? ""), quantity: parsed.units },
      { onSuccess: () => setQuantity("") },
    );
  }

  if (wallets.length === 0) {
    return <p className="muted">A wallet you linked can receive tokens once the identity registry lists it.</p>;
  }
  return (
    <form noValidate onSubmit={submit} aria-labelledby={headingId}>
      <h4 id={headingId}>Withdraw to my wallet</h4>
      <BondSelect bonds={bonds} value={instrumentId} onChange={setInstrumentId} />
      <Field label="To wallet">
        <select value={wallet} onChange={(event) => setWallet(event.target.value)}>
          {wallets.map((item) => (
            <option key={item.address} value={item.address}>
              {item.address}
            </option>
          ))}
        </select>
      </Field>
      <Field
        label="Units"
        error={invalid ?? undefined}
        hint={available === undefined ? undefined : `${formatQuantity(available)} available to withdraw.`}
      >
        <input inputMode="numeric" autoComplete="off" value={quantity} onChange={(event) => setQuantity(event.target.value)} />
      </Field>
      {token.data === null && <p className="muted">This bond is not tokenized: its units cannot leave the venue.</p>}
      <ErrorNotice message={withdraw.isError ? errorMessage(withdraw.error) : null} />
      <div>
        <button type="submit" className="primary" disabled={withdraw.isPending || token.data === null}>
          {withdraw.isPending ? "Withdrawing…" : "Withdraw"}
        </button>
      </div>
      <div aria-live="polite">
        {withdraw.data && (
          <p className="notice notice-success" role="status">
            {formatQuantity(withdraw.data.quantity)} units are on their way to {shortHex(withdraw.data.wallet)}: follow
            them under Withdrawals.
          </p>
        )}
      </div>
    </form>
  );
}

/**
 * "Deposit from my wallet": MetaMask sends the tokens from a linked wallet to my custodial wallet
 * and the venue is told the transaction; or I give the hash of a transfer I sent myself.
 */
function DepositTokens({ bonds, custodial, linked }: { bonds: Holding[]; custodial: Wallet; linked: Wallet[] }) {
  const [provider] = useState<Eip1193Provider | null>(() => injectedProvider());
  const [instrumentId, setInstrumentId] = useState(bonds[0]?.instrument_id ?? "");
  const [quantity, setQuantity] = useState("");
  const [txHash, setTxHash] = useState("");
  const [invalid, setInvalid] = useState<{ quantity?: string; txHash?: string }>({});
  const network = useNetwork();
  const token = useToken(instrumentId, { enabled: Boolean(network.data && instrumentId) });
  const balances = useBalances();
  const deposit = useDepositTokens();
  const bond = bonds.find((item) => item.instrument_id === instrumentId);
  const withdrawn = bond && balances.data ? unitsIn(balances.data, bond.isin, "self_custody") : undefined;
  const headingId = useId();
  const send = useMutation({
    mutationFn: (units: number) => {
      if (!provider || !network.data || !token.data) throw new Error("MetaMask or the bond's token is not there.");
      return sendTokenTransfer(provider, {
        chainId: network.data.chain_id,
        token: token.data.address,
        to: custodial.address,
        units,
        from: linked.map((wallet) => wallet.address),
      });
    },
    onSuccess: (hash) => {
      setTxHash(hash); // kept in the field: if the venue cannot credit it yet, report it again later
      deposit.mutate({ instrument_id: instrumentId, tx_hash: hash });
    },
  });

  function sendWithMetaMask(event: FormEvent) {
    event.preventDefault();
    const parsed = parseUnits(quantity);
    if ("error" in parsed) {
      setInvalid({ quantity: parsed.error });
      return;
    }
    setInvalid({});
    send.mutate(parsed.units);
  }

  function report(event: FormEvent) {
    event.preventDefault();
    const hash = parseTxHash(txHash);
    setInvalid(hash ? {} : { txHash: "A transaction hash is 0x and 64 hex digits." });
    if (hash) deposit.mutate({ instrument_id: instrumentId, tx_hash: hash });
  }

  const busy = send.isPending || deposit.isPending;
  return (
    <section aria-labelledby={headingId}>
      <h4 id={headingId}>Deposit from my wallet</h4>
      <p>
        Send the tokens from a wallet you linked to your custodial wallet{" "}
        <span className={styles.address}>{custodial.address}</span> <CopyButton text={custodial.address} label="Copy address" />
        {withdrawn !== undefined && <> ({formatQuantity(withdrawn)} withdrawn of this bond)</>}.
      </p>
      <BondSelect bonds={bonds} value={instrumentId} onChange={setInstrumentId} />
      {token.data === null && <p className="muted">This bond is not tokenized.</p>}
      {provider ? (
        <form noValidate onSubmit={sendWithMetaMask}>
          <Field label="Units to send" error={invalid.quantity}>
            <input inputMode="numeric" autoComplete="off" value={quantity} onChange={(event) => setQuantity(event.target.value)} />
          </Field>
          <div>
            <button type="submit" className="primary" disabled={busy || !token.data || !network.data}>
              {send.isPending ? "Waiting for MetaMask…" : "Send with MetaMask"}
            </button>
          </div>
        </form>
      ) : (
        <p className="muted">Without MetaMask, send them with your own wallet and give the transaction below.</p>
      )}
      <form noValidate onSubmit={report}>
        <Field label="I already sent it: transaction hash" error={invalid.txHash}>
          <input autoComplete="off" spellCheck={false} value={txHash} onChange={(event) => setTxHash(event.target.value)} />
        </Field>
        <div>
          <button type="submit" disabled={busy || token.data === null}>
            {deposit.isPending ? "Waiting for the chain…" : "Report the deposit"}
          </button>
        </div>
      </form>
      <ErrorNotice message={send.isError ? errorMessage(send.error) : deposit.isError ? errorMessage(deposit.error) : null} />
      <div aria-live="polite">
        {deposit.data?.map((credited) => (
          <p key={credited.id} className="notice notice-success" role="status">
            {depositText(credited)}.
          </p>
        ))}
      </div>
    </section>
  );
}

/** A transaction's hash, short, with a button copying it whole (or a dash before there is one). */
function TxCell({ hash }: { hash: string | null }) {
  if (!hash) return <span className="muted">—</span>;
  return (
    <>
      <span className={styles.address} title={hash}>
        {shortHex(hash, 6, 4)}
      </span>{" "}
      <CopyButton text={hash} label="Copy transaction hash" />
    </>
  );
}

function withdrawalColumns(bonds: Holding[]): Column<TokenWithdrawal>[] {
  return [
    { header: "Asked", rowHeader: true, cell: (row) => formatDateTime(row.created_at) },
    { header: "Bond", cell: (row) => bondLabel(bonds, row.instrument_id) },
    { header: "To wallet", cell: (row) => <span title={row.wallet}>{shortHex(row.wallet)}</span> },
    { header: "Units", num: true, cell: (row) => formatQuantity(row.quantity) },
    {
      header: "Status",
      className: "wrap",
      cell: (row) => {
        const state = withdrawalState(row.status);
        return (
          <>
            <StatusBadge status={row.status} tone={state.tone} /> <span className="muted">{state.text}</span>
            {row.status !== "confirmed" && row.last_error && <div className="muted">{row.last_error}</div>}
          </>
        );
      },
    },
    { header: "Transaction", cell: (row) => <TxCell hash={row.tx_hash} /> },
  ];
}

/** My withdrawals, newest first, re-read while one is on its way. */
function Withdrawals({ bonds }: { bonds: Holding[] }) {
  const withdrawals = useMyWithdrawals();
  return (
    <>
      <h4>Withdrawals</h4>
      <QueryState query={withdrawals} isEmpty={(page) => !page?.items.length} empty="No withdrawals yet.">
        {(page) => (
          <DataTable
            columns={withdrawalColumns(bonds)}
            rows={page?.items ?? []}
            rowKey={(row) => row.id}
            label="My withdrawals to linked wallets"
          />
        )}
      </QueryState>
    </>
  );
}

function depositColumns(bonds: Holding[]): Column<TokenDeposit>[] {
  return [
    { header: "Reported", rowHeader: true, cell: (row) => formatDateTime(row.created_at) },
    { header: "Bond", cell: (row) => bondLabel(bonds, row.instrument_id) },
    { header: "From wallet", cell: (row) => <span title={row.wallet}>{shortHex(row.wallet)}</span> },
    { header: "Units", num: true, cell: (row) => formatQuantity(row.quantity) },
    { header: "Credited", num: true, cell: (row) => formatQuantity(row.credited) },
    { header: "Status", cell: (row) => <StatusBadge status={row.status} tone={depositTone(row.status)} /> },
    { header: "Transaction", cell: (row) => <TxCell hash={row.tx_hash} /> },
  ];
}

/** My deposits, newest first. */
function Deposits({ bonds }: { bonds: Holding[] }) {
  const deposits = useMyDeposits();
  return (
    <>
      <h4>Deposits</h4>
      <QueryState query={deposits} isEmpty={(page) => !page?.items.length} empty="No deposits yet.">
        {(page) => (
          <DataTable
            columns={depositColumns(bonds)}
            rows={page?.items ?? []}
            rowKey={(row) => row.id}
            label="My deposits from linked wallets"
          />
        )}
      </QueryState>
    </>
  );
}
