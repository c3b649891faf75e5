"""The built wheel works outside the checkout: shipped models and icons inside the package, CLI and app find them.

The slow test builds the wheel from this checkout, installs it with --no-deps into a fresh virtual environment in
a temporary folder, and makes the running interpreter's dependencies importable through a .pth file, so nothing
is downloaded. Every check then runs from a working directory outside the checkout, so the checkout's top-level
`models/` and `resources/` cannot be what is found.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_GENERATOR = "mnist"
ICON = Path("resources") / "icons" / "ganstudio.svg"


def _declared_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(config["tool"]["setuptools"]["packages"])


def test_every_package_folder_is_declared() -> None:
    """pyproject lists the packages (so models/ and resources/ can be mapped in); a new one must be added."""
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "ganstudio").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    missing = on_disk - _declared_packages()
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"


def test_shipped_folders_are_mapped_into_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert config["package-dir"] == {"ganstudio.models": "models", "ganstudio.resources": "resources"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # setuptools builds in build/ and *.egg-info beside the sources and reuses what is there, so a module
    # deleted since an earlier build would still ship; build in a fresh folder outside the checkout instead.
    scratch = tmp_path_factory.mktemp("build")
    extra = scratch / "setup.cfg"
    extra.write_text(f"[build]\nbuild_base = {scratch / 'build'}\n[egg_info]\negg_base = {scratch}\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        cwd=out,
        capture_output=True,
        timeout=240,
        env={**os.environ, "DIST_EXTRA_CONFIG": str(extra)},
    )
    (built,) = out.glob("ganstudio-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the fresh venv's python, the installed ganstudio package folder)."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=120,
        env=_without_pythonpath(),  # else pip sees the checkout's ganstudio there and installs nothing
    )
    # Then the dependencies, from the running interpreter (after the install, so pip does not take the
    # development install it would see there for this wheel). A path line adds that site-packages without
    # running the .pth files in it, so the development install of ganstudio does not shadow the wheel either.
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return python, site / "ganstudio"


def _without_pythonpath() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _run(python: Path, *args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _clean_env(home: Path) -> dict[str, str]:
    """No model folder override, and settings, caches and runs in a temporary home."""
    env = {k: v for k, v in _without_pythonpath().items() if not k.startswith("GANSTUDIO_")}
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


@pytest.mark.slow
def test_wheel_holds_the_models_once(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "ganstudio/models/mnist.onnx" in names
    assert "ganstudio/models/mnist.safetensors" in names  # needed to resume and re-export
    assert "ganstudio/resources/icons/ganstudio.svg" in names
    onnx_copies = [n for n in names if n.endswith("/mnist.onnx")]
    assert onnx_copies == ["ganstudio/models/mnist.onnx"]
    models_size = sum(p.stat().st_size for p in (ROOT / "models").iterdir() if p.is_file())
    unpacked = sum(info.file_size for info in zipfile.ZipFile(wheel).infolist())
    assert unpacked < 1.2 * models_size, f"{unpacked / 1e6:.0f} MB unpacked for {models_size / 1e6:.0f} MB of models"


def _ganstudio(python: Path) -> Path:
    """The console script the wheel installed (there is no `python -m ganstudio`)."""
    return python.parent / "ganstudio"


@pytest.mark.slow
def test_installed_package_runs_outside_the_checkout(installed: tuple[Path, Path], tmp_path: Path) -> None:
    python, package = installed
    assert (package / "models" / f"{SHIPPED_GENERATOR}.onnx").is_file()
    assert (package / ICON).is_file()
    env = _clean_env(tmp_path)

    where = _run(
        python,
        "-c",
        "import ganstudio, ganstudio.paths as p; print(ganstudio.__file__); print(p.models_dir())",
        cwd=tmp_path,
        env=env,
    )
    assert where.stdout.split() == [str(package / "__init__.py"), str(package / "models")], where.stderr

    model = package / "models" / f"{SHIPPED_GENERATOR}.onnx"
    by_path = _run(_ganstudio(python), "info", str(model), cwd=tmp_path, env=env)
    assert by_path.returncode == 0, by_path.stderr
    assert "latent" in by_path.stdout.lower()


@pytest.mark.slow
def test_info_finds_a_shipped_model_by_name(installed: tuple[Path, Path], tmp_path: Path) -> None:
    python, _ = installed
    result = _run(_ganstudio(python), "info", SHIPPED_GENERATOR, cwd=tmp_path, env=_clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "latent" in result.stdout.lower()


# Builds the window as ganstudio.gui.app.run_app does, without entering the event loop: opens the model named
# on the command line (or the default shipped one) and waits until the window's title names it.
APP_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from ganstudio.gui.app import create_application
    app = create_application([sys.argv[0]])
    from ganstudio.gui.main_window import MainWindow  # after the QApplication, as run_app does
    window = MainWindow()
    window.show()
    opening = True
    if len(sys.argv) > 1:
        window.open_path(sys.argv[1])
    else:
        opening = window.open_default_model()
    deadline = time.monotonic() + (30 if opening else 0)
    while "mnist" not in window.windowTitle() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    print("title:", window.windowTitle())
    print("status:", window.statusBar().currentMessage())
    print("icon:", not app.windowIcon().isNull())
    window.shutdown()
    """
)


def _open_app(python: Path, tmp_path: Path, *model: str) -> str:
    result = _run(python, "-c", APP_SCRIPT, *model, cwd=tmp_path, env=_clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


@pytest.mark.slow
def test_installed_app_opens_a_shipped_model_offscreen(installed: tuple[Path, Path], tmp_path: Path) -> None:
    python, package = installed
    output = _open_app(python, tmp_path, str(package / "models" / f"{SHIPPED_GENERATOR}.onnx"))
    assert f"title: {SHIPPED_GENERATOR}.onnx" in output
    assert f"status: Loaded {SHIPPED_GENERATOR}.onnx" in output
    assert "icon: True" in output  # the window icon comes from ganstudio/resources inside the package


@pytest.mark.slow
def test_installed_app_opens_the_default_model_offscreen(installed: tuple[Path, Path], tmp_path: Path) -> None:
    python, _ = installed
    output = _open_app(python, tmp_path)
    assert f"title: {SHIPPED_GENERATOR}.onnx" in output
