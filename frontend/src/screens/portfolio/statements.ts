import { z } from "zod";
import { daysInclusive, parseIsoDate } from "../../lib/dates";

/** The longest period one statement covers (the API's MAX_STATEMENT_DAYS). */
export const MAX_STATEMENT_DAYS = 366;

export type StatementFormat = "pdf" | "csv";

const isoDate = z.string().min(1, "Choose a date.").refine((value) => parseIsoDate(value) !== null, "Not a date.");

/** The statement form's rules, mirroring the API: from ≤ to ≤ today, at most a year. */
export function statementSchema(todayIso: string) {
  return z
    .object({ from: isoDate, to: isoDate })
    .refine((period) => period.to <= todayIso, {
      path: ["to"],
      message: "A statement cannot end after today.",
      abort: true,
    })
    .refine((period) => period.from <= period.to, {
      path: ["from"],
      message: "Start on or before the end date.",
      abort: true,
    })
    .refine((period) => daysInclusive(period.from, period.to) <= MAX_STATEMENT_DAYS, {
      path: ["from"],
      message: `One statement covers at most ${MAX_STATEMENT_DAYS} days.`,
    });
}

export type StatementPeriod = z.infer<ReturnType<typeof statementSchema>>;

/** The statement's download path and file name. */
export function statementFile(period: StatementPeriod, format: StatementFormat): { path: string; filename: string } {
  const query = new URLSearchParams({ from: period.from, to: period.to, format });
  return {
    path: `/api/v1/portfolio/statements?${query}`,
    filename: `liquibond-statement-${period.from}-${period.to}.${format}`,
  };
}
