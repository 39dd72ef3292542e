import { describe, expect, it, vi } from "vitest";
import { ApiProblem } from "../../api/problem";
import { depositText, onTheWay, parseTxHash, parseUnits, reportDeposit, unitsIn, withdrawalState } from "./custody";
import { sendTokenTransfer, transferData, WalletError, type Eip1193Provider, type RequestArguments } from "./metamask";

const TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const CUSTODIAL = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const LINKED = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const OTHER = "0x0000000000000000000000000000000000000001";
const HASH = `0x${"ab".repeat(32)}`;

describe("parseUnits", () => {
  it("reads a whole number of units, within what is available", () => {
    expect(parseUnits(" 1,500 ")).toEqual({ units: 1500 });
    expect(parseUnits("300", 300)).toEqual({ units: 300 });
  });

  it("says what is wrong", () => {
    expect(parseUnits("")).toEqual({ error: "Enter a whole number of units." });
    expect(parseUnits("1.5")).toEqual({ error: "Enter a whole number of units." });
    expect(parseUnits("-3")).toEqual({ error: "Enter a whole number of units." });
    expect(parseUnits("0")).toEqual({ error: "Enter at least 1 unit." });
    expect(parseUnits("301", 300)).toEqual({ error: "You have 300 units available." });
    expect(parseUnits("2", 1)).toEqual({ error: "You have 1 unit available." });
    expect(parseUnits("99999999999999999999")).toEqual({ error: "That is more units than any bond has." });
  });
});

describe("parseTxHash", () => {
  it("takes 0x and 64 hex digits, lower-cased", () => {
    expect(parseTxHash(` ${HASH.toUpperCase().replace("0X", "0x")} `)).toBe(HASH);
    expect(parseTxHash(HASH.slice(0, -1))).toBeNull();
    expect(parseTxHash(HASH.slice(2))).toBeNull();
    expect(parseTxHash(`${HASH.slice(0, -1)}g`)).toBeNull();
  });
});

describe("unitsIn", () => {
  it("finds a bond's units in a bucket of my balances", () => {
    const balances = [
      { asset: "IN0020220102", bucket: "available", balance: 700 },
      { asset: "IN0020220102", bucket: "self_custody", balance: 300 },
      { asset: "INR", bucket: "available", balance: 5 },
    ];
    expect(unitsIn(balances, "IN0020220102", "available")).toBe(700);
    expect(unitsIn(balances, "IN0020220102", "self_custody")).toBe(300);
    expect(unitsIn(balances, "IN0020230085", "available")).toBe(0);
  });
});

describe("withdrawal and deposit states", () => {
  it("says where a withdrawal is, and re-reads only one on its way", () => {
    expect(["pending", "submitted", "confirmed", "failed"].filter((s) => onTheWay(s as never))).toEqual(["pending", "submitted"]);
    expect(withdrawalState("confirmed")).toEqual({ text: "In your wallet", tone: "good" });
    expect(withdrawalState("failed").tone).toBe("bad");
  });

  it("says what a deposit brought back", () => {
    expect(depositText({ quantity: 100, credited: 100, status: "credited" })).toBe("100 units back in your balance");
    expect(depositText({ quantity: 1, credited: 1, status: "credited" })).toBe("1 unit back in your balance");
    expect(depositText({ quantity: 200, credited: 100, status: "flagged" })).toBe(
      "100 of 200 units back in your balance: the rest is more than you withdrew, and operations will look at it",
    );
  });
});

