"""Statements and contract notes as documents: CSV and PDF (pure: data in, bytes out).

PDFs are laid out with fpdf2 from two templates (a landscape statement, a portrait contract
note) sharing one frame: the venue and the document's title and number at the top of every
page, numbered pages, and a disclaimer at the foot. fpdf2 ships only the PDF core fonts
(Latin-1), so amounts are written with the currency code ("INR 1,00,000.00", Indian digit
grouping for rupees) rather than a rupee sign, and other text is folded to Latin-1.

A contract note names the venue as the counterparty: trades on the book are anonymous, so
neither side ever learns who the other was. The client's own e-mail is masked.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from fpdf import FPDF, FontFace
from fpdf.enums import Align, TableBordersLayout, XPos, YPos

VENUE = "Liquibond"
VENUE_LINE = "Bond trading venue"
#: Who a client's trades are with, as every contract note says.
COUNTERPARTY = "Liquibond (the venue, as central counterparty)"
STATEMENT_DISCLAIMER = (
    "This statement is generated from the venue's records at the time shown. Values are "
    "clean amounts unless stated; coupons are shown gross, with the tax withheld at source. "
    "Please report any discrepancy within 30 days."
)
CONTRACT_NOTE_DISCLAIMER = (
    "This contract note confirms a trade executed on the Liquibond order book, which matches "
    "orders anonymously; the venue stands as counterparty to both sides. Settlement is "
    "delivery versus payment on the settlement date. Please report any discrepancy within 24 "
    "hours. Computer-generated document; no signature is required."
)
_FONT = "Helvetica"
_INK = (33, 37, 41)
_MUTED = (108, 117, 125)
_RULE = (173, 181, 189)
_SHADE = (233, 236, 239)


@dataclass(frozen=True, slots=True)
class Holder:
    """The client a document is for."""

    name: str
    client_id: str
    email: str


@dataclass(frozen=True, slots=True)
class ContractNote:
    """One side of one trade, confirmed."""

    number: str
    issued_at: datetime
    holder: Holder
    trade_id: str
    side: str  # "buy" or "sell"
    liquidity: str  # "maker" or "taker"
    isin: str
    name: str
    coupon_rate: Decimal  # percent
    maturity_date: date
    face_value: int  # minor units per unit
    quantity: int
    price: Decimal
    yield_percent: float | None
    trade_date: date
    traded_at: datetime  # market time
    settlement_date: date
    currency: str
    scale: int
    clean: int
    accrued: int
    fee: int

    @property
    def dirty(self) -> int:
        """Clean consideration plus accrued interest."""
        return self.clean + self.accrued

    @property
    def net(self) -> int:
        """What the client pays (a buy) or receives (a sale), fee included."""
        return self.dirty + self.fee if self.side == "buy" else self.dirty - self.fee


@dataclass(frozen=True, slots=True)
class PositionLine:
    """Units of one bond at the start and at the end of the period."""

    isin: str
    name: str
    face_value: int
    currency: str
    scale: int
    opening_units: int
    closing_units: int
    closing_cost: int  # clean FIFO cost of the closing units of known cost
    closing_units_without_cost: int


@dataclass(frozen=True, slots=True)
class TradeLine:
    """One of my trades in the period; `cash` is signed (a buy pays)."""

    trade_date: date
    settlement_date: date
    note_number: str
    isin: str
    side: str
    quantity: int
    price: Decimal
    clean: int
    accrued: int
    fee: int
    cash: int
    currency: str
    scale: int


@dataclass(frozen=True, slots=True)
class PayoutLine:
    """A coupon or redemption paid to me in the period."""

    payment_date: date
    record_date: date
    isin: str
    kind: str
    units: int
    gross: int
    tax: int
    net: int
    currency: str
    scale: int


@dataclass(frozen=True, slots=True)
class CashLine:
    """A cash movement other than a trade (deposits, withdrawals, coupons...)."""

    on: date
    kind: str
    description: str
    amount: int
    currency: str
    scale: int


@dataclass(frozen=True, slots=True)
class CashSummary:
    """One currency's cash over the period: opening, movements by kind, closing."""

    currency: str
    scale: int
    opening: int
    movements: tuple[tuple[str, int], ...]
    closing: int
    fees: int


