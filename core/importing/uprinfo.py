"""The UPR Info database export: its columns and its row parser."""

from __future__ import annotations

from core.importing.cells import Outcome, Row, _positive_int, _quoted, _text, _unique
from core.importing.records import RecommendationRecord, RowProblem
from core.vocabulary import Mechanism, Position, upr_cycle_for_session

UPR_INFO_COLUMNS: tuple[str, ...] = (
    "To",
    "To-Rgrp",
    "To-Org",
    "Text",
    "From",
    "From-Rgrp",
    "From-Org",
    "Response",
    "Action",
    "Issue",
    "Session",
)
UPR_INFO_REQUIRED: tuple[str, ...] = (
    "To",
    "Text",
    "From",
    "Response",
    "Action",
    "Issue",
    "Session",
)

_UPR_INFO_RESPONSES: dict[str, Position] = {
    "accepted": Position.SUPPORTED,
    "supported": Position.SUPPORTED,
    "noted": Position.NOTED,
}


def _parse_upr_info(line: int, row: Row, language: str) -> Outcome:
    problems: list[str] = []

    state = _text(row.get("To"))
    if not state:
        problems.append("To is empty")
    text = _text(row.get("Text"))
    if not text:
        problems.append("Text is empty")

    position: Position | None = None
    response = _text(row.get("Response"))
    if response:
        position = _UPR_INFO_RESPONSES.get(response.casefold())
        if position is None:
            problems.append(f"Response {_quoted(response)} is not Accepted or Noted")

    action: int | None = None
    action_value = _text(row.get("Action"))
    if action_value:
        if action_value in {"1", "2", "3", "4", "5"}:
            action = int(action_value)
        else:
            problems.append(f"Action {_quoted(action_value)} is not a number from 1 to 5")

    session: int | None = None
    session_value = _text(row.get("Session"))
    if not session_value:
        problems.append("Session is empty")
    else:
        try:
            session = _positive_int(session_value)
        except ValueError:
            problems.append(f"Session {_quoted(session_value)} is not a number")

    if problems or session is None:
        return RowProblem(line, "; ".join(problems))

    recommending_state = _text(row.get("From"))
    region = _text(row.get("To-Rgrp"))
    return RecommendationRecord(
        line=line,
        text=text,
        state_under_review=state,
        mechanism=Mechanism.UPR,
        body="UPR",
        language=language,
        recommending_states=(recommending_state,) if recommending_state else (),
        position=position,
        themes=_unique(theme.strip() for theme in _text(row.get("Issue")).split(",")),
        upr_cycle=upr_cycle_for_session(session),
        upr_session=session,
        action_category=action,
        regions=(region,) if region else (),
    )
