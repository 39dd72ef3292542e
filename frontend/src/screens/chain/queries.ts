/** The chain's data: the venue's network, a bond's token, a trade's settlement, my wallets (and linking one), the breaks queue, tokenizing a bond, and my withdrawals to and deposits from linked wallets. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type components } from "../../api/client";
import { ApiProblem } from "../../api/problem";
import { BALANCES_KEY } from "../../lib/balances";
import { useIdempotentMutation, withIdempotencyKey } from "../../lib/idempotency";
import { isChainOff } from "./chain";
import { onTheWay, reportDeposit } from "./custody";
import { linkWallet, type Eip1193Provider } from "./metamask";

export type Network = components["schemas"]["NetworkOut"];
export type Token = components["schemas"]["TokenOut"];
export type Wallet = components["schemas"]["WalletOut"];
export type Settlement = components["schemas"]["SettlementOut"];
export type Breaks = components["schemas"]["BreaksOut"];
export type Break = components["schemas"]["BreakOut"];
export type TokenWithdrawal = components["schemas"]["TokenWithdrawalOut"];
export type TokenWithdrawalRequest = components["schemas"]["TokenWithdrawalRequest"];
export type TokenDeposit = components["schemas"]["TokenDepositOut"];
export type TokenDepositRequest = components["schemas"]["TokenDepositRequest"];

/** Query keys of the chain: everything under `all`, so one invalidation refreshes every panel. */
export const chainKeys = {
  all: ["chain"] as const,
  network: ["chain", "network"] as const,
  token: (instrumentId: string) => ["chain", "token", instrumentId] as const,
  wallets: ["chain", "wallets"] as const,
  settlement: (tradeId: string) => ["chain", "settlement", tradeId] as const,
  breaks: ["chain", "breaks"] as const,
  withdrawals: ["chain", "withdrawals"] as const,
  deposits: ["chain", "deposits"] as const,
};

/** How often a settlement still on its way (pending or submitted) is re-read. */
const SETTLING_POLL_MS = 5_000;
/** How long after a trade its leg may still be waiting for its instruction. */
const INSTRUCTION_WAIT_MS = 2 * 60_000;
/** How often my withdrawals are re-read while one is on its way to its wallet. */
const WITHDRAWAL_POLL_MS = 3_000;
/** How many of my latest withdrawals and deposits the wallet card lists. */
const CUSTODY_LIST_LIMIT = 20;

/** The answer of `read`, or null when the venue runs without a chain (503 `chain.off`). */
async function unlessChainOff<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (isChainOff(error)) return null;
    throw error;
  }
}

/** The venue's chain (GET /api/v1/chain); null when it runs without one. */
export function useNetwork() {
  return useQuery({
    queryKey: chainKeys.network,
    queryFn: () => unlessChainOff(() => unwrap(api.GET("/api/v1/chain"))),
    staleTime: 60_000,
  });
}

/** A bond's token (GET /api/v1/instruments/{id}/token); null while it is not tokenized. */
export function useToken(instrumentId: string, { enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: chainKeys.token(instrumentId),
    queryFn: async (): Promise<Token | null> => {
      try {
        return await unwrap(
          api.GET("/api/v1/instruments/{instrument_id}/token", { params: { path: { instrument_id: instrumentId } } }),
        );
      } catch (error) {
        if (error instanceof ApiProblem && error.status === 404) return null;
        throw error;
      }
    },
    enabled,
  });
}

/** Whether the bond is tokenized on the venue's chain (false while unknown, or without a chain). */
export function useTokenized(instrumentId: string): boolean {
  const network = useNetwork();
  const token = useToken(instrumentId, { enabled: Boolean(network.data) });
  return Boolean(network.data && token.data);
}

/**
 * A trade's token leg on chain (GET /api/v1/trades/{id}/settlement); null when it has none (404:
 * the bond is not tokenized, or the leg is not instructed yet) or the venue runs without a chain.
 * Re-read every few seconds while it is settling, and while a trade made in the last minutes (at
 * `tradedAt`) has none yet: its leg is instructed shortly after the trade.
 */
export function useSettlement(tradeId: string, tradedAt?: string) {
  return useQuery({
    queryKey: chainKeys.settlement(tradeId),
    queryFn: () =>
      unlessChainOff(async (): Promise<Settlement | null> => {
        try {
          return await unwrap(api.GET("/api/v1/trades/{trade_id}/settlement", { params: { path: { trade_id: tradeId } } }));
        } catch (error) {
          if (error instanceof ApiProblem && error.status === 404) return null;
          throw error;
        }
      }),
    refetchInterval: (query) => {
      const settlement = query.state.data;
      if (settlement === null) {
        const young = tradedAt !== undefined && Date.now() - Date.parse(tradedAt) < INSTRUCTION_WAIT_MS;
        return young ? SETTLING_POLL_MS : false;
      }
      return settlement?.status === "pending" || settlement?.status === "submitted" ? SETTLING_POLL_MS : false;
    },
  });
}

/** The breaks queue (admins and compliance; GET /api/v1/chain/breaks); null without a chain. */
export function useBreaks() {
  return useQuery({
    queryKey: chainKeys.breaks,
    queryFn: () => unlessChainOff(() => unwrap(api.GET("/api/v1/chain/breaks"))),
  });
}

/**
 * What admins do with a failed settlement (retry-safe), then re-read the chain: `retry` puts it back
 * for the next run; `unwind` reverses the trade in the ledger (cash to the buyer, units to the seller).
 */
