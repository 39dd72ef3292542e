import type { FormEvent, ReactNode } from "react";
import { humanize } from "../lib/format";
import { Field } from "./Field";
import styles from "./FilterBar.module.css";

/** A search form of filters above a list; without `onSubmit` the filters apply as they change. */
export function FilterBar({ onSubmit, children }: { onSubmit?: (event: FormEvent<HTMLFormElement>) => void; children: ReactNode }) {
  return (
    <form className={styles.filters} role="search" noValidate onSubmit={onSubmit ?? ((event) => event.preventDefault())}>
      {children}
    </form>
  );
}

/** A filter choosing one of `options` ("" for any, named by `any`); options read as `optionLabel` says. */
export function FilterSelect<T extends string>({
  label,
  value,
  onChange,
  options,
  any,
  optionLabel = humanize,
}: {
  label: string;
  value: T | "";
  onChange: (value: T | "") => void;
  options: readonly T[];
  any: string;
  optionLabel?: (option: T) => string;
}) {
  return (
    <Field label={label}>
      <select value={value} onChange={(event) => onChange(event.target.value as T | "")}>
        <option value="">{any}</option>
        {options.map((option) => (
          <option key={option} value={option}>
            {optionLabel(option)}
          </option>
        ))}
      </select>
    </Field>
  );
}