describe("reportDeposit", () => {
  const clock = () => {
    let time = 0;
    return { now: () => time, sleep: vi.fn((ms: number) => Promise.resolve(void (time += ms))) };
  };

  it("asks again while the venue cannot see the transaction yet", async () => {
    const answers = [
      new ApiProblem(422, "chain.deposit_unknown_tx", "Not mined"),
      new ApiProblem(409, "chain.deposit_unconfirmed", "Not confirmed"),
    ];
    const post = vi.fn(() => {
      const answer = answers.shift();
      return answer ? Promise.reject(answer) : Promise.resolve("credited");
    });
    const { now, sleep } = clock();

    await expect(reportDeposit(post, { intervalMs: 1_000, now, sleep })).resolves.toBe("credited");
    expect(post).toHaveBeenCalledTimes(3);
    expect(sleep).toHaveBeenCalledTimes(2);
  });

  it("gives up after the wait, and at once on any other answer", async () => {
    const notYet = new ApiProblem(422, "chain.deposit_unknown_tx", "Not mined");
    const { now, sleep } = clock();
    const never = vi.fn(() => Promise.reject(notYet));
    await expect(reportDeposit(never, { waitMs: 10_000, intervalMs: 3_000, now, sleep })).rejects.toBe(notYet);
    expect(never).toHaveBeenCalledTimes(4); // at 0, 3, 6 and 9 seconds

    const credited = new ApiProblem(409, "chain.deposit_already_credited", "Credited already");
    const once = vi.fn(() => Promise.reject(credited));
    await expect(reportDeposit(once, { now, sleep })).rejects.toBe(credited);
    expect(once).toHaveBeenCalledOnce();
  });
});

describe("transferData", () => {
  it("encodes an ERC-20 transfer as the ABI does", () => {
    // eth_abi: 0xa9059cbb ++ encode(["address", "uint256"], [TOKEN, 1500])
    expect(transferData(TOKEN, 1500)).toBe(
      "0xa9059cbb0000000000000000000000005fbdb2315678afecb367f032d93f642f64180aa3" +
        "00000000000000000000000000000000000000000000000000000000000005dc",
    );
  });

  it("refuses what is not an address or a number of units", () => {
    expect(() => transferData("0x12", 1)).toThrow(RangeError);
    expect(() => transferData(TOKEN, 0)).toThrow(RangeError);
    expect(() => transferData(TOKEN, 1.5)).toThrow(RangeError);
  });
});

describe("sendTokenTransfer", () => {
  function provider(answers: Record<string, unknown>) {
    const requests: RequestArguments[] = [];
    const wallet: Eip1193Provider = {
      request: (args) => {
        requests.push(args);
        const answer = answers[args.method];
        return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
      },
    };
    return { wallet, requests };
  }
  const transfer = { chainId: 31337, token: TOKEN, to: CUSTODIAL, units: 100, from: [LINKED] };

  it("sends the transfer from a linked wallet MetaMask shares, on the venue's chain", async () => {
    const { wallet, requests } = provider({
      eth_requestAccounts: [OTHER, LINKED.toLowerCase()],
      eth_chainId: "0x7a69",
      eth_sendTransaction: HASH,
    });

    await expect(sendTokenTransfer(wallet, transfer)).resolves.toBe(HASH);
    expect(requests.at(-1)).toEqual({
      method: "eth_sendTransaction",
      params: [{ from: LINKED.toLowerCase(), to: TOKEN, data: transferData(CUSTODIAL, 100) }],
    });
  });

  it("sends nothing from a wallet not linked, or on another chain", async () => {
    const unlinked = provider({ eth_requestAccounts: [OTHER], eth_chainId: "0x7a69", eth_sendTransaction: HASH });
    await expect(sendTokenTransfer(unlinked.wallet, transfer)).rejects.toThrow("MetaMask shares no wallet you linked");
    const elsewhere = provider({ eth_requestAccounts: [LINKED], eth_chainId: "0x1", eth_sendTransaction: HASH });
    await expect(sendTokenTransfer(elsewhere.wallet, transfer)).rejects.toThrow("switch it to chain 31337");
    for (const { requests } of [unlinked, elsewhere]) {
      expect(requests.map((request) => request.method)).not.toContain("eth_sendTransaction");
    }
  });

  it("says a refusal is the user's, and a missing hash the wallet's", async () => {
    const declined = provider({
      eth_requestAccounts: [LINKED],
      eth_chainId: "0x7a69",
      eth_sendTransaction: Object.assign(new Error("User denied transaction signature."), { code: 4001 }),
    });
    const failure = sendTokenTransfer(declined.wallet, transfer);
    await expect(failure).rejects.toBeInstanceOf(WalletError);
    await expect(failure).rejects.toThrow("You declined in MetaMask");
    const silent = provider({ eth_requestAccounts: [LINKED], eth_chainId: "0x7a69", eth_sendTransaction: null });
    await expect(sendTokenTransfer(silent.wallet, transfer)).rejects.toThrow("MetaMask answered no transaction.");
  });
});
