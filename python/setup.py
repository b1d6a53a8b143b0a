"""Build step of the swiftoss wheel: bundles libswiftoss.so (and the tokenizer vocabulary beside it).

The library is `$SWIFTOSS_LIBRARY` when set (a libswiftoss.so already built, e.g. by `make test`); otherwise this
runs `swift build -c release --product swiftoss` in the checkout that holds this directory and takes
`.build/release/libswiftoss.so`. Either way the file and the `SwiftOSS_OSSTokenizer.resources` directory next to it
are copied into the package, so the installed package needs no checkout (it still needs the Swift runtime, OpenBLAS
and libomp of the machine it was built on).
"""
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LIBRARY = "libswiftoss.so"
RESOURCES = "SwiftOSS_OSSTokenizer.resources"


def built_library() -> Path:
    given = os.environ.get("SWIFTOSS_LIBRARY")
    if given:
        path = Path(given).resolve()
        if not path.is_file():
            raise SystemExit(f"SWIFTOSS_LIBRARY={given}: no such file")
        return path
    if not (REPO / "Package.swift").is_file():
        raise SystemExit(f"{REPO} is not the SwiftOSS checkout; set SWIFTOSS_LIBRARY to a built {LIBRARY}")
    subprocess.run(["swift", "build", "-c", "release", "--product", "swiftoss"], cwd=REPO, check=True)
    return REPO / ".build" / "release" / LIBRARY


class BuildWithLibrary(build_py):
    def run(self) -> None:
        super().run()
        library = built_library()
        target = Path(self.build_lib) / "swiftoss"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(library, target / LIBRARY)
        resources = library.parent / RESOURCES
        if resources.is_dir():
            shutil.rmtree(target / RESOURCES, ignore_errors=True)
            shutil.copytree(resources, target / RESOURCES)


class BinaryDistribution(Distribution):
    """The wheel carries a native library: tag it for this platform."""

    def has_ext_modules(self) -> bool:
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
