import type { Key, ReactNode } from "react";

/** A column heading; `num` right-aligns a column of figures. */
export interface Heading {
  header: ReactNode;
  num?: boolean;
  /** The heading cell's class (besides `num`). */
  headerClassName?: string;
}

/** A column of a `DataTable`: its heading and what each row shows in it. */
export interface Column<T> extends Heading {
  cell: (row: T) => ReactNode;
  /** The cell's class (besides `num`), fixed or by row. */
  className?: string | ((row: T) => string | undefined);
  /** The column names its rows (`<th scope="row">`, reading as data). */
  rowHeader?: boolean;
}

interface Frame {
  /** A visible caption above the table. */
  caption?: ReactNode;
  /** The table's accessible name when it has no caption. */
  label?: string;
  /** The id of the heading that names the table, instead of `label`. */
  labelledBy?: string;
  /** The id of what describes the table (a note under it). */
  describedBy?: string;
  className?: string | undefined;
  /** A class for the scrolling box around the table, besides `table-scroll`. */
  scrollClassName?: string | undefined;
  /** False for a table nested in another's row: no scrolling box of its own. */
  scroll?: boolean;
}

/** The class names given (undefined for none). */
const classes = (...names: (string | false | undefined)[]) => names.filter(Boolean).join(" ") || undefined;

/** A table's frame: its scrolling box, caption and column headings; the rows are the caller's `<tbody>`. */
export function Table({
  headings,
  caption,
  label,
  labelledBy,
  describedBy,
  className,
  scrollClassName,
  scroll = true,
  children,
}: Frame & { headings: readonly Heading[]; children: ReactNode }) {
  const table = (
    <table className={className} aria-label={label} aria-labelledby={labelledBy} aria-describedby={describedBy}>
      {caption && <caption className="table-caption">{caption}</caption>}
      <thead>
        <tr>
          {headings.map((heading, index) => (
            <th key={index} scope="col" className={classes(heading.num && "num", heading.headerClassName)}>
              {heading.header}
            </th>
          ))}
        </tr>
      </thead>
      {children}
    </table>
  );
  if (!scroll) return table;
  return <div className={scrollClassName ? `table-scroll ${scrollClassName}` : "table-scroll"}>{table}</div>;
}

/** A table whose every cell comes from its `columns`, one row per item of `rows`. */
export function DataTable<T>({
  columns,
  rows,
  rowKey,
  rowClassName,
  ...frame
}: Frame & {
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => Key;
  rowClassName?: (row: T) => string | undefined;
}) {
  return (
    <Table headings={columns} {...frame}>
      <tbody>
        {rows.map((row) => (
          <tr key={rowKey(row)} className={rowClassName?.(row)}>
            {columns.map((column, index) => {
              const own = typeof column.className === "function" ? column.className(row) : column.className;
              return column.rowHeader ? (
                <th key={index} scope="row" className={classes(column.num && "num", "row-header", own)}>
                  {column.cell(row)}
                </th>
              ) : (
                <td key={index} className={classes(column.num && "num", own)}>
                  {column.cell(row)}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
