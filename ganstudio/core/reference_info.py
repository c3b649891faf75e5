"""Which real images a quality report was measured against, in words a report can print."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReferenceInfo:
    """Which real images a report was measured against."""

    split: str  # "test" when held out; else the one split found ("" for an image folder)
    n: int  # real images in the reference
    source: str  # the folder they came from
    image_size: int  # the size they were resized to before measuring (the generator's size)
    seed: int  # seeds the real-data draws (fixed, so floors are comparable between runs)
    held_out: bool = False  # the reference is the test split, never trained on; the floor's sample is training data

    def describe(self) -> str:
        """ "the held-out test split (10,000 images)" or "the training data (test split, 10,000 images)"."""
        if self.held_out:
            return f"the held-out {self.split} split ({self.n:,} images)"
        what = f"{self.split} split, " if self.split else ""
        return f"the training data ({what}{self.n:,} images)"

    def floor_words(self, m: int) -> str:
        """How a floor of m real images a side was drawn: "m training images against the test split" (held out)
        or "two disjoint halves of the training data, m images each"."""
        if self.held_out:
            return f"{m:,} training images against the {self.split} split"
        return f"two disjoint halves of the training data, {m:,} images each"
