"""Hypothesis strategies: random but meaningful command streams for one book.

Small price and account ranges on purpose: they make crossings, queues at one
price, self-trades, stop triggers and expiries common rather than rare.
"""

from __future__ import annotations

from hypothesis import strategies as st

from liquibond.trading.engine import (
    AccountId,
    CancelAll,
    CancelOrder,
    Command,
    Expire,
    NewOrder,
    OrderId,
    OrderType,
    ReplaceOrder,
    Side,
    StpMode,
    TimeInForce,
)

prices = st.integers(96, 104)
qtys = st.integers(1, 12)
accounts = st.integers(1, 3)
sides = st.sampled_from([Side.BUY, Side.SELL])
stp_modes = st.sampled_from(list(StpMode))


@st.composite
def command_streams(
    draw: st.DrawFn, min_size: int = 1, max_size: int = 40, *, plain: bool = False
) -> list[Command]:
    """A list of commands. Order ids are mostly fresh, sometimes reused (duplicates);
    cancels and replaces aim at earlier ids (live, finished or unknown). Time moves
    forward in small steps and DAY/GTD orders expire a few steps later.

    ``plain`` restricts the stream to GTC limits and cancels (the benchmark's mix).
    """
    n = draw(st.integers(min_size, max_size))
    out: list[Command] = []
    next_id = 1
    clock = 0
    for _ in range(n):
        roll = draw(st.integers(0, 99))
        if draw(st.integers(0, 3)) == 0:
            clock += draw(st.integers(1, 3))
        ts = clock if draw(st.booleans()) else 0
        if draw(st.integers(0, 9)) < 7:  # mostly a recent id: likely still live
            target = OrderId(max(1, next_id - 1 - draw(st.integers(0, 4))))
        else:
            target = OrderId(draw(st.integers(1, next_id)))
        owner = draw(st.none() | accounts.map(AccountId))
        if plain:
            if roll < 25 and next_id > 1:
                out.append(CancelOrder(target, owner))
            else:
                out.append(
                    NewOrder(
                        OrderId(next_id),
                        AccountId(draw(accounts)),
                        draw(sides),
                        draw(qtys),
                        draw(prices),
                    )
                )
                next_id += 1
            continue
        if roll < 14:
            out.append(CancelOrder(target, owner, ts=ts))
            continue
        if roll < 24:
            out.append(
                ReplaceOrder(
                    target,
                    qty=draw(st.none() | st.integers(0, 14)),  # 0: invalid
                    price=draw(st.none() | prices),
                    account=owner,
                    ts=ts,
                )
            )
            continue
        if roll < 26:
            out.append(CancelAll(draw(st.none() | accounts.map(AccountId)), ts=ts))
            continue
        if roll < 29:
            clock += draw(st.integers(0, 3))
            out.append(Expire(clock))
            continue
        # A new order.
        oid = OrderId(next_id)
        if draw(st.integers(0, 19)) == 0:
            oid = target  # maybe a duplicate of a live id
        else:
            next_id += 1
        side = draw(sides)
        account = AccountId(draw(accounts))
        qty = draw(qtys)
        stp = draw(stp_modes)
        if roll < 36:
            out.append(
                NewOrder(
                    oid, account, side, qty, order_type=OrderType.MARKET,
                    price=draw(st.none() | prices),  # a protection price
                    tif=draw(st.sampled_from([TimeInForce.IOC, TimeInForce.FOK])),
                    min_qty=draw(st.none() | st.integers(1, qty)), stp=stp, ts=ts,
                )
            )  # fmt: skip
            continue
        tif = draw(
            st.sampled_from(
                [TimeInForce.GTC] * 4
                + [TimeInForce.DAY, TimeInForce.GTD, TimeInForce.IOC, TimeInForce.FOK]
            )
        )
        expire_at = (
            clock + draw(st.integers(1, 4)) if tif in (TimeInForce.DAY, TimeInForce.GTD) else None
        )
        if roll < 44:
            stop_type = draw(st.sampled_from([OrderType.STOP, OrderType.STOP_LIMIT]))
            limit_price = (
                draw(prices)
                if stop_type is OrderType.STOP_LIMIT
                else draw(
                    st.none() | prices  # a STOP's optional protection price
                )
            )
            out.append(
                NewOrder(
                    oid, account, side, qty, price=limit_price, order_type=stop_type,
                    tif=tif if tif not in (TimeInForce.IOC, TimeInForce.FOK) else TimeInForce.GTC,
                    expire_at=expire_at if tif not in (TimeInForce.IOC, TimeInForce.FOK) else None,
                    stop_price=draw(prices), stp=stp, ts=ts,
                )
            )  # fmt: skip
            continue
        if roll < 47:  # something malformed, to exercise the rejections
            out.append(
                NewOrder(
                    oid,
                    account,
                    side,
                    draw(st.integers(-1, 3)),
                    price=draw(st.none() | st.integers(-1, 100)),
                    order_type=draw(st.sampled_from(list(OrderType))),
                    tif=draw(st.sampled_from(list(TimeInForce))),
                    expire_at=draw(st.none() | st.integers(-1, 5)),
                    stop_price=draw(st.none() | st.integers(-1, 100)),
                    display_qty=draw(st.none() | st.integers(-1, 4)),
                    min_qty=draw(st.none() | st.integers(-1, 4)),
                    all_or_none=draw(st.booleans()),
                    post_only=draw(st.booleans()),
                    ts=ts,
                )
            )
            continue
        extra = draw(st.integers(0, 9))
        out.append(
            NewOrder(
                oid, account, side, qty, price=draw(prices), tif=tif, expire_at=expire_at,
                display_qty=draw(st.integers(1, qty)) if extra == 0 else None,
                min_qty=draw(st.integers(1, qty)) if extra == 1 else None,
                all_or_none=extra == 2,
                post_only=extra == 3 and tif not in (TimeInForce.IOC, TimeInForce.FOK),
                stp=stp, ts=ts,
            )
        )  # fmt: skip
    return out