export function useSettlementAction(action: "retry" | "unwind") {
  const queryClient = useQueryClient();
  return useIdempotentMutation(
    (tradeId: string, keyFor) =>
      unwrap(
        api.POST(`/api/v1/chain/settlements/{trade_id}/${action}`, {
          params: { path: { trade_id: tradeId }, ...withIdempotencyKey(keyFor({ trade_id: tradeId, action })) },
        }),
      ),
    {
      onSuccess: (settlement) => {
        queryClient.setQueryData(chainKeys.settlement(settlement.trade_id), settlement);
        void queryClient.invalidateQueries({ queryKey: ["admin", "audit"] });
        return queryClient.invalidateQueries({ queryKey: chainKeys.all });
      },
    },
  );
}

/** Deposits that brought more than their sender had withdrawn (admins and compliance); null without a chain. */
export function useFlaggedDeposits() {
  return useQuery({
    queryKey: [...chainKeys.breaks, "deposits"],
    queryFn: () => unlessChainOff(() => unwrap(api.GET("/api/v1/chain/deposits/flagged"))),
  });
}

/** Reconcile every wallet with the ledger now (admins; retry-safe): the breaks still open after it. */
export function useReconcile() {
  const queryClient = useQueryClient();
  return useIdempotentMutation(
    (_: void, keyFor) => unwrap(api.POST("/api/v1/chain/reconcile", { params: withIdempotencyKey(keyFor({})) })),
    {
      onSuccess: (open) => {
        queryClient.setQueryData<Breaks | null>(chainKeys.breaks, (held) => (held ? { ...held, reconciliation: open } : held));
        void queryClient.invalidateQueries({ queryKey: ["admin", "audit"] });
        return queryClient.invalidateQueries({ queryKey: chainKeys.all });
      },
    },
  );
}

/** My wallets (GET /api/v1/wallets); null when the venue runs without a chain. */
export function useMyWallets() {
  return useQuery({
    queryKey: chainKeys.wallets,
    queryFn: () => unlessChainOff(() => unwrap(api.GET("/api/v1/wallets"))),
  });
}

/** Tokenize a listed bond (admins; POST /api/v1/instruments/{id}/tokenize, retry-safe), then re-read the chain. */
export function useTokenize(instrumentId: string) {
  const queryClient = useQueryClient();
  return useIdempotentMutation(
    (_: void, keyFor) =>
      unwrap(
        api.POST("/api/v1/instruments/{instrument_id}/tokenize", {
          params: { path: { instrument_id: instrumentId }, ...withIdempotencyKey(keyFor({ instrument_id: instrumentId })) },
        }),
      ),
    {
      onSuccess: (token) => {
        queryClient.setQueryData(chainKeys.token(instrumentId), token);
        return queryClient.invalidateQueries({ queryKey: chainKeys.all });
      },
    },
  );
}

/**
 * Link a wallet I hold myself through its provider (MetaMask): it shares an account, the venue
 * writes the Sign-In with Ethereum message, the wallet signs it and the venue links the wallet
 * (retry-safe); then my wallets are re-read.
 */
export function useLinkWallet() {
  const queryClient = useQueryClient();
  return useIdempotentMutation(
    (provider: Eip1193Provider, keyFor) =>
      linkWallet(provider, {
        challenge: (address) =>
          unwrap(api.POST("/api/v1/wallets/siwe", { params: withIdempotencyKey(keyFor({ address })), body: { address } })),
        link: (body) => unwrap(api.POST("/api/v1/wallets/link", { params: withIdempotencyKey(keyFor(body)), body })),
      }),
    { onSuccess: () => queryClient.invalidateQueries({ queryKey: chainKeys.wallets }) },
  );
}

/** My latest withdrawals to linked wallets (GET /api/v1/wallets/withdrawals), re-read while one is on its way; null without a chain. */
export function useMyWithdrawals() {
  return useQuery({
    queryKey: chainKeys.withdrawals,
    queryFn: () =>
      unlessChainOff(() =>
        unwrap(api.GET("/api/v1/wallets/withdrawals", { params: { query: { limit: CUSTODY_LIST_LIMIT } } })),
      ),
    refetchInterval: (query) =>
      query.state.data?.items.some((withdrawal) => onTheWay(withdrawal.status)) ? WITHDRAWAL_POLL_MS : false,
  });
}

/** My latest deposits from linked wallets (GET /api/v1/wallets/deposits); null without a chain. */
export function useMyDeposits() {
  return useQuery({
    queryKey: chainKeys.deposits,
    queryFn: () =>
      unlessChainOff(() =>
        unwrap(api.GET("/api/v1/wallets/deposits", { params: { query: { limit: CUSTODY_LIST_LIMIT } } })),
      ),
  });
}

/** Withdraw units of a tokenized bond to a wallet I linked (retry-safe), then re-read my withdrawals and balances. */
export function useWithdrawTokens() {
  const queryClient = useQueryClient();
  return useIdempotentMutation(
    (body: TokenWithdrawalRequest, keyFor) =>
      unwrap(api.POST("/api/v1/wallets/withdrawals", { body, params: withIdempotencyKey(keyFor(body)) })),
    {
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: chainKeys.withdrawals }),
          queryClient.invalidateQueries({ queryKey: BALANCES_KEY }),
        ]),
    },
  );
}

/**
 * Report a transaction that sent tokens from a linked wallet to my custodial wallet (retry-safe),
 * asking again while the venue cannot see it yet; then re-read my deposits and balances.
 */
export function useDepositTokens() {
  const queryClient = useQueryClient();
  return useIdempotentMutation(
    (body: TokenDepositRequest, keyFor) =>
      reportDeposit(() =>
        unwrap(api.POST("/api/v1/wallets/deposits", { body, params: withIdempotencyKey(keyFor(body)) })),
      ),
    {
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: chainKeys.deposits }),
          queryClient.invalidateQueries({ queryKey: BALANCES_KEY }),
        ]),
    },
  );
}
