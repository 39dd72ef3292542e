"""The committed contract artifacts, and the ABI encoding and log decoding every adapter shares.

Values cross the port in plain Python: checksummed address strings, 0x-hex strings for
bytes (bytes or 0x-hex strings are accepted as arguments), ints, bools, strings, and tuples
and lists for structs and arrays.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, cast

from eth_abi.abi import decode, encode
from eth_typing import ABIEvent, ABIFunction, HexStr
from eth_utils.abi import collapse_if_tuple, event_abi_to_log_topic, function_abi_to_4byte_selector
from eth_utils.address import to_checksum_address

from .port import Address, Call, ChainEvent, TxHash

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
#: The contracts Liquibond deploys, by artifact name.
CONTRACTS = ("BondToken", "CashToken", "IdentityRegistry", "DvP")

ABIParam = Mapping[str, Any]


@cache
def artifact(name: str) -> Mapping[str, Any]:
    """The committed artifact `name` (its "abi", "bytecode", ...); ValueError if there is none."""
    if name not in CONTRACTS:
        raise ValueError(f"no contract artifact {name!r}")
    data: dict[str, Any] = json.loads((ARTIFACTS / f"{name}.json").read_text())
    return data


def abi(name: str) -> list[Mapping[str, Any]]:
    """The ABI of the artifact `name`."""
    return cast(list[Mapping[str, Any]], artifact(name)["abi"])


def _types(params: Sequence[ABIParam]) -> list[str]:
    return [collapse_if_tuple(dict(param)) for param in params]


def _to_abi(param: ABIParam, value: Any) -> Any:
    """`value` as eth_abi encodes `param`'s type (0x-hex strings become bytes)."""
    kind: str = param["type"]
    if kind.endswith("]"):
        element = {**param, "type": kind[: kind.rindex("[")]}
        return [_to_abi(element, item) for item in value]
    if kind == "tuple":
        return tuple(
            _to_abi(field, item) for field, item in zip(param["components"], value, strict=True)
        )
    if kind.startswith("bytes") and isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return value


def _from_abi(param: ABIParam, value: Any) -> Any:
    """`value` as eth_abi decoded it for `param`'s type, in the port's plain form."""
    kind: str = param["type"]
    if kind.endswith("]"):
        element = {**param, "type": kind[: kind.rindex("[")]}
        return [_from_abi(element, item) for item in value]
    if kind == "tuple":
        return tuple(
            _from_abi(field, item) for field, item in zip(param["components"], value, strict=True)
        )
    if kind == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def _function(contract: str, function: str, arity: int) -> Mapping[str, Any]:
    for item in abi(contract):
        if item["type"] == "function" and item["name"] == function and len(item["inputs"]) == arity:
            return item
    raise ValueError(f"{contract} has no function {function} of {arity} arguments")


def encode_call(call: Call) -> bytes:
    """The calldata of `call`: its function's selector and ABI-encoded arguments."""
    function = _function(call.contract, call.function, len(call.args))
    inputs = function["inputs"]
    args = [_to_abi(param, arg) for param, arg in zip(inputs, call.args, strict=True)]
    return function_abi_to_4byte_selector(cast(ABIFunction, function)) + encode(
        _types(inputs), args
    )


def decode_result(call: Call, data: bytes) -> Any:
    """What `call`'s function returned in `data`: None, its one value, or a tuple of them."""
    outputs = _function(call.contract, call.function, len(call.args))["outputs"]
    values = [_from_abi(p, v) for p, v in zip(outputs, decode(_types(outputs), data), strict=True)]
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


def encode_deploy(contract: str, args: Sequence[Any]) -> bytes:
    """The deployment code of `contract`: its bytecode and ABI-encoded constructor `args`."""
    constructor = next((item for item in abi(contract) if item["type"] == "constructor"), None)
    inputs: Sequence[ABIParam] = constructor["inputs"] if constructor else []
    values = [_to_abi(param, arg) for param, arg in zip(inputs, args, strict=True)]
    bytecode: str = artifact(contract)["bytecode"]
    return bytes.fromhex(bytecode.removeprefix("0x")) + encode(_types(inputs), values)


@cache
def events_by_topic() -> Mapping[bytes, Mapping[str, Any]]:
    """Every artifact's event ABIs by topic 0 (tokens share e.g. Transfer's)."""
    found: dict[bytes, Mapping[str, Any]] = {}
    for contract in CONTRACTS:
        for item in abi(contract):
            if item["type"] == "event":
                topic = event_abi_to_log_topic(cast(ABIEvent, item))
                if found.setdefault(topic, item) != item:
                    raise ValueError(f"two ABIs of event {item['name']} share its topic")
    return found


def as_hex(value: Any) -> HexStr:
    """Bytes (or HexBytes, or a hex string with or without 0x) as a 0x-hex string."""
    if isinstance(value, bytes | bytearray):
        return HexStr("0x" + bytes(value).hex())
    return HexStr("0x" + str(value).removeprefix("0x"))


def _raw(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return bytes.fromhex(str(value).removeprefix("0x"))


def decode_log(log: Mapping[str, Any]) -> ChainEvent | None:
    """One log (as a node returns it) decoded by the artifacts' ABIs; None if none knows it."""
    topics = [_raw(topic) for topic in log["topics"]]
    event = events_by_topic().get(topics[0]) if topics else None
    if event is None:
        return None
    indexed = [param for param in event["inputs"] if param["indexed"]]
    plain = [param for param in event["inputs"] if not param["indexed"]]
    if len(indexed) != len(topics) - 1:  # same topic, different indexing: not our event
        return None
    args: dict[str, Any] = {}
    for param, topic in zip(indexed, topics[1:], strict=True):
        if param["type"] in ("string", "bytes") or param["type"].endswith(("]", ")")):
            args[param["name"]] = "0x" + topic.hex()  # a dynamic value is indexed by its hash
        else:
            args[param["name"]] = _from_abi(param, decode([param["type"]], topic)[0])
    for param, value in zip(plain, decode(_types(plain), _raw(log["data"])), strict=True):
        args[param["name"]] = _from_abi(param, value)
    return ChainEvent(
        name=event["name"],
        address=Address(to_checksum_address(log["address"])),
        args=args,
        block=int(log["blockNumber"]),
        tx_hash=TxHash(as_hex(log["transactionHash"])),
        log_index=int(log["logIndex"]),
    )


def decode_logs(logs: Iterable[Mapping[str, Any]]) -> tuple[ChainEvent, ...]:
    """The logs the artifacts' ABIs decode, in the given order; unknown logs are skipped."""
    return tuple(event for event in map(decode_log, logs) if event is not None)
