import { zodResolver } from "@hookform/resolvers/zod";
import { Link } from "@tanstack/react-router";
import { useMemo } from "react";
import { useForm } from "react-hook-form";
import { Field } from "../../components/Field";
import { ErrorNotice, QueryState } from "../../components/States";
import { TradesTable } from "../../components/TradesTable";
import { startOfMonth, today } from "../../lib/dates";
import { useDownload } from "../../lib/download";
import { useFormProblem } from "../../lib/formProblem";
import { useRecentTrades } from "./queries";
import { statementFile, statementSchema, type StatementFormat, type StatementPeriod } from "./statements";
import styles from "./Portfolio.module.css";

const RECENT_TRADES = 10;

/** Statements for a chosen period (PDF or CSV) and the contract notes of my latest trades. */
export function StatementsPanel() {
  return (
    <section aria-labelledby="statements-heading">
      <h2 id="statements-heading">Statements</h2>
      <StatementForm />
      <h3>Contract notes</h3>
      <RecentContractNotes />
    </section>
  );
}

/** Choose a period and download its statement. */
function StatementForm() {
  const todayIso = today();
  const schema = useMemo(() => statementSchema(todayIso), [todayIso]);
  const form = useForm<StatementPeriod>({
    resolver: zodResolver(schema),
    defaultValues: { from: startOfMonth(todayIso), to: todayIso },
  });
  const fetchFile = useDownload();
  const problem = useFormProblem(form.setError, ["from", "to"]);
  const { errors } = form.formState;

  const submit = (format: StatementFormat) =>
    form.handleSubmit((period) => {
      problem.clear();
      fetchFile.mutate(statementFile(period, format), { onError: problem.show });
    });

  return (
    <form className={`panel ${styles.statementForm}`} onSubmit={submit("pdf")} noValidate aria-label="Statement period">
      <div className={`form-row ${styles.topAligned}`}>
        <Field label="From date" error={errors.from?.message}>
          <input type="date" max={todayIso} {...form.register("from")} />
        </Field>
        <Field label="To date" error={errors.to?.message} hint="At most a year, ending today or earlier.">
          <input type="date" max={todayIso} {...form.register("to")} />
        </Field>
      </div>
      <div className={styles.actions}>
        <button type="submit" className="primary" disabled={fetchFile.isPending}>
          Download statement (PDF)
        </button>
        <button type="button" onClick={submit("csv")} disabled={fetchFile.isPending}>
          Download statement (CSV)
        </button>
      </div>
      <ErrorNotice message={problem.message} />
    </form>
  );
}

/** My latest trades, each with its contract note. */
function RecentContractNotes() {
  const trades = useRecentTrades(RECENT_TRADES);
  return (
    <QueryState
      query={trades}
      isEmpty={(page) => page.items.length === 0}
      empty={
        <>
          No trades yet. Every trade gets a contract note; buy a bond on the <Link to="/markets">Markets</Link> page.
        </>
      }
    >
      {(page) => (
        <>
          <TradesTable trades={page.items} label="Contract notes" />
          <p className="muted">
            Older trades and their notes are under <Link to="/history">Orders &amp; trades</Link>.
          </p>
        </>
      )}
    </QueryState>
  );
}
