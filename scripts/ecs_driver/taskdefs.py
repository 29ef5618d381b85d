"""Task definitions as ECS keeps them: what was registered comes back whole.

ECS stores a task definition as it was registered and DescribeTaskDefinition returns all of it
(with the fields ECS sets: taskDefinitionArn, revision, status, compatibilities, ...). moto keeps
only the fields it models: at the top level it drops what it does not know (for example
`enableFaultInjection`), while containers and volumes are kept as sent (plus moto's defaults).
The driver records every RegisterTaskDefinition body as sent, and answers
DescribeTaskDefinition with moto's answer plus what moto dropped from it, so a tool that
round-trips task definitions is tested on all of their fields, not on moto's subset.

`GET /_driver/task-definitions` lists the records: the ARN, the body as sent and the paths moto
dropped (so a test can say which fields the emulator itself does not keep).

Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Tuple


@dataclass(frozen=True)
class Registered:
    """One RegisterTaskDefinition as the driver saw it."""

    arn: str
    #: the request body, as sent
    sent: Dict[str, Any]
    #: the paths of what moto's answer lacks (`enableFaultInjection`,
    #: `containerDefinitions[0].foo`)
    dropped: Tuple[str, ...]

    def to_json(self) -> Dict[str, Any]:
        return {"arn": self.arn, "sent": self.sent, "dropped": list(self.dropped)}


def _fill_object(kept: Dict[str, Any], sent: Dict[str, Any], path: str,
                 dropped: List[str]) -> Dict[str, Any]:
    out = dict(kept)
    for key, value in sent.items():
        where = f"{path}.{key}" if path else key
        if key not in kept:
            out[key] = value
            dropped.append(where)
        else:
            out[key] = _fill(kept[key], value, where, dropped)
    return out


def _fill(kept: Any, sent: Any, path: str, dropped: List[str]) -> Any:
    if isinstance(kept, dict) and isinstance(sent, dict):
        return _fill_object(kept, sent, path, dropped)
    if isinstance(kept, list) and isinstance(sent, list) and len(kept) == len(sent):
        return [_fill(k, s, f"{path}[{i}]", dropped) for i, (k, s) in enumerate(zip(kept, sent))]
    return kept


def fill_in(kept: Dict[str, Any], sent: Dict[str, Any]) -> Tuple[Dict[str, Any], List[str]]:
    """moto's task definition `kept`, with what it dropped of the registered body `sent` put
    back (moto's own values and defaults stay); and the paths put back."""
    dropped: List[str] = []
    # Tags are answered beside the task definition (include: TAGS), not in it.
    body = {k: v for k, v in sent.items() if k != "tags"}
    return _fill_object(kept, body, "", dropped), dropped
