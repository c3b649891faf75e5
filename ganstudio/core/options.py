"""How each config field is presented: the one table both front ends are generated from.

Every field of `ModelConfig` and `TrainConfig` is declared with `option(default, label=..., help=...)`, which stores
an `OptionSpec` in the dataclass field's metadata. The `ganstudio train` / `resume` flags (cli/train_commands.py)
and the Train form's widgets, labels, tooltips and rows (gui/train_form.py) are built by iterating `options()`, so
adding an option is one declaration plus the code that uses it. Qt-free and torch-free.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

OPTION_KEY = "ganstudio.option"

# Widget kinds. The last four are compound controls that the front ends build by hand, but they are still
# declared here so both front ends (and the test that checks them) see every field.
COMBO = "combo"  # one of `choices`
SPIN = "spin"  # an integer
NUMBER = "number"  # a float typed as text (learning rates: 6e-4 does not fit a spin box)
CHECK = "check"  # a boolean
CONDITIONAL = "conditional"  # num_classes: a "class-conditional" switch; the count comes from the data
BUDGET = "budget"  # epochs / steps / minutes: one "amount + kind" control in the form, one flag each on the CLI
DATASET = "dataset"  # a built-in dataset or a folder
HIDDEN = "hidden"  # not user-facing: filled in by the program (class names from the data)

WIDGETS = (COMBO, SPIN, NUMBER, CHECK, CONDITIONAL, BUDGET, DATASET, HIDDEN)
SPIN_ROOM = 4  # a spin box goes this many times past a field's upper bound: typing too much gets a message, not
SPIN_LIMIT = 2**31 - 1  # a silent clamp (up to what QSpinBox holds) ...
SPIN_UNBOUNDED = 10**7  # ... and this far for a field without one (a spin box is as wide as its largest number)


@dataclass(frozen=True)
class Bounds:
    """The numbers a field allows: `low` to `high` (None: unbounded), each end included unless marked open.
    The config checks them (`bounds_error`); the form's tooltips and the error messages name them."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    why: str = ""  # the reason for a limit that is not obvious, said in the message

    def allows(self, value: float) -> bool:
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def describe(self) -> str:
        """ "in 1..1024" (whole numbers, both ends included), "in (0, 1]", ">= 0" or "<= 5"."""
        low, high = _number(self.low), _number(self.high)
        if self.low is not None and self.high is not None:
            if isinstance(self.low, int) and isinstance(self.high, int) and not self.low_open and not self.high_open:
                return f"in {low}..{high}"
            return f"in {'(' if self.low_open else '['}{low}, {high}{')' if self.high_open else ']'}"
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {low}"
        return f"{'<' if self.high_open else '<='} {high}"


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else f"{value:g}"


@dataclass(frozen=True)
class OptionSpec:
    """What a person sees of one config field, in the form and on the command line."""

    label: str  # the form's row or inline label; also names the field in error messages
    help: str = ""  # the CLI help and the form's tooltip
    widget: str = ""  # one of WIDGETS; "" picks COMBO / CHECK / SPIN / NUMBER from the choices and default type
    group: str = "run"  # the form section: "basic", "networks", "optimiser" or "run"
    row: int = 0  # fields of one group with the same row share one form row, in declaration order
    cell: tuple[str, str] | None = None  # a (row, column) heading of its group's grid instead of a form row
    choices: tuple[Any, ...] = ()
    choice_labels: tuple[str, ...] = ()  # what the form shows for each choice (default: the choice itself)
    valid: Bounds | None = None  # the numbers the config accepts (checked once, for the CLI and the form alike)
    maximum: int | None = None  # a spin box's top when not derived from `valid` (see Option.spin_range)
    special: str = ""  # text a spin box shows for its minimum ("auto", "off")
    suffix: str = ""  # a unit shown after the widget ("steps")
    flag: str = ""  # the CLI flag; "" = --name-with-dashes
    pair: str = ""  # two fields set by one CLI flag of two values ("--g-betas B1 B2"), in declaration order
    only_when: tuple[str, Any] | None = None  # (other field, value): editable in the form only then (else unused)
    cli: bool = True  # offered by `ganstudio train`
    resumable: bool = False  # may be changed when a run is continued (`ganstudio resume`, Resume a run...)

    def __post_init__(self) -> None:
        if self.widget and self.widget not in WIDGETS:
            raise ValueError(f"unknown widget kind {self.widget!r}")
        if self.choice_labels and len(self.choice_labels) != len(self.choices):
            raise ValueError(f"{self.label}: {len(self.choice_labels)} labels for {len(self.choices)} choices")


@dataclass(frozen=True)
class Option:
    """One declared field: its name, owner class, default and presentation."""

    name: str
    owner: type
    default: Any
    spec: OptionSpec

    @property
    def kind(self) -> type:
        """bool, int, float, str or tuple: taken from the default, the one value every field has."""
        return type(self.default)

    @property
    def widget(self) -> str:
        if self.spec.widget:
            return self.spec.widget
        if self.spec.choices:
            return COMBO
        if self.kind is bool:
            return CHECK
        return SPIN if self.kind is int else NUMBER

    @property
    def flag(self) -> str:
        if self.spec.pair:
            return "--" + self.spec.pair.replace("_", "-")
        return self.spec.flag or "--" + self.name.replace("_", "-")

    @property
    def user_facing(self) -> bool:
        return self.widget != HIDDEN

    def spin_range(self) -> tuple[int, int]:
        """A spin box's range: from 0 to past the upper bound on purpose, so the config, not the widget, says
        what is allowed (a typed 2000 gets "must be in 1..1024" rather than silently becoming 1024)."""
        if self.spec.maximum is not None:
            return 0, self.spec.maximum
        high = self.spec.valid.high if self.spec.valid is not None else None
        return 0, SPIN_UNBOUNDED if high is None else int(min(SPIN_LIMIT, high * SPIN_ROOM))

    def bounds_error(self, value: Any) -> str | None:
        """Why `value` is outside the declared bounds (a message naming the field and its range), or None."""
        valid = self.spec.valid
        if valid is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{self.name} must be a number, got {value!r}"
        if valid.allows(value):
            return None
        why = f" ({valid.why})" if valid.why else ""
        return f"{self.name} must be {valid.describe()}{why}, got {value}"

    def choice_items(self) -> list[tuple[Any, str]]:
        """(value, text) for each choice, as a combo box lists them."""
        labels = self.spec.choice_labels or tuple(str(c) for c in self.spec.choices)
        return list(zip(self.spec.choices, labels, strict=True))


def option(default: Any, **spec: Any) -> Any:
    """A dataclass field with its default and its presentation (the keyword arguments of `OptionSpec`)."""
    return field(default=default, metadata={OPTION_KEY: OptionSpec(**spec)})


def options_of(cls: type) -> tuple[Option, ...]:
    """Every field of a config dataclass with its spec; a field declared without `option()` is an error."""
    out = []
    for f in fields(cls):
        spec = f.metadata.get(OPTION_KEY)
        if spec is None:
            raise TypeError(f"{cls.__name__}.{f.name} is not declared with option()")
        factory = f.default_factory
        default = f.default if f.default is not MISSING else (factory() if callable(factory) else None)
        out.append(Option(f.name, cls, default, spec))
    return tuple(out)


def find_option(name: str, *classes: type) -> Option | None:
    for cls in classes:
        for opt in options_of(cls):
            if opt.name == name:
                return opt
    return None
