import type { ReactNode } from "react";
import { Field } from "../../components/Field";
import { useInstrumentList } from "../../lib/instruments";
import { rangeError, type CommonFilters } from "./filters";
import styles from "./History.module.css";

/** The instrument and date-range filters of a history list, plus the list's own (`children`). */
export function HistoryFilters<F extends CommonFilters>({
  label,
  value,
  onChange,
  onClear,
  children,
}: {
  label: string;
  value: F;
  onChange: (next: F) => void;
  onClear: () => void;
  children?: ReactNode;
}) {
  const instruments = useInstrumentList();
  const set = (patch: Partial<CommonFilters>) => onChange({ ...value, ...patch });
  return (
    <fieldset className={styles.filters}>
      <legend className={styles.legend}>{label}</legend>
      <Field label="Instrument">
        <select value={value.instrumentId} onChange={(event) => set({ instrumentId: event.target.value })}>
          <option value="">All instruments</option>
          {instruments.isError && <option disabled>Could not load the instruments</option>}
          {instruments.data?.map((instrument) => (
            <option key={instrument.id} value={instrument.id}>
              {instrument.name} ({instrument.isin})
            </option>
          ))}
        </select>
      </Field>
      {children}
      <Field label="From date" error={rangeError(value)}>
        <input
          type="date"
          value={value.from}
          max={value.to || undefined}
          onChange={(event) => set({ from: event.target.value })}
        />
      </Field>
      <Field label="To date">
        <input
          type="date"
          value={value.to}
          min={value.from || undefined}
          onChange={(event) => set({ to: event.target.value })}
        />
      </Field>
      <div className={styles.clear}>
        <button type="button" onClick={onClear}>
          Clear filters
        </button>
      </div>
    </fieldset>
  );
}
