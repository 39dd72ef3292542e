/**
 * Linking a wallet the user holds (MetaMask, or any EIP-1193 provider): the provider shares an
 * account, the venue writes the Sign-In with Ethereum message for it, the provider signs it
 * (`personal_sign`) and the venue links the wallet. Pure of React and of the API client, so it
 * runs against a fake provider in tests.
 */

/** What an EIP-1193 `request` takes. */
export interface RequestArguments {
  readonly method: string;
  readonly params?: readonly unknown[];
}

/** The little of an EIP-1193 provider (MetaMask's `window.ethereum`) the link needs. */
export interface Eip1193Provider {
  request(args: RequestArguments): Promise<unknown>;
}

/** What the venue does in the flow: write the message for an address, then link the signed message. */
export interface LinkSteps<TWallet> {
  challenge(address: string): Promise<{ message: string }>;
  link(body: { message: string; signature: string }): Promise<TWallet>;
}

/** EIP-1193: the user rejected the request. */
export const USER_REJECTED = 4001;
/** EIP-1474: a request of the same kind is already waiting in the wallet. */
const REQUEST_PENDING = -32002;

/** The browser's injected provider (`window.ethereum`), or null when there is none. */
export function injectedProvider(scope: unknown = globalThis): Eip1193Provider | null {
  const candidate = (scope as { ethereum?: unknown } | null | undefined)?.ethereum;
  return isProvider(candidate) ? candidate : null;
}

function isProvider(value: unknown): value is Eip1193Provider {
  return typeof value === "object" && value !== null && typeof (value as { request?: unknown }).request === "function";
}

/** A problem the wallet reported, said for the user. */
export class WalletError extends Error {
  readonly code: number | null;

  constructor(message: string, code: number | null = null) {
    super(message);
    this.name = "WalletError";
    this.code = code;
  }
}

/** The error code of a provider's error (EIP-1193 `ProviderRpcError`), if it has one. */
function providerCode(error: unknown): number | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : null;
}

/** A provider's error as a `WalletError` the user can read. */
export function walletError(error: unknown): WalletError {
  if (error instanceof WalletError) return error;
  const code = providerCode(error);
  if (code === USER_REJECTED) return new WalletError("You declined in MetaMask", code);
  if (code === REQUEST_PENDING) return new WalletError("MetaMask is already asking you: open it to answer.", code);
  const message = (error as { message?: unknown } | null)?.message;
  return new WalletError(typeof message === "string" && message ? `MetaMask: ${message}` : "MetaMask could not do it.", code);
}

/** Send one request to the provider, its errors said for the user. */
async function ask(provider: Eip1193Provider, method: string, params?: readonly unknown[]): Promise<unknown> {
  try {
    return await provider.request(params ? { method, params } : { method });
  } catch (error) {
    throw walletError(error);
  }
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const SIGNATURE = /^0x[0-9a-fA-F]+$/;

/**
 * Link the provider's account: `eth_requestAccounts`, the venue's message for the first account,
 * `personal_sign` of that message exactly as written, and the signed message sent to link it.
 * Errors of the provider throw as `WalletError`; the venue's problems pass through as they are.
 */
export async function linkWallet<TWallet>(provider: Eip1193Provider, steps: LinkSteps<TWallet>): Promise<TWallet> {
  const accounts = await ask(provider, "eth_requestAccounts");
  const address = Array.isArray(accounts) ? accounts[0] : undefined;
  if (typeof address !== "string" || !ADDRESS.test(address)) {
    throw new WalletError("MetaMask shared no account: unlock it and choose one.");
  }
  const { message } = await steps.challenge(address);
  const signature = await ask(provider, "personal_sign", [message, address]);
  if (typeof signature !== "string" || !SIGNATURE.test(signature)) {
    throw new WalletError("MetaMask answered no signature.");
  }
  return steps.link({ message, signature });
}

/** A transfer of a token from a wallet the user holds: the venue's chain, the token, the receiver and the units. */
export interface TokenTransfer {
  chainId: number;
  token: string;
  to: string;
  units: number;
  /** The wallets the user linked: the transfer must come from one of them. */
  from: readonly string[];
}

/** ERC-20 `transfer(address,uint256)`'s selector. */
const TRANSFER_SELECTOR = "0xa9059cbb";
const TX_HASH = /^0x[0-9a-fA-F]{64}$/;

/** The call data of an ERC-20 `transfer(to, units)`. */
export function transferData(to: string, units: number): string {
  if (!ADDRESS.test(to)) throw new RangeError(`not an address: ${to}`);
  if (!Number.isSafeInteger(units) || units <= 0) throw new RangeError(`not a number of units: ${units}`);
  const word = (hex: string) => hex.padStart(64, "0");
  return `${TRANSFER_SELECTOR}${word(to.slice(2).toLowerCase())}${word(units.toString(16))}`;
}

/**
 * Send an ERC-20 `transfer` with the provider (MetaMask): from the first account it shares that is
 * one of the linked wallets, on the venue's chain; the transaction's hash once the wallet sent it.
 * Errors of the provider, an account that is not linked or another chain throw as `WalletError`.
 */
export async function sendTokenTransfer(provider: Eip1193Provider, transfer: TokenTransfer): Promise<string> {
  const data = transferData(transfer.to, transfer.units);
  const accounts = await ask(provider, "eth_requestAccounts");
  const linked = new Set(transfer.from.map((wallet) => wallet.toLowerCase()));
  const from = Array.isArray(accounts)
    ? accounts.find((account): account is string => typeof account === "string" && linked.has(account.toLowerCase()))
    : undefined;
  if (!from) throw new WalletError("MetaMask shares no wallet you linked: switch to one of them.");
  const chainId = await ask(provider, "eth_chainId");
  if (typeof chainId !== "string" || Number.parseInt(chainId, 16) !== transfer.chainId) {
    throw new WalletError(`MetaMask is on another chain: switch it to chain ${transfer.chainId}.`);
  }
  const hash = await ask(provider, "eth_sendTransaction", [{ from, to: transfer.token, data }]);
  if (typeof hash !== "string" || !TX_HASH.test(hash)) throw new WalletError("MetaMask answered no transaction.");
  return hash;
}
