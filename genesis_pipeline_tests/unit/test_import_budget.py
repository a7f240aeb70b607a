"""Loading the code location stays lean: every run worker, code server and sensor evaluation
imports `genesis_pipeline.definitions`, and most of them never write to S3, call a model or
talk to Kafka, so those clients are imported inside the functions that use them.

The check is which modules get imported, which does not vary from run to run. The import time
against `import dagster` alone (`-X importtime`) is printed (`pytest -rP`), not asserted: on a
shared 2-core machine the same code measured anywhere from 1.5 to 2.3 times Dagster's.
"""

import subprocess
import sys
from dataclasses import dataclass

# Top-level packages the code location must not import, with where they belong instead.
FORBIDDEN = {
    "aiokafka": "the Kafka sensors and the relay, at tick time",
    "alembic": "store migrations (`genesis db upgrade`, a store's first use)",
    "boto3": "the bible export to S3",
    "botocore": "the bible export to S3",
    "dagster_aws": "the production instance (S3 compute logs), not the code location",
    "httpx": "the openai and local providers (through openai)",
    "llama_cpp": "the local model server, a process of its own",
    "moto": "tests only",
    "openai": "the openai and local providers",
    "rich": "the CLI",
}


@dataclass(frozen=True)
class Imported:
    name: str
    self_us: int
    depth: int


@dataclass(frozen=True)
class Profile:
    imported: list[Imported]  # in `-X importtime` order: a module after all it imported
    modules: set[str]  # sys.modules afterwards

    @property
    def total_us(self) -> int:
        return sum(module.self_us for module in self.imported)

    def chain(self, package: str) -> str:
        """How `package` came in: its first module imported from outside it, then the modules
        whose import brought that one in, innermost first."""
        for start, module in enumerate(self.imported):
            if _package(module.name) != package:
                continue
            chain = self._chain_from(start)
            if len(chain) == 1 or _package(chain[1]) != package:
                return " <- ".join(chain)
        return f"{package} (imported at interpreter start)"

    def _chain_from(self, start: int) -> list[str]:
        chain, depth = [self.imported[start].name], self.imported[start].depth
        for module in self.imported[start + 1 :]:
            if module.depth < depth:
                chain.append(module.name)
                depth = module.depth
        return chain


def _package(module: str) -> str:
    return module.split(".")[0]


def import_profile(module: str) -> Profile:
    """What `import <module>` imports in a fresh interpreter."""
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            f"import sys, {module}; print(*sys.modules, sep='\\n')",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = []
    for line in done.stderr.splitlines():
        # "import time: <self us> | <cumulative us> | <two spaces a level><module>"
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = line.removeprefix("import time:").split("|")
        depth = len(name) - len(name.lstrip(" "))
        imported.append(Imported(name.strip(), int(self_us), depth))
    return Profile(imported, set(done.stdout.split()))


def test_the_code_location_imports_no_client_it_does_not_use() -> None:
    location = import_profile("genesis_pipeline.definitions")
    dagster = import_profile("dagster")
    print(
        f"import genesis_pipeline.definitions: {location.total_us / 1e3:.0f} ms of imports, "
        f"{location.total_us / dagster.total_us:.2f}x import dagster "
        f"({dagster.total_us / 1e3:.0f} ms); {len(location.modules)} modules against "
        f"{len(dagster.modules)}"
    )

    loaded = {_package(name) for name in location.modules}
    offending = sorted(loaded & FORBIDDEN.keys())
    assert not offending, (
        "genesis_pipeline.definitions imports clients it needs only later; import them inside "
        "the function that uses them (types under TYPE_CHECKING):\n"
        + "\n".join(f"  {location.chain(p)}  (belongs to {FORBIDDEN[p]})" for p in offending)
    )