@dataclass(frozen=True, slots=True)
class Statement:
    """Everything a period's statement shows."""

    number: str
    issued_at: datetime
    holder: Holder
    start: date
    end: date
    positions: Sequence[PositionLine]
    trades: Sequence[TradeLine]
    payouts: Sequence[PayoutLine]
    cash: Sequence[CashLine]
    summaries: Sequence[CashSummary]


# -- numbers and text ------------------------------------------------------------------------


def decimal_amount(amount: int, scale: int) -> str:
    """Minor units as a plain decimal: 1005000, 2 -> "10050.00"."""
    return f"{Decimal(amount).scaleb(-scale):.{scale}f}"


def _indian(digits: str) -> str:
    """Indian grouping of a whole number: 1234567 -> 12,34,567."""
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    groups = [head[max(0, end - 2) : end] for end in range(len(head), 0, -2)]
    return ",".join(reversed(groups)) + "," + tail


def money(amount: int, scale: int, currency: str | None = None) -> str:
    """A grouped amount (Indian grouping for rupees), with its currency code when given."""
    text = decimal_amount(abs(amount), scale)
    whole, _, fraction = text.partition(".")
    grouped = _indian(whole) if currency in (None, "INR") else f"{int(whole):,}"
    text = grouped + (f".{fraction}" if fraction else "")
    sign = "-" if amount < 0 else ""
    return f"{currency} {sign}{text}" if currency else f"{sign}{text}"


