import { useState } from "react";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { CopyButton } from "../../components/CopyButton";
import { Panel } from "../../components/Panel";
import { ErrorState, Loading } from "../../components/States";
import { formatDateTime } from "../../lib/format";
import type { Instrument } from "../../lib/instruments";
import { hasRole, useMe } from "../../lib/me";
import { safeHref, shortHex, supplyLine } from "./chain";
import styles from "./Chain.module.css";
import { useNetwork, useToken, useTokenize, type Network, type Token } from "./queries";

/**
 * A bond's token on the venue's chain: its contract, supply, deployment and offer document; for a
 * bond not tokenized, a line saying so (and, for admins, the button that tokenizes it). Nothing
 * when the venue runs without a chain.
 */
export function TokenPanel({ instrument }: { instrument: Instrument }) {
  const network = useNetwork();
  const token = useToken(instrument.id, { enabled: Boolean(network.data) });
  if (network.isPending || network.data === null) return null;
  if (network.isError) {
    return (
      <Panel title="Token" className={styles.wide}>
        <ErrorState error={network.error} onRetry={() => void network.refetch()} />
      </Panel>
    );
  }
  if (token.isPending) {
    return (
      <Panel title="Token" className={styles.wide}>
        <Loading label="Loading the token…" />
      </Panel>
    );
  }
  if (token.isError) {
    return (
      <Panel title="Token" className={styles.wide}>
        <ErrorState error={token.error} onRetry={() => void token.refetch()} />
      </Panel>
    );
  }
  if (token.data === null) return <NotTokenized instrument={instrument} />;
  return <TokenDetails token={token.data} network={network.data} />;
}

/** The token's facts: full values in titles, the contract's address copyable. */
function TokenDetails({ token, network }: { token: Token; network: Network }) {
  const documentHref = safeHref(token.offer_document_uri);
  const documentHash = (
    <span className={styles.address} title={token.offer_document_hash}>
      {shortHex(token.offer_document_hash)}
    </span>
  );
  return (
    <Panel title="Token" className={styles.wide}>
      <p className={styles.summary}>
        Tokenized on {network.kind} chain {network.chain_id} on {formatDateTime(token.tokenized_at)}.
        {!network.persistent && <span className="muted"> This chain starts afresh when the venue restarts.</span>}
      </p>
      <dl className={styles.facts}>
        <div>
          <dt>Contract</dt>
          <dd>
            <span className={styles.address} title={token.address}>
              {shortHex(token.address)}
            </span>
            <CopyButton text={token.address} label="Copy address" />
          </dd>
        </div>
        <div>
          <dt>Standard</dt>
          <dd>{token.standard}</dd>
        </div>
        <div>
          <dt>Supply</dt>
          <dd>{supplyLine(token.total_supply, token.minted_units)}</dd>
        </div>
        <div>
          <dt>Deployment</dt>
          <dd>
            <span>
              Tx{" "}
              <span className={styles.address} title={token.deploy_tx}>
                {shortHex(token.deploy_tx)}
              </span>{" "}
              in block {token.deploy_block}
            </span>
          </dd>
        </div>
        <div>
          <dt>Offer document</dt>
          <dd>
            {documentHref ? (
              <a href={documentHref} target="_blank" rel="noopener noreferrer" title={token.offer_document_hash}>
                {shortHex(token.offer_document_hash)}
              </a>
            ) : (
              documentHash
            )}
            <span className="muted">SHA-256 of the term sheet</span>
          </dd>
        </div>
      </dl>
    </Panel>
  );
}

/** "Not tokenized", and, on a listed bond, the admin's button that tokenizes it after a confirmation. */
function NotTokenized({ instrument }: { instrument: Instrument }) {
  const me = useMe();
  const tokenize = useTokenize(instrument.id);
  const [confirming, setConfirming] = useState(false);
  const canTokenize = hasRole(me.data, "admin") && instrument.status === "listed";
  return (
    <section className={`panel ${styles.wide} ${styles.line}`} aria-label="Token">
      <p className="muted">Not tokenized</p>
      {canTokenize && (
        <button type="button" className="primary" onClick={() => setConfirming(true)}>
          Tokenize
        </button>
      )}
      {confirming && (
        <ConfirmDialog
          title={`Tokenize ${instrument.isin}?`}
          confirmLabel="Tokenize"
          pending={tokenize.isPending}
          error={tokenize.error}
          onConfirm={() => tokenize.mutate(undefined, { onSuccess: () => setConfirming(false) })}
          onClose={() => setConfirming(false)}
        >
          <p>
            <strong>{instrument.name}</strong> ({instrument.isin})
          </p>
          <p>
            This deploys the bond's permissioned token on the venue's chain and mints every holder the units the
            ledger says they hold. It cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
