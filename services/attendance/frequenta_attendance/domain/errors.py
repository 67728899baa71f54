"""Every error a use case raises on purpose, built in one place so codes and messages stay
consistent. Codes are those of docs/rules.md; ``field`` names the proto field at fault."""

from datetime import date, datetime

from frequenta_kit.errors import AlreadyExists, Conflict, InvalidInput, NotFound, Unauthenticated

# Plain input mistakes (shape, format, range): the gateway uses the same code for its own checks.
VALIDATION_ERROR = "VALIDATION_ERROR"


def invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(VALIDATION_ERROR, message, field=field)


def in_future(field: str, instant: datetime, latest: datetime) -> InvalidInput:
    return InvalidInput(
        "TIMESTAMP_IN_FUTURE",
        f"{field} {instant.isoformat()} is in the future (latest accepted: {latest.isoformat()})",
        field=field,
    )


def member_not_found(member_id: int) -> NotFound:
    return NotFound("MEMBER_NOT_FOUND", f"no member with id {member_id}", field="member_id")


def plan_not_found(plan_id: int) -> NotFound:
    return NotFound("PLAN_NOT_FOUND", f"no plan with id {plan_id}", field="plan_id")


def plan_inactive(plan_id: int, code: str) -> Conflict:
    return Conflict(
        "PLAN_INACTIVE", f"plan {plan_id} ({code}) is no longer offered", field="plan_id"
    )


def plan_code_taken(code: str) -> AlreadyExists:
    return AlreadyExists(
        "PLAN_CODE_ALREADY_EXISTS", f"a plan with code {code!r} already exists", field="code"
    )


def email_taken() -> AlreadyExists:
    return AlreadyExists(
        "EMAIL_ALREADY_REGISTERED",
        "this e-mail already belongs to a member (e-mails are compared ignoring case)",
        field="email",
    )


def already_cancelled(member_id: int, cancelled_at: datetime) -> Conflict:
    return Conflict(
        "ALREADY_CANCELLED",
        f"member {member_id}'s membership was already cancelled at {cancelled_at.isoformat()}",
        field="member_id",
    )


def cancellation_before_enrollment(enrolled_at: datetime) -> InvalidInput:
    return InvalidInput(
        "CANCELLATION_BEFORE_ENROLLMENT",
        f"the cancellation date is before the enrollment ({enrolled_at.isoformat()})",
        field="cancelled_at",
    )


def membership_cancelled(member_id: int, cancelled_at: datetime) -> Conflict:
    return Conflict(
        "MEMBERSHIP_CANCELLED",
        f"member {member_id}'s membership ended at {cancelled_at.isoformat()}; "
        "only visits before that can be recorded",
        field="entered_at",
    )


def before_enrollment(member_id: int, enrolled_at: datetime) -> Conflict:
    return Conflict(
        "BEFORE_ENROLLMENT",
        f"the entry is before member {member_id}'s enrollment ({enrolled_at.isoformat()})",
        field="entered_at",
    )


def exit_before_entry(entered_at: datetime) -> InvalidInput:
    return InvalidInput(
        "EXIT_BEFORE_ENTRY",
        f"the exit must be after the entry ({entered_at.isoformat()})",
        field="exited_at",
    )


def visit_too_long(max_hours: float) -> InvalidInput:
    return InvalidInput(
        "VISIT_TOO_LONG", f"a visit lasts at most {max_hours:g} hours", field="exited_at"
    )


def visit_already_open(visit_id: int, entered_at: datetime) -> Conflict:
    return Conflict(
        "VISIT_ALREADY_OPEN",
        f"visit {visit_id}, entered at {entered_at.isoformat()}, is still open; check out first",
        field="entered_at",
    )


def visit_overlaps(visit_id: int, entered_at: datetime, exited_at: datetime | None) -> Conflict:
    until = exited_at.isoformat() if exited_at else "no recorded exit"
    return Conflict(
        "VISIT_OVERLAPS",
        f"the visit overlaps visit {visit_id} ({entered_at.isoformat()} to {until})",
        field="entered_at",
    )


def visit_overlaps_unknown() -> Conflict:
    return Conflict(
        "VISIT_OVERLAPS",
        "another visit of this member was recorded at the same instant meanwhile",
        field="entered_at",
    )


def no_open_visit(member_id: int) -> Conflict:
    return Conflict("NO_OPEN_VISIT", f"member {member_id} has no open visit", field="member_id")


def idempotency_key_reused() -> InvalidInput:
    """The key names a stored check-in with other data: the request itself is wrong (422)."""
    return InvalidInput(
        "IDEMPOTENCY_KEY_REUSED",
        "this idempotency key was already used for a different check-in",
        field="idempotency_key",
    )


def idempotency_key_in_flight() -> Conflict:
    """Another request with this key is still being recorded: retry once it has answered."""
    return Conflict(
        "IDEMPOTENCY_KEY_IN_FLIGHT",
        "a check-in with this idempotency key is still being recorded; retry in a moment",
        field="idempotency_key",
    )


def overlaps_batch_row(
    code: str, row_number: int, entered_at: datetime, exited_at: datetime | None
) -> Conflict:
    """A bulk row colliding with an earlier row of the same batch (same codes as with a stored
    visit: VISIT_ALREADY_OPEN or VISIT_OVERLAPS)."""
    until = exited_at.isoformat() if exited_at else "no recorded exit"
    return Conflict(
        code,
        f"the visit overlaps row {row_number} of this batch ({entered_at.isoformat()} to {until})",
        field="entered_at",
    )


def job_not_found(job_id: str) -> NotFound:
    return NotFound("JOB_NOT_FOUND", f"no import job with id {job_id}", field="job_id")


def report_date_in_future(day: date, today: date) -> InvalidInput:
    return InvalidInput(
        "REPORT_DATE_IN_FUTURE",
        f"date {day.isoformat()} is after today ({today.isoformat()} in the gym's time zone)",
        field="date",
    )


def report_not_found(day: date) -> NotFound:
    return NotFound(
        "REPORT_NOT_FOUND",
        f"no daily report has been built for {day.isoformat()}; request one first",
        field="date",
    )


def stream_too_long(max_events: int) -> InvalidInput:
    return InvalidInput(
        "STREAM_TOO_LONG",
        f"a stream carries at most {max_events} events; the ones before were handled, "
        "send the rest in a new stream",
    )


def open_in_stream(index: int, entered_at: datetime) -> Conflict:
    return Conflict(
        "VISIT_ALREADY_OPEN",
        f"the visit entered at {entered_at.isoformat()} (event {index} of this stream) was "
        "still open at this entry; send its exit first",
        field="occurred_at",
    )


def note_after_erasure(member_id: int) -> Conflict:
    return Conflict(
        "PERSONAL_DATA_ERASED",
        f"member {member_id}'s personal data was erased on request; a cancellation of this "
        "member keeps no free-text note (send the reason code only)",
        field="note",
    )


def login_taken(login: str) -> AlreadyExists:
    return AlreadyExists(
        "LOGIN_ALREADY_EXISTS",
        f"a user with login {login!r} already exists (logins are compared ignoring case)",
        field="login",
    )


def invalid_credentials() -> Unauthenticated:
    return Unauthenticated("INVALID_CREDENTIALS", "wrong login or password")


def user_not_found(user_id: int) -> NotFound:
    return NotFound("USER_NOT_FOUND", f"no user with id {user_id}", field="user_id")