def price_text(price: Decimal) -> str:
    """A clean price with at least two decimals."""
    text = format(price.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def latin(text: str) -> str:
    """Text the PDF core fonts can show: the rupee sign spelled out, the rest folded to
    Latin-1 (what cannot be is replaced by "?")."""
    text = text.replace("\u20b9", "Rs.")
    folded = unicodedata.normalize("NFKC", text)
    return folded.encode("latin-1", "replace").decode("latin-1")


def mask_email(email: str) -> str:
    """The first character of the local part, then stars: a.person@x.in -> a*******@x.in."""
    local, at, domain = email.partition("@")
    if not at:
        return "*" * len(email)
    return local[:1] + "*" * max(len(local) - 1, 3) + "@" + domain


# -- CSV ---------------------------------------------------------------------------------------


def statement_csv(statement: Statement) -> str:
    """The statement as one CSV file of titled sections, separated by blank lines; amounts
    are plain decimals in their currency."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")

    def section(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows(rows)
        writer.writerow([])

    holder = statement.holder
    section(
        "Statement",
        ["number", "client", "client_id", "from", "to", "issued_at"],
        [
            [
                statement.number,
                holder.name,
                holder.client_id,
                statement.start.isoformat(),
                statement.end.isoformat(),
                statement.issued_at.isoformat(),
            ]
        ],
    )
    section(
        "Cash summary",
        ["currency", "item", "amount"],
        [
            [summary.currency, label, decimal_amount(amount, summary.scale)]
            for summary in statement.summaries
            for label, amount in (
                ("opening balance", summary.opening),
                *summary.movements,
                ("closing balance", summary.closing),
                ("fees paid", summary.fees),
            )
        ],
    )
    section(
        "Positions",
        [
            "isin",
            "name",
            "currency",
            "face_value",
            "opening_units",
            "closing_units",
            "closing_cost",
            "closing_units_without_cost",
        ],
        [
            [
                p.isin,
                p.name,
                p.currency,
                decimal_amount(p.face_value, p.scale),
                p.opening_units,
                p.closing_units,
                decimal_amount(p.closing_cost, p.scale),
                p.closing_units_without_cost,
            ]
            for p in statement.positions
        ],
    )
    section(
        "Trades",
        [
            "trade_date",
            "settlement_date",
            "contract_note",
            "isin",
            "side",
            "quantity",
            "price",
            "clean",
            "accrued",
            "fee",
            "cash",
            "currency",
        ],
        [
            [
                t.trade_date.isoformat(),
                t.settlement_date.isoformat(),
                t.note_number,
                t.isin,
                t.side,
                t.quantity,
                price_text(t.price),
                decimal_amount(t.clean, t.scale),
                decimal_amount(t.accrued, t.scale),
                decimal_amount(t.fee, t.scale),
                decimal_amount(t.cash, t.scale),
                t.currency,
            ]
            for t in statement.trades
        ],
    )
    section(
        "Coupons and redemptions",
        [
            "payment_date",
            "record_date",
            "isin",
            "kind",
            "units",
            "gross",
            "tax_withheld",
            "net",
            "currency",
        ],
        [
            [
                p.payment_date.isoformat(),
                p.record_date.isoformat(),
                p.isin,
                p.kind,
                p.units,
                decimal_amount(p.gross, p.scale),
                decimal_amount(p.tax, p.scale),
                decimal_amount(p.net, p.scale),
                p.currency,
            ]
            for p in statement.payouts
        ],
    )
    section(
        "Cash movements",
        ["date", "kind", "description", "amount", "currency"],
        [
            [c.on.isoformat(), c.kind, c.description, decimal_amount(c.amount, c.scale), c.currency]
            for c in statement.cash
        ],
    )
    return out.getvalue()


# -- PDF ---------------------------------------------------------------------------------------


class _Document(FPDF):
    """The frame every document shares: header, numbered footer with a disclaimer."""

    def __init__(self, title: str, number: str, disclaimer: str, orientation: str) -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self._title = title
        self._number = number
        self._disclaimer = disclaimer
        self.set_margins(14, 12, 14)
        self.set_auto_page_break(auto=True, margin=24)
        self.set_title(f"{VENUE} {title} {number}")
        self.set_author(VENUE)
        self.set_creator(VENUE)
        self.set_subject(title)
        self.alias_nb_pages()

    def header(self) -> None:
        """Venue on the left, document title and number on the right, then a rule."""
        top = self.get_y()
        self.set_text_color(*_INK)
        self.set_font(_FONT, "B", 18)
        self.cell(0, 8, VENUE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(_FONT, "", 8)
        self.set_text_color(*_MUTED)
        self.cell(0, 4, VENUE_LINE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_xy(self.l_margin, top)
        self.set_text_color(*_INK)
        self.set_font(_FONT, "B", 14)
        self.cell(0, 8, latin(self._title), align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(_FONT, "", 9)
        self.cell(0, 4, latin(f"No. {self._number}"), align=Align.R)
        self.set_y(top + 14)
        self.set_draw_color(*_RULE)
        self.set_line_width(0.4)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(4)

    def footer(self) -> None:
        """The disclaimer and the page number."""
        self.set_y(-20)
        self.set_draw_color(*_RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1)
        self.set_font(_FONT, "", 6.5)
        self.set_text_color(*_MUTED)
        self.multi_cell(self.epw - 30, 3, latin(self._disclaimer))
        self.set_xy(self.w - self.r_margin - 30, -19)
        self.set_font(_FONT, "", 8)
        self.cell(30, 4, f"Page {self.page_no()} of {{nb}}", align=Align.R)
        self.set_text_color(*_INK)

    def heading(self, text: str) -> None:
        """A section title."""
        if self.will_page_break(16):
            self.add_page()
        self.ln(2)
        self.set_font(_FONT, "B", 11)
        self.set_text_color(*_INK)
        self.cell(0, 7, latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def note(self, text: str) -> None:
        """A line of muted small print."""
        self.set_font(_FONT, "", 8)
        self.set_text_color(*_MUTED)
        self.multi_cell(0, 4, latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*_INK)

    def fields(self, pairs: Sequence[tuple[str, str]], columns: int = 2) -> None:
        """Label and value pairs laid out in columns."""
        width = self.epw / columns
        for start in range(0, len(pairs), columns):
            for label, value in pairs[start : start + columns]:
                self.set_font(_FONT, "", 8)
                self.set_text_color(*_MUTED)
                self.cell(width * 0.38, 5.5, latin(label))
                self.set_font(_FONT, "B", 9)
                self.set_text_color(*_INK)
                self.cell(width * 0.62, 5.5, latin(value))
            self.ln(5.5)

    def grid(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        numeric_from: int,
        total: Sequence[str] | None = None,
        empty: str = "None in this period.",
        width: float | None = None,
    ) -> None:
        """A table: text columns left-aligned, columns from `numeric_from` on right-aligned,
        an optional shaded total row; `width` (mm) narrows it, on the left."""
        if not rows:
            self.note(empty)
            return
        align = tuple("LEFT" if i < numeric_from else "RIGHT" for i in range(len(header)))
        self.set_font(_FONT, "", 8)
        self.set_draw_color(*_RULE)
        self.set_line_width(0.1)
        with self.table(
            col_widths=tuple(widths),
            text_align=align,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            headings_style=FontFace(emphasis="BOLD", fill_color=_SHADE),
            line_height=5,
            padding=(0.8, 1.2),
            width=width or self.epw,
            align=Align.L,
        ) as table:
            table.row([latin(cell) for cell in header])
            for row in rows:
                table.row([latin(cell) for cell in row])
            if total is not None:
                table.row(
                    [latin(cell) for cell in total],
                    style=FontFace(emphasis="BOLD", fill_color=_SHADE),
                )
        self.ln(2)


def _pdf_bytes(document: _Document) -> bytes:
    return bytes(document.output())


def contract_note_pdf(note: ContractNote) -> bytes:
    """A contract note: parties, the bond, the trade and its consideration."""
    pdf = _Document("Contract note", note.number, CONTRACT_NOTE_DISCLAIMER, "P")
    pdf.add_page()
    ccy, scale = note.currency, note.scale
    bought = note.side == "buy"
    pdf.heading("Parties")
    pdf.fields(
        [
            ("Client", note.holder.name),
            ("Client ID", note.holder.client_id),
            ("E-mail", note.holder.email),
            ("Counterparty", COUNTERPARTY),
        ],
        columns=1,
    )
    pdf.heading("Security")
    pdf.fields(
        [
            ("ISIN", note.isin),
            ("Bond", note.name),
            ("Coupon", f"{note.coupon_rate.normalize():f}% a year"),
            ("Maturity", note.maturity_date.isoformat()),
            ("Face value per unit", money(note.face_value, scale, ccy)),
        ],
        columns=1,
    )
    pdf.heading("Trade")
    pdf.fields(
        [
            ("Client bought / sold", "Bought" if bought else "Sold"),
            ("Trade ID", note.trade_id),
            ("Trade date", note.trade_date.isoformat()),
            ("Execution time", note.traded_at.strftime("%Y-%m-%d %H:%M:%S IST")),
            ("Settlement date", note.settlement_date.isoformat()),
            ("Order", "Resting (maker)" if note.liquidity == "maker" else "Incoming (taker)"),
            ("Quantity (units)", f"{note.quantity:,}"),
            ("Nominal", money(note.quantity * note.face_value, scale, ccy)),
            ("Clean price (per 100)", price_text(note.price)),
            (
                "Yield at this price",
                "-" if note.yield_percent is None else f"{note.yield_percent:.4f}%",
            ),
        ],
        columns=1,
    )
    pdf.heading("Consideration")
    pdf.grid(
        ["Item", f"Amount ({ccy})"],
        [
            ["Clean consideration", money(note.clean, scale)],
            ["Accrued interest", money(note.accrued, scale)],
            ["Dirty consideration", money(note.dirty, scale)],
            ["Venue transaction fee", money(note.fee, scale)],
        ],
        (3, 1),
        numeric_from=1,
        width=pdf.epw * 0.75,
        total=[
            "Net amount payable by the client" if bought else "Net amount receivable by the client",
            money(note.net, scale),
        ],
    )
    pdf.note(
        f"Issued {note.issued_at.strftime('%Y-%m-%d %H:%M IST')}. Amounts in {ccy}; accrued "
        "interest is for the settlement date and is negative when the bond trades ex-coupon."
    )
    return _pdf_bytes(pdf)


def statement_pdf(statement: Statement) -> bytes:
    """A statement: summary of cash, positions, trades, coupons and cash movements."""
    pdf = _Document("Statement of account", statement.number, STATEMENT_DISCLAIMER, "L")
    pdf.add_page()
    holder = statement.holder
    pdf.fields(
        [
            ("Client", holder.name),
            ("Period", f"{statement.start.isoformat()} to {statement.end.isoformat()}"),
            ("Client ID", holder.client_id),
            ("Issued", statement.issued_at.strftime("%Y-%m-%d %H:%M IST")),
            ("E-mail", holder.email),
        ],
    )
    pdf.heading("Cash summary")
    for summary in statement.summaries:
        ccy, scale = summary.currency, summary.scale
        pdf.grid(
            [f"{ccy}", "Amount"],
            [
                ["Opening balance", money(summary.opening, scale)],
                *(
                    [label.capitalize(), money(amount, scale)]
                    for label, amount in summary.movements
                ),
            ],
            (3, 1),
            numeric_from=1,
            width=120,
            total=["Closing balance", money(summary.closing, scale)],
        )
        pdf.note(f"Fees paid in the period: {money(summary.fees, scale, ccy)} (in the trades).")
    pdf.heading("Positions")
    pdf.grid(
        ["ISIN", "Bond", "Face value", "Opening units", "Closing units", "Closing cost (FIFO)"],
        [
            [
                p.isin,
                p.name,
                money(p.face_value, p.scale, p.currency),
                f"{p.opening_units:,}",
                f"{p.closing_units:,}",
                money(p.closing_cost, p.scale, p.currency)
                + (
                    f" (+{p.closing_units_without_cost:,} units at unknown cost)"
                    if p.closing_units_without_cost
                    else ""
                ),
            ]
            for p in statement.positions
        ],
        (1.2, 2.6, 1.1, 1, 1, 1.8),
        numeric_from=2,
        empty="No positions in this period.",
    )
    pdf.heading("Trades")
    pdf.grid(
        [
            "Trade date",
            "Settles",
            "Contract note",
            "ISIN",
            "Side",
            "Units",
            "Price",
            "Clean",
            "Accrued",
            "Fee",
            "Cash",
        ],
        [
            [
                t.trade_date.isoformat(),
                t.settlement_date.isoformat(),
                t.note_number,
                t.isin,
                t.side.capitalize(),
                f"{t.quantity:,}",
                price_text(t.price),
                money(t.clean, t.scale),
                money(t.accrued, t.scale),
                money(t.fee, t.scale),
                money(t.cash, t.scale, t.currency),
            ]
            for t in statement.trades
        ],
        (1.1, 1.1, 2.6, 1.3, 0.6, 0.8, 0.9, 1.2, 1.0, 0.8, 1.4),
        numeric_from=5,
    )
    pdf.heading("Coupons and redemptions")
    pdf.grid(
        ["Paid", "Record date", "ISIN", "Kind", "Units", "Gross", "Tax withheld", "Net"],
        [
            [
                p.payment_date.isoformat(),
                p.record_date.isoformat(),
                p.isin,
                p.kind.capitalize(),
                f"{p.units:,}",
                money(p.gross, p.scale),
                money(p.tax, p.scale),
                money(p.net, p.scale, p.currency),
            ]
            for p in statement.payouts
        ],
        (1, 1, 1.3, 1, 0.8, 1.2, 1.2, 1.4),
        numeric_from=4,
    )
    pdf.heading("Cash movements")
    pdf.grid(
        ["Date", "Kind", "Description", "Amount"],
        [
            [
                c.on.isoformat(),
                c.kind.replace("_", " "),
                c.description,
                money(c.amount, c.scale, c.currency),
            ]
            for c in statement.cash
        ],
        (1, 1.2, 4, 1.4),
        numeric_from=3,
    )
    return _pdf_bytes(pdf)
