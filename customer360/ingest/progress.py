"""Progress bars for long loads: by bytes read, so a bar moves at the pace of the file."""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm


def progress_bar(path: Path, description: str, enabled: bool) -> tqdm:
    try:
        total = path.stat().st_size
    except OSError:
        total = None
    return tqdm(
        total=total,
        desc=description,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        disable=not enabled,
        leave=False,
    )


def advance_bar(bar: tqdm, position: int, done: int) -> int:
    if position > done:
        bar.update(position - done)
        return position
    return done
