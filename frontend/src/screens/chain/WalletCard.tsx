import { CopyButton } from "../../components/CopyButton";
import { Panel } from "../../components/Panel";
import { QueryState } from "../../components/States";
import { formatDateTime } from "../../lib/format";
import { custodialWallet } from "./chain";
import styles from "./Chain.module.css";
import { useMyWallets, type Wallet } from "./queries";

/** My custodial wallet on the venue's chain and whether the identity registry lists it (nothing without a chain). */
export function WalletCard() {
  const wallets = useMyWallets();
  if (wallets.data === null) return null;
  return (
    <Panel title="My wallet">
      <QueryState query={wallets}>
        {(list) => {
          const wallet = custodialWallet(list);
          return wallet ? (
            <WalletDetails wallet={wallet} />
          ) : (
            <p className="muted">Your wallet is created once your KYC is verified.</p>
          );
        }}
      </QueryState>
    </Panel>
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
