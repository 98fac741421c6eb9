"""Schemathesis hooks for fuzzing /graphql (loaded by scripts/fuzz.ts through SCHEMATHESIS_HOOKS).

Schemathesis counts every resolver error as a server error; ours answer bad input with a seed 004
code. The check here fails on what is a server fault: a 5xx, INTERNAL_ERROR, or an error without
a seed 004 code. The custom scalars get strategies that mix valid and invalid values.
"""
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

CODES = {"VALIDATION_ERROR", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "RATE_LIMIT_EXCEEDED", "SERVICE_UNAVAILABLE"}

schemathesis.graphql.scalar(
    "Money",
    st.one_of(st.from_regex(r"\A\d{1,16}(\.\d{1,2})?\Z").map(nodes.String), st.text(max_size=24).map(nodes.String), st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float)),
)
schemathesis.graphql.scalar("Date", st.one_of(st.dates().map(lambda d: nodes.String(d.isoformat())), st.text(max_size=12).map(nodes.String)))
schemathesis.graphql.scalar("DateTime", st.one_of(st.datetimes().map(lambda d: nodes.String(d.isoformat() + "Z")), st.text(max_size=30).map(nodes.String)))
schemathesis.graphql.scalar(
    "OpportunityStage",
    st.one_of(st.sampled_from(["PROSPECTING", "qualification", "Proposal", "closed_won", "CLOSED_LOST"]), st.text(max_size=70)).map(nodes.String),
)


@schemathesis.check
def seed004_error_codes(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"server error {response.status_code}")
    body = response.json()
    for error in (body.get("errors") if isinstance(body, dict) else None) or []:
        code = (error.get("extensions") or {}).get("code")
        if code not in CODES:
            raise AssertionError(f"error without a seed 004 code (or an internal one): {code}: {error.get('message')}")
