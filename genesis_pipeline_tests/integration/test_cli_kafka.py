"""The Kafka-facing `genesis` commands against the real broker: what they publish, what they
follow, and their exit codes. A thread stands in for the pipeline where one has to answer."""

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from genesis_pipeline.cli import main
from genesis_pipeline.cli.dev_stack import loopback_port
from genesis_pipeline.cli.event_lines import describe, progress_line
from genesis_pipeline.domain.events import Envelope, EventType, new_event
from genesis_pipeline.domain.inbound import COMMAND_TYPES, FEEDBACK_TYPES
from genesis_pipeline.domain.session import ReviewMode, SessionSpec
from genesis_pipeline.messaging.codec import decode, encode
from genesis_pipeline.messaging.dlq import DETAIL_HEADER, REASON_HEADER
from genesis_pipeline.messaging.kafka import KafkaConfig, OutMessage
from genesis_pipeline.messaging.local_broker import free_port
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.service import handlers
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline_tests.support import waiting
from genesis_pipeline_tests.support.kafka_topics import read_topic
from genesis_pipeline_tests.support.metrics import scrape
from genesis_pipeline_tests.support.production_stack import request_sessions

PREMISE = "A lighthouse keeper on a drowned coast finds a map that redraws itself every tide"

Answer = Callable[[Envelope], list[Envelope]]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GENESIS_DATABASE_URL", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def publish(kafka: KafkaConfig, topic: Topic, *events: Envelope) -> None:
    messages = [
        OutMessage(topic=kafka.topic(topic), key=e.session_id.encode(), value=encode(e))
        for e in events
    ]
    asyncio.run(kafka.publish(messages))


def answer_event(
    request: Envelope, event_type: EventType, payload: dict[str, Any] | None = None
) -> Envelope:
    """An event of the requested session, as the pipeline would publish it."""
    return new_event(
        event_type,
        session_id=request.session_id,
        correlation_id=request.correlation_id,
        causation_id=request.event_id,
        payload=payload or {},
    )


def stranger(session_id: str, event_type: EventType, payload: dict[str, Any]) -> Envelope:
    """An event of some other session (or of an earlier session under the same id)."""
    return new_event(
        event_type, session_id=session_id, correlation_id=str(uuid.uuid4()), payload=payload
    )


class FakePipeline(threading.Thread):
    """Waits for the first session request on genesis.commands and answers it on genesis.events."""

    def __init__(self, kafka: KafkaConfig, answer: Answer) -> None:
        super().__init__(daemon=True)
        self.kafka, self.answer = kafka, answer
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            [request] = read_topic(self.kafka, Topic.COMMANDS, at_least=1)[:1]
            envelope = Envelope.model_validate_json(request.value or b"")
            publish(self.kafka, Topic.EVENTS, *self.answer(envelope))
        except BaseException as error:  # surfaced by the test through `finish`
            self.error = error

    def finish(self) -> None:
        self.join(timeout=15)
        assert not self.is_alive() and self.error is None, self.error


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


# ---- publishing -------------------------------------------------------------------------------


