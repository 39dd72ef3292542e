import { DataTable, type Column } from "../../components/DataTable";
import { Panel } from "../../components/Panel";
import { QueryState } from "../../components/States";
import { useBalances } from "../../lib/balances";
import { formatMoney } from "../../lib/decimal";
import { assetRows, type AssetRow, type Bucket } from "./funds";

const BUCKETS: readonly { bucket: Bucket; label: string }[] = [
  { bucket: "available", label: "Available" },
  { bucket: "locked", label: "Reserved for orders" },
  { bucket: "escrow", label: "In escrow" },
  { bucket: "pending_withdrawal", label: "Being withdrawn" },
  { bucket: "settling", label: "Settling on chain" },
  { bucket: "self_custody", label: "In my own wallet" },
];
const CURRENCY_CODE = /^[A-Z]{3}$/;

/** The currency of an asset row (undefined for bond units). */
const currencyOf = (row: AssetRow) => (CURRENCY_CODE.test(row.asset) ? row.asset : undefined);

const COLUMNS: readonly Column<AssetRow>[] = [
  { header: "Asset", rowHeader: true, cell: (row) => <strong>{currencyOf(row) ? `Cash (${row.asset})` : `${row.asset} (units)`}</strong> },
  ...BUCKETS.map(
    ({ bucket, label }): Column<AssetRow> => ({
      header: label,
      num: true,
      cell: (row) => formatMoney(row.amounts.get(bucket) ?? 0n, row.scale, currencyOf(row)),
    }),
  ),
  { header: "Total", num: true, cell: (row) => <strong>{formatMoney(row.total, row.scale, currencyOf(row))}</strong> },
];

/** Cash (and any bond units) by bucket: what is free, reserved, in escrow or on its way out. */
export function BalancesPanel() {
  const balances = useBalances();
  return (
    <Panel title="Balances">
      <QueryState
        query={balances}
        isEmpty={(list) => assetRows(list).length === 0}
        empty="No balances yet: make a deposit to get started."
      >
        {(list) => <DataTable columns={COLUMNS} rows={assetRows(list)} rowKey={(row) => row.asset} />}
      </QueryState>
    </Panel>
  );
}
