import { useState } from "react";
import { errorMessage } from "../../api/problem";
import { CopyButton } from "../../components/CopyButton";
import { DataTable, type Column } from "../../components/DataTable";
import { Panel } from "../../components/Panel";
import { ErrorNotice, QueryState } from "../../components/States";
import { formatDateTime } from "../../lib/format";
import { custodialWallet, shortHex } from "./chain";
import styles from "./Chain.module.css";
import { injectedProvider, type Eip1193Provider } from "./metamask";
import { useLinkWallet, useMyWallets, type Wallet } from "./queries";
import { SelfCustody } from "./SelfCustody";

/**
 * My wallets on the venue's chain: the custodial one and whether the identity registry lists it,
 * the wallets I linked, linking one I hold in MetaMask, and moving tokens to and from the wallets I
 * linked (nothing without a chain).
 */
export function WalletCard() {
  const wallets = useMyWallets();
  if (wallets.data === null) return null;
  return (
    <Panel title="My wallet">
      <QueryState query={wallets}>
        {(list) => {
          const wallet = custodialWallet(list);
          const linked = (list ?? []).filter((item) => item.custody === "linked");
          return (
            <>
              {wallet ? (
                <WalletDetails wallet={wallet} />
              ) : (
                <p className="muted">Your wallet is created once your KYC is verified.</p>
              )}
              <h3>Wallets you hold</h3>
              {linked.length > 0 && <LinkedWallets wallets={linked} />}
              <LinkWallet />
              {wallet && linked.length > 0 && <SelfCustody custodial={wallet} linked={linked} />}
            </>
          );
        }}
      </QueryState>
    </Panel>
  );
}

const LINKED_COLUMNS: Column<Wallet>[] = [
  {
    header: "Address",
    rowHeader: true,
    cell: (wallet) => (
      <>
        <span className={styles.address}>{wallet.address}</span> <CopyButton text={wallet.address} label="Copy address" />
      </>
    ),
  },
  {
    header: "Identity registry",
    className: "wrap",
    cell: (wallet) => (wallet.listed ? "Listed" : <span className="muted">Not listed on the current chain yet</span>),
  },
  { header: "Linked", cell: (wallet) => formatDateTime(wallet.created_at) },
];

/** The wallets I hold myself and linked. */
function LinkedWallets({ wallets }: { wallets: Wallet[] }) {
  return (
    <DataTable
      columns={LINKED_COLUMNS}
      rows={wallets}
      rowKey={(wallet) => wallet.address}
      caption="Wallets you hold yourself, linked to your account"
    />
  );
}

/**
 * "Link a wallet (MetaMask)": MetaMask shares an account and signs the venue's message, and the
 * venue links the wallet; without MetaMask, a note saying it is needed.
 */
function LinkWallet() {
  const [provider] = useState<Eip1193Provider | null>(() => injectedProvider());
  const link = useLinkWallet();
  const [linked, setLinked] = useState<string | null>(null);
  if (!provider) return <p className="muted">Install MetaMask to link a wallet you hold yourself.</p>;
  return (
    <>
      <p>
        <button
          type="button"
          onClick={() => {
            setLinked(null);
            link.mutate(provider, { onSuccess: (wallet) => setLinked(wallet.address) });
          }}
          disabled={link.isPending}
        >
          {link.isPending ? "Waiting for MetaMask…" : "Link a wallet (MetaMask)"}
        </button>
      </p>
      <div aria-live="polite">
        {linked && (
          <p className="notice notice-success" role="status">
            Wallet <span title={linked}>{shortHex(linked)}</span> linked.
          </p>
        )}
      </div>
      <ErrorNotice message={link.isError ? errorMessage(link.error) : null} />
    </>
  );
}

function WalletDetails({ wallet }: { wallet: Wallet }) {
  return (
    <dl className={styles.facts}>
      <div>
        <dt>Address</dt>
        <dd>
          <span className={styles.address}>{wallet.address}</span>
          <CopyButton text={wallet.address} label="Copy address" />
        </dd>
      </div>
      <div>
        <dt>Identity registry</dt>
        <dd>
          {wallet.listed
            ? "Listed: it can hold and receive tokenized bonds"
            : "Not listed on the current chain yet: it cannot receive tokenized bonds"}
        </dd>
      </div>
      <div>
        <dt>Held by</dt>
        <dd>{wallet.custody === "custodial" ? "The venue, on your behalf" : "You"}</dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>{formatDateTime(wallet.created_at)}</dd>
      </div>
    </dl>
  );
}
