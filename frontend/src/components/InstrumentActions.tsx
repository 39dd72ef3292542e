import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import type { Instrument } from "../lib/instruments";
import { ConfirmDialog, type ReasonPolicy } from "./ConfirmDialog";
import styles from "./InstrumentActions.module.css";
import { ErrorState } from "./States";

type InstrumentStatus = Instrument["status"];

/** A lifecycle step the API exposes as POST /instruments/{id}/{action}. */
export type LifecycleAction = "submit" | "approve" | "reject" | "suspend" | "resume" | "delist";

/** Everything an action bar can do: lifecycle steps and the kill switch. */
export type InstrumentCommand = LifecycleAction | "cancel-all";

interface CommandSpec {
  label: string;
  /** Statuses the command applies to (the server's transition table). */
  from: readonly InstrumentStatus[];
  /** Null: no confirmation (the step is neither destructive nor irreversible). */
  confirm: { title: string; explain: string; reason: ReasonPolicy; danger: boolean } | null;
  done: string;
}

const COMMANDS: Record<InstrumentCommand, CommandSpec> = {
  submit: { label: "Submit for approval", from: ["draft"], confirm: null, done: "submitted for approval" },
  approve: {
    label: "Approve",
    from: ["pending_approval"],
    confirm: {
      title: "Approve and list",
      explain: "Listing opens trading and mints the whole issue to the issuer. It cannot be undone.",
      reason: "optional",
      danger: false,
    },
    done: "approved and listed",
  },
  reject: {
    label: "Reject",
    from: ["pending_approval"],
    confirm: {
      title: "Reject the submission",
      explain: "The bond goes back to its issuer as a draft, with your reason.",
      reason: "required",
      danger: true,
    },
    done: "sent back to draft",
  },
  suspend: {
    label: "Suspend",
    from: ["listed"],
    confirm: {
      title: "Suspend trading",
      explain: "Trading halts until the bond is resumed. Open orders stay on the book unless you cancel them.",
      reason: "required",
      danger: true,
    },
    done: "suspended",
  },
  resume: {
    label: "Resume",
    from: ["suspended"],
    confirm: { title: "Resume trading", explain: "Trading reopens at once.", reason: "optional", danger: false },
    done: "resumed",
  },
  delist: {
    label: "Delist",
    from: ["listed", "suspended"],
    confirm: {
      title: "Delist the bond",
      explain: "Delisting ends trading for good. It cannot be undone.",
      reason: "required",
      danger: true,
    },
    done: "delisted",
  },
  "cancel-all": {
    label: "Cancel all orders",
    from: ["listed", "suspended"],
    confirm: {
      title: "Cancel every open order",
      explain: "The kill switch cancels every open order in this bond's book, of every participant.",
      reason: "none",
      danger: true,
    },
    done: "",
  },
};

/** The commands an admin may take on instruments. */
export const ADMIN_COMMANDS: readonly InstrumentCommand[] = ["approve", "reject", "suspend", "resume", "delist", "cancel-all"];

/** Run one command; lifecycle steps answer the instrument, the kill switch the cancelled orders. */
async function runCommand(instrumentId: string, command: InstrumentCommand, reason: string | undefined): Promise<string> {
  const path = { params: { path: { instrument_id: instrumentId } } };
  if (command === "cancel-all") {
    const { cancelled } = await unwrap(api.POST("/api/v1/instruments/{instrument_id}/orders/cancel-all", path));
    return cancelled.length === 1 ? "1 order cancelled" : `${cancelled.length} orders cancelled`;
  }
  // Every lifecycle route has the same shape (StatusChange in, InstrumentOut out).
  const route = `/api/v1/instruments/{instrument_id}/${command}` as "/api/v1/instruments/{instrument_id}/approve";
  const instrument = await unwrap(api.POST(route, { ...path, body: reason ? { reason } : null }));
  return `${instrument.isin} ${COMMANDS[command].done}`;
}

/**
 * The buttons for the commands that apply to an instrument in its current status, each confirmed
 * (with a reason where the server requires one) when consequential, and the outcome.
 */
export function InstrumentActions({ instrument, commands }: { instrument: Instrument; commands: readonly InstrumentCommand[] }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState<InstrumentCommand | null>(null);
  const mutation = useMutation({
    mutationFn: ({ command, reason }: { command: InstrumentCommand; reason: string | undefined }) =>
      runCommand(instrument.id, command, reason),
    onSuccess: () => {
      setConfirming(null);
      void queryClient.invalidateQueries({ queryKey: ["instruments"] });
      void queryClient.invalidateQueries({ queryKey: ["admin", "audit"] });
    },
  });
  const available = commands.filter((command) => COMMANDS[command].from.includes(instrument.status));
  const spec = confirming ? COMMANDS[confirming] : null;

  function start(command: InstrumentCommand) {
    mutation.reset();
    if (COMMANDS[command].confirm) setConfirming(command);
    else mutation.mutate({ command, reason: undefined });
  }

  return (
    <div className={styles.actions}>
      {available.map((command) => (
        <button
          key={command}
          type="button"
          className={command === "submit" ? "primary" : undefined}
          onClick={() => start(command)}
          disabled={mutation.isPending}
        >
          {COMMANDS[command].label}
        </button>
      ))}
      {mutation.isSuccess && (
        <span className="notice notice-success" role="status">
          {mutation.data}
        </span>
      )}
      {mutation.isError && !confirming && <ErrorState error={mutation.error} />}
      {confirming && spec?.confirm && (
        <ConfirmDialog
          title={`${spec.confirm.title}: ${instrument.isin}?`}
          reason={spec.confirm.reason}
          danger={spec.confirm.danger}
          pending={mutation.isPending}
          error={mutation.error}
          onConfirm={(reason) => mutation.mutate({ command: confirming, reason })}
          onClose={() => setConfirming(null)}
        >
          <p>
            <strong>{instrument.name}</strong> ({instrument.isin})
          </p>
          <p>{spec.confirm.explain}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
