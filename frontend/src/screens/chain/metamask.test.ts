import { describe, expect, it, vi } from "vitest";
import { ApiProblem } from "../../api/problem";
import { injectedProvider, linkWallet, walletError, WalletError, type Eip1193Provider, type RequestArguments } from "./metamask";

const ADDRESS = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const MESSAGE = `localhost:5173 wants you to sign in with your Ethereum account:\n${ADDRESS}\n\nLink this wallet to Liquibond.`;
const SIGNATURE = `0x${"ab".repeat(65)}`;

/** A fake provider: answers each method from `answers` (a function throws its error), recording every request. */
function fakeProvider(answers: Record<string, unknown | (() => unknown)>) {
  const requests: RequestArguments[] = [];
  const provider: Eip1193Provider = {
    request: (args) => {
      requests.push(args);
      const answer = answers[args.method];
      try {
        return Promise.resolve(typeof answer === "function" ? (answer as () => unknown)() : answer);
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
  return { provider, requests };
}

/** The venue's steps, as spies. */
function fakeSteps() {
  return {
    challenge: vi.fn((address: string) => Promise.resolve({ message: MESSAGE.replace(ADDRESS, address) })),
    link: vi.fn((body: { message: string; signature: string }) => Promise.resolve({ address: ADDRESS, custody: "linked", ...body })),
  };
}

/** An EIP-1193 provider error. */
const rpcError = (code: number, message: string) => Object.assign(new Error(message), { code });

describe("linkWallet", () => {
  it("asks for the account, signs the venue's message as written and posts the signature it got", async () => {
    const { provider, requests } = fakeProvider({ eth_requestAccounts: [ADDRESS, "0x0000000000000000000000000000000000000001"], personal_sign: SIGNATURE });
    const steps = fakeSteps();

    const wallet = await linkWallet(provider, steps);

    expect(requests).toEqual([
      { method: "eth_requestAccounts" },
      { method: "personal_sign", params: [MESSAGE, ADDRESS] },
    ]);
    expect(steps.challenge).toHaveBeenCalledExactlyOnceWith(ADDRESS);
    expect(steps.link).toHaveBeenCalledExactlyOnceWith({ message: MESSAGE, signature: SIGNATURE });
    expect(wallet).toMatchObject({ address: ADDRESS, custody: "linked" });
  });

  it("says a refusal to share an account is the user's", async () => {
    const { provider } = fakeProvider({ eth_requestAccounts: () => { throw rpcError(4001, "User rejected the request."); } });
    const steps = fakeSteps();

    const failure = linkWallet(provider, steps);

    await expect(failure).rejects.toBeInstanceOf(WalletError);
    await expect(failure).rejects.toThrow("You declined in MetaMask");
    expect(steps.challenge).not.toHaveBeenCalled();
  });

  it("says a refusal to sign is the user's, and links nothing", async () => {
    const { provider, requests } = fakeProvider({
      eth_requestAccounts: [ADDRESS],
      personal_sign: () => { throw { code: 4001, message: "MetaMask Tx Signature: User denied message signature." }; },
    });
    const steps = fakeSteps();

    await expect(linkWallet(provider, steps)).rejects.toThrow("You declined in MetaMask");
    expect(requests.map((request) => request.method)).toEqual(["eth_requestAccounts", "personal_sign"]);
    expect(steps.challenge).toHaveBeenCalledOnce();
    expect(steps.link).not.toHaveBeenCalled();
  });

  it("stops when the wallet shares no account or answers no signature", async () => {
    await expect(linkWallet(fakeProvider({ eth_requestAccounts: [] }).provider, fakeSteps())).rejects.toThrow("MetaMask shared no account");
    const unsigned = fakeProvider({ eth_requestAccounts: [ADDRESS], personal_sign: null });
    const steps = fakeSteps();
    await expect(linkWallet(unsigned.provider, steps)).rejects.toThrow("MetaMask answered no signature.");
    expect(steps.link).not.toHaveBeenCalled();
  });

  it("lets the venue's problems through as they are", async () => {
    const { provider } = fakeProvider({ eth_requestAccounts: [ADDRESS], personal_sign: SIGNATURE });
    const taken = new ApiProblem(409, "chain.wallet_taken", "This wallet is linked to another account.");
    const steps = { ...fakeSteps(), link: vi.fn(() => Promise.reject(taken)) };

    await expect(linkWallet(provider, steps)).rejects.toBe(taken);
  });
});

describe("walletError", () => {
  it("says what the wallet reported", () => {
    expect(walletError({ code: 4001, message: "User rejected" }).message).toBe("You declined in MetaMask");
    expect(walletError({ code: -32002, message: "Already processing" }).message).toBe("MetaMask is already asking you: open it to answer.");
    expect(walletError(rpcError(-32603, "Internal JSON-RPC error.")).message).toBe("MetaMask: Internal JSON-RPC error.");
    expect(walletError(undefined).message).toBe("MetaMask could not do it.");
    expect(walletError({ code: 4001 }).code).toBe(4001);
  });
});

describe("injectedProvider", () => {
  it("finds an injected provider, and nothing else", () => {
    const ethereum = { request: () => Promise.resolve(null) };
    expect(injectedProvider({ ethereum })).toBe(ethereum);
    expect(injectedProvider({})).toBeNull();
    expect(injectedProvider({ ethereum: { isMetaMask: true } })).toBeNull();
    expect(injectedProvider(null)).toBeNull();
    expect(injectedProvider()).toBeNull();
  });
});