def test_session_new_publishes_one_valid_request_keyed_by_session(cli, kafka):
    result = cli(
        "session", "new", "--premise", PREMISE, "--genre", "fantasy", "--audience", "adult",
        "--language", "de", "--review-mode", "human", "--priority", "3", "--max-attempts", "2",
        "--session-id", "lighthouse-01",
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    [record] = read_topic(kafka, Topic.COMMANDS, at_least=1)
    assert record.key == b"lighthouse-01"
    inbound = decode(record.value, accepted={EventType.SESSION_REQUESTED})
    assert inbound.session_id == "lighthouse-01"
    assert inbound.payload == SessionSpec(
        premise=PREMISE,
        genre="fantasy",
        audience="adult",
        language="de",
        review_mode=ReviewMode.HUMAN,
        priority=3,
        max_attempts=2,
    )
    uuid.UUID(inbound.envelope.correlation_id)
    assert "lighthouse-01" in result.stdout and inbound.event_id in result.stdout


def test_session_new_makes_a_session_id_from_the_premise(cli, kafka):
    assert cli("session", "new", "--premise", PREMISE).exit_code == 0
    [record] = read_topic(kafka, Topic.COMMANDS, at_least=1)
    inbound = decode(record.value, accepted=COMMAND_TYPES)
    assert inbound.session_id.startswith("a-lighthouse-keeper-on-")
    assert record.key == inbound.session_id.encode()
    assert inbound.payload == SessionSpec(premise=PREMISE)  # the contract's defaults


def test_publishing_works_against_a_broker_without_idempotent_producer(cli, kafka, monkeypatch):
    # The local broker refuses InitProducerId; a terminal next to `genesis dev` has no
    # GENESIS_KAFKA_IDEMPOTENCE=false, and the commands must work there all the same.
    monkeypatch.setenv("GENESIS_KAFKA_IDEMPOTENCE", "true")
    assert cli("feedback", "moon-01", "concept", "accept").exit_code == 0
    assert len(read_topic(kafka, Topic.FEEDBACK, at_least=1)) == 1


def test_feedback_and_dynamic_requests_go_to_the_feedback_topic(cli, kafka):
    assert cli("feedback", "moon-01", "story", "modify", "--instructions", "Darker.").exit_code == 0
    assert cli("feedback", "moon-01", "story_bible", "accept").exit_code == 0
    added = ("add-character", "moon-01", "--role", "rival", "--description", "A smuggler")
    assert cli(*added, "--name", "Ada").exit_code == 0
    world = ("add-world-element", "moon-01", "--kind", "faction", "--description", "Tide priests")
    assert cli(*world).exit_code == 0

    found = read_topic(kafka, Topic.FEEDBACK, at_least=4)
    assert [r.key for r in found] == [b"moon-01"] * 4
    decoded = [decode(r.value, accepted=FEEDBACK_TYPES) for r in found]
    assert [(d.event_type, d.payload.model_dump(mode="json")) for d in decoded] == [
        (
            EventType.FEEDBACK_SUBMITTED,
            {"stage": "story", "action": "modify", "instructions": "Darker."},
        ),
        (
            EventType.FEEDBACK_SUBMITTED,
            {"stage": "story_bible", "action": "accept", "instructions": None},
        ),
        (
            EventType.CHARACTER_REQUESTED,
            {"role": "rival", "description": "A smuggler", "name": "Ada"},
        ),
        (
            EventType.WORLDVIEW_ELEMENT_REQUESTED,
            {"kind": "faction", "description": "Tide priests"},
        ),
    ]
    assert read_topic(kafka, Topic.COMMANDS) == []


def test_lifecycle_commands_go_to_the_commands_topic(cli, kafka):
    assert cli("session", "pause", "moon-01", "--reason", "lunch").exit_code == 0
    assert cli("session", "resume", "moon-01", "--budget-tokens", "250000").exit_code == 0
    assert cli("session", "resume", "moon-01").exit_code == 0
    assert cli("session", "cancel", "moon-01").exit_code == 0

    found = read_topic(kafka, Topic.COMMANDS, at_least=4)
    assert [r.key for r in found] == [b"moon-01"] * 4
    decoded = [decode(r.value, accepted=COMMAND_TYPES) for r in found]
    assert [(d.event_type, d.payload.model_dump(mode="json")) for d in decoded] == [
        (EventType.SESSION_PAUSE_REQUESTED, {"reason": "lunch"}),
        (EventType.SESSION_RESUME_REQUESTED, {"budget_tokens": 250_000}),
        (EventType.SESSION_RESUME_REQUESTED, {"budget_tokens": None}),
        (EventType.SESSION_CANCEL_REQUESTED, {"reason": None}),
    ]


def test_feedback_carries_the_sessions_correlation_id_when_the_store_knows_it(cli, kafka, tmp_path):
    (tmp_path / "home").mkdir()
    store = GenesisStore(f"sqlite:///{tmp_path / 'home' / 'genesis.db'}")
    assert handlers.create_session(
        store.unit_of_work(), "known-01", SessionSpec(premise=PREMISE), correlation_id="corr-1"
    )

    assert cli("feedback", "known-01", "concept", "accept").exit_code == 0
    assert cli("feedback", "unknown-01", "concept", "accept").exit_code == 0
    known, unknown = (
        decode(r.value, accepted=FEEDBACK_TYPES).envelope
        for r in read_topic(kafka, Topic.FEEDBACK, at_least=2)
    )
    assert known.correlation_id == "corr-1"
    assert unknown.correlation_id != "corr-1"
    uuid.UUID(unknown.correlation_id)


BAD_INPUT = [
    (["session", "new", "--premise", ""], "premise"),
    (["session", "new", "--premise", "x" * 4001], "premise"),
    (["session", "new", "--premise", "ok", "--review-mode", "maybe"], "review_mode"),
    (["session", "new", "--premise", "ok", "--priority", "11"], "priority"),
    (["session", "new", "--premise", "ok", "--max-attempts", "0"], "max_attempts"),
    (["session", "new", "--premise", "ok", "--session-id", "Bad [b]Id!"], "invalid session id"),
    (["session", "new", "--premise", "ok", "--wait", "--timeout", "0"], "--timeout"),
    (["feedback", "moon-01", "nope", "accept"], "unknown stage 'nope'; expected one of: concept"),
    (["feedback", "moon-01", "concept", "modify"], "instructions are required"),
    (["feedback", "moon-01", "concept", "approve"], "action"),
    (["feedback", "Moon 01", "concept", "accept"], "invalid session id"),
    (["add-character", "moon-01", "--role", "", "--description", "x"], "role"),
    (["add-world-element", "moon-01", "--kind", "city", "--description", "x"], "kind"),
    (["events", "tail", "--session", "Bad!"], "invalid session id"),
    (["events", "tail", "--max-events", "0"], "--max-events"),
    (["session", "new", "--premise", "ok", "--budget-tokens", "0"], "budget_tokens"),
    (["session", "resume", "moon-01", "--budget-tokens", "-5"], "budget_tokens"),
    (["session", "pause", "Moon 01"], "invalid session id"),
    (["session", "cancel", "moon-01", "--reason", "x" * 2001], "reason"),
]


def test_bad_input_exits_2_with_one_line_and_publishes_nothing(cli, kafka):
    for args, message in BAD_INPUT:
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert message in one_line(result.stderr), args
    assert read_topic(kafka, Topic.COMMANDS) == [] and read_topic(kafka, Topic.FEEDBACK) == []


def test_a_malformed_setting_exits_2_naming_the_variable(cli, kafka, monkeypatch):
    monkeypatch.setenv("GENESIS_KAFKA_TIMEOUT_S", "soon")
    result = cli("session", "new", "--premise", PREMISE)
    assert result.exit_code == 2
    assert "GENESIS_KAFKA_TIMEOUT_S" in one_line(result.stderr)
    monkeypatch.delenv("GENESIS_KAFKA_TIMEOUT_S")
    for prices, problem in [
        ("{not json", "GENESIS_MODEL_PRICES: not valid JSON"),
        ('{"gpt-x": {"input": 1}}', "GENESIS_MODEL_PRICES: gpt-x.output: Field required"),
    ]:
        monkeypatch.setenv("GENESIS_MODEL_PRICES", prices)
        result = cli("status", "moon-01")
        assert result.exit_code == 2 and problem in one_line(result.stderr), result.stderr
        assert "Traceback" not in result.output


def test_consume_refuses_to_race_the_sensors_with_one_line(cli, kafka, monkeypatch):
    monkeypatch.delenv("GENESIS_KAFKA_ENTRY", raising=False)
    result = cli("consume")
    assert result.exit_code == 2
    assert "GENESIS_KAFKA_ENTRY=consumer" in one_line(result.stderr)


def test_a_broker_that_is_down_fails_with_a_one_line_reason(cli, monkeypatch):
    down = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("GENESIS_KAFKA_BOOTSTRAP", down)
    monkeypatch.setenv("GENESIS_KAFKA_TIMEOUT_S", "2")
    monkeypatch.setenv("GENESIS_KAFKA_IDEMPOTENCE", "false")
    for args in (
        ["session", "new", "--premise", PREMISE, "--session-id", "moon-01"],
        ["feedback", "moon-01", "concept", "accept"],
        ["events", "tail"],
    ):
        result = cli(*args)
        assert result.exit_code == 1, args
        assert down in one_line(result.stderr)


# ---- session new --wait -----------------------------------------------------------------------


def wait_for(cli, kafka, answer: Answer, *args: str, review: str = "auto") -> Result:
    pipeline = FakePipeline(kafka, answer)
    pipeline.start()
    result = cli(
        "session", "new", "--premise", PREMISE, "--session-id", "moon-01", "--review-mode",
        review, "--wait", "--timeout", "30", *args,
    )  # fmt: skip
    pipeline.finish()
    return result


@pytest.fixture
def earlier_endings(kafka) -> None:
    """Endings already on the topic that must not end the wait: another session's, and one of
    an earlier session that used the same id (another correlation id)."""
    publish(
        kafka,
        Topic.EVENTS,
        stranger("other-01", EventType.SESSION_COMPLETED, {"bible_location": "/old/other.json"}),
        stranger("moon-01", EventType.SESSION_COMPLETED, {"bible_location": "/old/moon.json"}),
        stranger("moon-01", EventType.STAGE_FAILED, {"stage": "story", "attempts": 3}),
    )


def test_wait_shows_progress_and_exits_0_when_the_session_completes(cli, kafka, earlier_endings):
    def answer(request: Envelope) -> list[Envelope]:
        bible = {"bible_location": "/exports/moon-01.json", "bible_version": 1}
        return [
            answer_event(request, EventType.SESSION_CREATED, {"premise": PREMISE}),
            answer_event(request, EventType.STAGE_STARTED, {"stage": "concept", "attempt": 1}),
            answer_event(
                request,
                EventType.QUALITY_CHECK_COMPLETED,
                {
                    "stage": "concept",
                    "version": 1,
                    "score": 0.5,
                    "threshold": 0.75,
                    "passed": False,
                    "findings": [{"field": "hook", "problem": "too vague"}],
                },
            ),
            answer_event(
                request,
                EventType.STAGE_REWRITE_REQUESTED,
                {
                    "stage": "concept",
                    "reason": "quality",
                    "next_attempt": 2,
                    "instructions": ["Fix hook: too vague"],
                },
            ),
            answer_event(
                request,
                EventType.STAGE_COMPLETED,
                {"stage": "concept", "version": 2, "quality_score": 0.9},
            ),
            answer_event(
                request,
                EventType.CONTENT_APPROVED,
                {"stage": "concept", "version": 2, "approved_by": "writer"},
            ),
            answer_event(request, EventType.SESSION_COMPLETED, bible),
        ]

    result = wait_for(cli, kafka, answer, review="human")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (
        "concept started (attempt 1)",
        "quality 0.50 (threshold 0.75) failed (1 finding(s): hook: too vague)",
        "concept rewrite requested (quality), attempt 2 next — Fix hook: too vague",
        "concept completed v2 (quality 0.90)",
        "approve it: genesis feedback moon-01 concept accept",
        "concept v2 approved by writer",
        "bible: /exports/moon-01.json",
    ):
        assert expected in out, expected
    assert "/old/" not in out


@pytest.mark.parametrize(
    ("ending", "message"),
    [
        (EventType.STAGE_FAILED, "session moon-01 needs attention: stage worldview failed"),
        (EventType.SESSION_CANCELLED, "session moon-01 was cancelled: changed my mind"),
    ],
)
def test_wait_exits_1_when_the_session_fails_or_is_cancelled(
    cli, kafka, earlier_endings, ending, message
):
    def answer(request: Envelope) -> list[Envelope]:
        payload = {"stage": "worldview", "attempts": 3, "error_class": "quality_gate_failed",
                   "message": "still vague", "reason": "changed my mind"}  # fmt: skip
        return [
            answer_event(request, EventType.STAGE_STARTED, {"stage": "worldview", "attempt": 3}),
            answer_event(request, ending, payload),
        ]

    result = wait_for(cli, kafka, answer)
    assert result.exit_code == 1, result.output
    assert message in one_line(result.stderr)
    assert "worldview started (attempt 3)" in result.stdout


def test_wait_exits_1_with_the_reason_when_the_request_is_dead_lettered(cli, kafka):
    def answer(request: Envelope) -> list[Envelope]:
        headers = ((REASON_HEADER, b"not_allowed_in_state"), (DETAIL_HEADER, b"already exists"))
        dead = OutMessage(
            topic=kafka.topic(Topic.DLQ), key=b"moon-01", value=encode(request), headers=headers
        )
        asyncio.run(kafka.publish([dead]))
        return []

    result = wait_for(cli, kafka, answer)
    assert result.exit_code == 1, result.output
    assert "rejected the request (not_allowed_in_state): already exists" in result.stderr


def test_wait_gives_up_after_the_timeout_with_exit_1(cli, kafka, earlier_endings):
    args = ("session", "new", "--premise", PREMISE, "--session-id", "moon-01")
    result = cli(*args, "--wait", "--timeout", "2")
    assert result.exit_code == 1
    assert "no end of session moon-01 within 2s" in one_line(result.stderr)


# ---- events tail ------------------------------------------------------------------------------


@pytest.fixture
def three_events(kafka) -> list[Envelope]:
    events = [
        stranger("moon-01", EventType.STAGE_STARTED, {"stage": "concept", "attempt": 1}),
        stranger("other-01", EventType.STAGE_STARTED, {"stage": "story", "attempt": 1}),
        stranger("moon-01", EventType.STAGE_COMPLETED, {"stage": "concept", "version": 1}),
    ]
    for event in events:
        # One batch each: Tansu reports the end of a partition as the base offset of its last
        # batch + 1, so after a batch of three, "from the end" would replay two of them.
        publish(kafka, Topic.EVENTS, event)
    return events


def test_tail_from_beginning_prints_the_sessions_events(cli, three_events):
    args = ("events", "tail", "--from-beginning", "--session", "moon-01", "--max-events", "2")
    result = cli(*args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert "moon-01 genesis.stage.started  concept started (attempt 1)" in lines[0]
    assert "moon-01 genesis.stage.completed  concept completed v1" in lines[1]


def test_tail_json_prints_each_event_as_one_json_line(cli, three_events):
    result = cli("events", "tail", "--from-beginning", "--json", "--max-events", "3")
    assert result.exit_code == 0, result.output
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [p["event_id"] for p in printed] == [e.event_id for e in three_events]


@pytest.mark.parametrize("event_type", list(EventType))
def test_every_event_reads_as_one_line_whatever_its_payload(event_type):
    odd = {"stage": "[bold]x", "findings": "not a list", "score": "high", "instructions": [1]}
    for payload in ({}, odd):
        screen = Console(file=io.StringIO(), width=1000)
        screen.print(describe(stranger("moon-01", event_type, payload)))  # valid markup
        shown = screen.file.getvalue()
        assert shown.count("\n") == 1
        if payload and event_type is EventType.STAGE_STARTED:
            assert "[bold]x started" in shown  # the producer's text, shown as it is
    assert progress_line(stranger("moon-01", EventType.AGENT_TASK_COMPLETED, {})) is None


def test_tail_starts_at_new_events_by_default(cli, kafka, three_events):
    stop = threading.Event()

    def keep_publishing() -> None:  # until the tail has seen one: no guess at when it started
        while not stop.wait(0.3):
            publish(kafka, Topic.EVENTS, stranger("moon-01", EventType.SESSION_RESUMED, {}))

    publisher = threading.Thread(target=keep_publishing, daemon=True)
    publisher.start()
    try:
        result = cli("events", "tail", "--max-events", "1", "--timeout", "20")
    finally:
        stop.set()
        publisher.join()
    assert result.exit_code == 0
    [line] = result.stdout.splitlines()
    assert "genesis.session.resumed" in line


def subprocess_env(**values: str) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONWARNINGS": "ignore", **values}


GENESIS = [sys.executable, "-c", "from genesis_pipeline.cli import main; main()"]


def test_tail_stops_cleanly_on_ctrl_c(kafka):
    tail = subprocess.Popen(
        [*GENESIS, "events", "tail"],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        # publish until the tail prints one: then it is surely inside its follow loop
        printed = threading.Event()
        reader = threading.Thread(
            target=lambda: (tail.stdout and tail.stdout.readline(), printed.set()), daemon=True
        )
        reader.start()
        deadline = time.monotonic() + 30
        while not printed.wait(0.3) and time.monotonic() < deadline:
            publish(kafka, Topic.EVENTS, stranger("moon-01", EventType.SESSION_RESUMED, {}))
        assert printed.is_set()
        tail.send_signal(signal.SIGINT)
        _, stderr = tail.communicate(timeout=20)
    finally:
        tail.kill()
    assert tail.returncode == 0
    assert b"Traceback" not in stderr


# ---- genesis dev ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bootstrap", "port"),
    [
        ("127.0.0.1:9092", 9092),
        ("localhost:19092", 19092),
        ("127.0.0.2:9092", 9092),
        ("[::1]:9092", None),  # the local broker listens on 127.0.0.1 only
        ("kafka.internal:9092", None),
        ("10.0.0.5:9092", None),
        ("127.0.0.1:9092,127.0.0.1:9093", None),
        ("127.0.0.1", None),
    ],
)
def test_a_local_broker_stands_in_only_for_one_loopback_address(bootstrap, port):
    assert loopback_port(bootstrap) == port


def descendants(pid: int) -> set[int]:
    """The processes below `pid`, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def running(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def answers_http(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture
def dev_home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    project = Path(__file__).resolve().parents[2]
    (home / "dagster.yaml").write_text((project / "dagster_home" / "dagster.yaml").read_text())
    yield home


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_dev_starts_broker_and_dagster_and_ctrl_c_stops_everything(dev_home):
    from genesis_pipeline.messaging.local_broker import answers

    broker, ui, metrics = f"127.0.0.1:{free_port()}", free_port(), free_port()
    env = subprocess_env(
        DAGSTER_HOME=str(dev_home), GENESIS_KAFKA_BOOTSTRAP=broker, GENESIS_TOPIC_PREFIX="dev."
    )
    env.pop("GENESIS_DATABASE_URL", None)
    project = Path(__file__).resolve().parents[2]
    dev = subprocess.Popen(
        [*GENESIS, "dev", "--port", str(ui), "--metrics-port", str(metrics)],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output: list[bytes] = []
    drain = threading.Thread(target=lambda: output.extend(dev.stdout or []), daemon=True)
    drain.start()
    try:
        deadline = time.monotonic() + 120
        while not (answers(broker) and answers_http(f"http://127.0.0.1:{ui}/server_info")):
            assert dev.poll() is None, b"".join(output).decode()
            assert time.monotonic() < deadline, b"".join(output).decode(errors="replace")
            time.sleep(0.5)
        started = descendants(dev.pid)
        # broker, dagster dev, webserver, daemon, genesis consume (+ code servers)
        assert len(started) >= 5

        # A request over Kafka is read by `genesis consume`, which submits its run.
        kafka = KafkaConfig(bootstrap=broker, topic_prefix="dev.", idempotence=False)
        request_sessions(kafka, ["dev-session-1"], PREMISE)
        instance = dg.DagsterInstance.from_config(str(dev_home))
        run = waiting.wait_for(
            "the session's run",
            lambda: instance.get_run_records(
                dg.RunsFilter(tags={"genesis/session": "dev-session-1"})
            ),
            90,
            watched=dev,
        )[0].dagster_run
        assert run.tags["dagster/run_key"].startswith("session:")
        assert "dagster/sensor_name" not in run.tags  # not the commands sensor's
        # Its `genesis consume` serves the metrics, its own figures with the deployment's.
        url = f"http://127.0.0.1:{metrics}/metrics"
        served = waiting.wait_for(
            "the submitted run in the metrics",
            lambda: (m := scrape(url))["genesis_runs_submitted_total"][()] == 1 and m,
            30,
            watched=dev,
        )
        assert ("topic", "dev.genesis.commands") in set(sum(served["genesis_consumer_lag"], ()))
        assert "genesis_outbox_backlog" in served

        dev.send_signal(signal.SIGINT)
        assert dev.wait(timeout=120) == 0
    finally:
        if dev.poll() is None:  # the test failed: stop the stack in order, or what is left
            dev.send_signal(signal.SIGINT)
            try:
                dev.wait(timeout=120)
            except subprocess.TimeoutExpired:
                for pid in [dev.pid, *descendants(dev.pid)]:
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
        drain.join(timeout=10)
    text = b"".join(output).decode(errors="replace")
    assert f"local Tansu at {broker}" in text and f"http://127.0.0.1:{ui}" in text
    assert "read by `genesis consume`" in text
    assert f"metrics at http://127.0.0.1:{metrics}/metrics" in text
    assert "Traceback" not in text
    assert not answers(broker)
    assert not answers(f"127.0.0.1:{ui}")
    assert [pid for pid in started if running(pid)] == []
