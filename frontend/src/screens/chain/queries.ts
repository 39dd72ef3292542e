/** The chain's data: the venue's network, a bond's token, my wallets, and tokenizing a bond. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type components } from "../../api/client";
import { ApiProblem } from "../../api/problem";
import { useIdempotentMutation, withIdempotencyKey } from "../../lib/idempotency";
import { isChainOff } from "./chain";

export type Network = components["schemas"]["NetworkOut"];
export type Token = components["schemas"]["TokenOut"];
export type Wallet = components["schemas"]["WalletOut"];

/** Query keys of the chain: everything under `all`, so one invalidation refreshes every panel. */
export const chainKeys = {
  all: ["chain"] as const,
  network: ["chain", "network"] as const,
  token: (instrumentId: string) => ["chain", "token", instrumentId] as const,
  wallets: ["chain", "wallets"] as const,
};

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
