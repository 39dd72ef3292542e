"""Compile Liquibond's Vyper contracts into committed, deterministic artifacts.

    uv run python contracts/build.py          # (re)write the artifacts (src/liquibond/chain/)
    uv run python contracts/build.py --check   # recompile; exit 1 if any artifact differs

Every top-level `contracts/*.vy` is a contract; `contracts/modules/` and
`contracts/interfaces/` hold the code they share. Imports resolve only inside
`contracts/` and the compiler's built-in interfaces (never `sys.path`), so the
output depends on nothing but the sources and the pinned compiler. An artifact
holds the ABI, the deployment and runtime bytecode, the method identifiers,
the compiler version and settings, and the SHA-256 of every source file that
went into it (plus Vyper's integrity hash of them all, which the bytecode's
metadata also carries).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import vyper
from vyper.compiler.input_bundle import FilesystemInputBundle
from vyper.compiler.phases import CompilerData

CONTRACTS = Path(__file__).resolve().parent
ARTIFACTS = CONTRACTS.parent / "src" / "liquibond" / "chain" / "artifacts"
COMPILER_VERSION = "0.4.3"
EVM_VERSION = "cancun"
# EIP-170 and EIP-3860: the largest runtime code and init code a chain accepts.
MAX_RUNTIME_SIZE = 24_576
MAX_INITCODE_SIZE = 49_152


def sources() -> list[Path]:
    """The contracts to compile: every top-level .vy file, by name."""
    return sorted(CONTRACTS.glob("*.vy"))


def compile_contract(path: Path) -> dict[str, Any]:
    """Compile one contract and return its artifact."""
    bundle = FilesystemInputBundle([CONTRACTS])
    data = CompilerData(bundle.load_file(path.relative_to(CONTRACTS)), bundle)
    settings = data.settings
    if settings.evm_version != EVM_VERSION:
        raise SystemExit(f"{path.name}: needs `# pragma evm-version {EVM_VERSION}`")
    bytecode = data.bytecode
    runtime = data.bytecode_runtime
    if len(runtime) > MAX_RUNTIME_SIZE or len(bytecode) > MAX_INITCODE_SIZE:
        raise SystemExit(
            f"{path.name}: runtime {len(runtime)} B / init {len(bytecode)} B is over "
            f"the EIP-170/3860 limits ({MAX_RUNTIME_SIZE} / {MAX_INITCODE_SIZE})"
        )
    files = {path, *(Path(m.resolved_path) for m in data.resolved_imports.seen)}
    inside = sorted(f.resolve() for f in files if f.resolve().is_relative_to(CONTRACTS))
    return {
        "contractName": path.stem,
        "compiler": {
            "name": "vyper",
            "version": vyper.__version__,
            "evmVersion": settings.evm_version,
            "optimize": str(settings.optimize),
        },
        "sources": {
            f.relative_to(CONTRACTS).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in inside
        },
        "integrity": data.integrity_sum,
        "abi": vyper.compiler.output.build_abi_output(data),
        "methodIdentifiers": vyper.compiler.output.build_method_identifiers_output(data),
        "bytecode": "0x" + bytecode.hex(),
        "runtimeBytecode": "0x" + runtime.hex(),
        "runtimeSize": len(runtime),
    }


def render(artifact: dict[str, Any]) -> str:
    return json.dumps(artifact, indent=2, sort_keys=True) + "\n"


def build_one(path: Path) -> str:
    return render(compile_contract(path))


def build() -> dict[str, str]:
    """Every artifact's file name and text (compiled in parallel, one process each)."""
    if vyper.__version__ != COMPILER_VERSION:
        raise SystemExit(
            f"vyper {vyper.__version__} found; the pinned {COMPILER_VERSION} is needed"
        )
    paths = sources()
    with ProcessPoolExecutor(max_workers=min(len(paths), os.cpu_count() or 1)) as pool:
        texts = list(pool.map(build_one, paths))
    return {f"{path.stem}.json": text for path, text in zip(paths, texts, strict=True)}


def check(built: dict[str, str]) -> list[str]:
    """What differs between freshly compiled artifacts and the committed ones."""
    problems = []
    for name, text in built.items():
        path = ARTIFACTS / name
        if not path.exists():
            problems.append(f"{name}: missing")
        elif path.read_text() != text:
            problems.append(f"{name}: differs from a fresh compile")
    problems += [
        f"{path.name}: no contract compiles to it"
        for path in sorted(ARTIFACTS.glob("*.json"))
        if path.name not in built
    ]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="fail if the artifacts are not current"
    )
    args = parser.parse_args(argv)
    built = build()
    if args.check:
        problems = check(built)
        for problem in problems:
            print(f"src/liquibond/chain/artifacts/{problem}", file=sys.stderr)
        if problems:
            print("run `make contracts` and commit the artifacts", file=sys.stderr)
            return 1
        print(f"contracts: {len(built)} artifacts are current")
        return 0
    ARTIFACTS.mkdir(exist_ok=True)
    for name, text in built.items():
        (ARTIFACTS / name).write_text(text)
    for path in ARTIFACTS.glob("*.json"):
        if path.name not in built:  # its contract was removed or renamed
            path.unlink()
    print(f"contracts: wrote {len(built)} artifacts to {ARTIFACTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
