"""Build hook: bundle the C library libretold_c.so.1 into the package.

The package is pure Python (ctypes); the only native piece is the shared library of the C ABI,
built by CMake (target retold_c). While the package is built, the library is copied from:
  1. $RETOLD_LIBRARY (a path to libretold_c.so.1), else
  2. $RETOLD_BUILD_DIR/libretold_c.so.1 (a CMake build directory), else
  3. ../../build/libretold_c.so.1 (the repository's default build directory).
If none exists, RETOLD_ALLOW_SYSTEM_LIBRARY=1 builds the package without it (it then loads
libretold_c.so.1 from the system library path at import); otherwise the build fails with
instructions, so a broken install is never produced silently.
"""
import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
SONAME = "libretold_c.so.1"


def find_library():
    if os.environ.get("RETOLD_LIBRARY"):
        return Path(os.environ["RETOLD_LIBRARY"])
    if os.environ.get("RETOLD_BUILD_DIR"):
        return Path(os.environ["RETOLD_BUILD_DIR"]) / SONAME
    return HERE.parent.parent / "build" / SONAME


class build_py_with_library(build_py):
    def run(self):
        super().run()
        lib = find_library()
        target = Path(self.build_lib) / "retold" / SONAME
        if lib.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(os.path.realpath(lib), target)  # the real file, not the symlink
            os.chmod(target, 0o755)
            print(f"retold: bundled {os.path.realpath(lib)} as {target}")
        elif os.environ.get("RETOLD_ALLOW_SYSTEM_LIBRARY") == "1":
            print("retold: no libretold_c.so.1 bundled; it will be loaded from the system path")
        else:
            raise SystemExit(
                f"retold: {lib} not found. Build the C library first "
                "(cmake -S . -B build && cmake --build build --target retold_c), or point "
                "RETOLD_BUILD_DIR at a CMake build directory / RETOLD_LIBRARY at libretold_c.so.1, "
                "or set RETOLD_ALLOW_SYSTEM_LIBRARY=1 to rely on an installed library.")


class BinaryDistribution(Distribution):
    """The wheel carries a native library: tag it for this platform, not py3-none-any."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": build_py_with_library}, distclass=BinaryDistribution)
