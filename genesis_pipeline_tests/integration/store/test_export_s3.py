"""Bible export to s3://bucket/prefix against a real S3-compatible server (moto, own process)."""

import json
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from genesis_pipeline.defs.resources import BibleExporter
from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.stages import STAGE_ORDER
from genesis_pipeline.store.export import (
    BoundedS3Resource,
    ExportError,
    ExportLocationError,
    bible_files,
    write_bible,
)
from genesis_pipeline_tests.integration.test_cli import PREMISE, cli  # noqa: F401 - `cli` is a fixture
from genesis_pipeline_tests.support.s3_server import moto_s3_server
from genesis_pipeline_tests.unit.gates import samples

REGION = "eu-west-1"


def use_s3(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    """The AWS_* environment an operator sets; nothing else tells the exporter where S3 is."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "genesis-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "genesis-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A boto3 client on the test server, addressed explicitly, to set up and read back."""
    use_s3(monkeypatch, s3_endpoint)
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)


def new_bucket(s3: Any) -> str:
    bucket = f"bibles-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    return bucket


def read_object(s3: Any, bucket: str, key: str) -> tuple[str, str]:
    found = s3.get_object(Bucket=bucket, Key=key)
    return found["Body"].read().decode("utf-8"), found["ContentType"]


def test_exports_json_and_markdown_under_the_prefix(s3: Any) -> None:
    bucket = new_bucket(s3)
    document = samples.bible_document()

    location = write_bible(document, f"s3://{bucket}/some/prefix")

    assert location == f"s3://{bucket}/some/prefix/{document.session_id}.json"
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == [
        f"some/prefix/{document.session_id}.json",
        f"some/prefix/{document.session_id}.md",
    ]
    text, content_type = read_object(s3, bucket, f"some/prefix/{document.session_id}.json")
    assert content_type == "application/json"
    assert BibleDocument.model_validate_json(text) == document
    assert json.loads(text)["session_id"] == document.session_id
    assert text == bible_files(document)[f"{document.session_id}.json"]
    markdown, content_type = read_object(s3, bucket, f"some/prefix/{document.session_id}.md")
    assert content_type.startswith("text/markdown")
    assert markdown.startswith("#")
    assert document.concept.candidates[document.concept.selected].title in markdown


@pytest.mark.parametrize(
    ("suffix", "prefix"),
    [("", ""), ("/", ""), ("/shelf/", "shelf/"), ("/a//b", "a/b/")],
)
def test_the_prefix_is_optional_and_slashes_do_not_matter(
    s3: Any, suffix: str, prefix: str
) -> None:
    bucket = new_bucket(s3)
    document = samples.bible_document()
    location = write_bible(document, f"s3://{bucket}{suffix}")
    key = f"{prefix}{document.session_id}.json"
    assert location == f"s3://{bucket}/{key}"
    assert BibleDocument.model_validate_json(read_object(s3, bucket, key)[0]) == document


def test_the_exporter_resource_takes_its_s3_settings_from_config(
    s3: Any, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = new_bucket(s3)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # would fail if it were used
    exporter = BibleExporter(
        export_uri=f"s3://{bucket}/configured",
        s3=BoundedS3Resource(endpoint_url=s3_endpoint, region_name=REGION),
    )
    location = exporter.write_bible(samples.bible_document())
    assert location == f"s3://{bucket}/configured/saltmere-light-01.json"
    assert read_object(s3, bucket, "configured/saltmere-light-01.md")[0].startswith("#")


def test_a_missing_bucket_is_named_in_one_line(s3: Any, s3_endpoint: str) -> None:
    with pytest.raises(ExportError) as raised:
        write_bible(samples.bible_document(), "s3://no-such-bucket-here/prefix")
    message = str(raised.value)
    assert "'no-such-bucket-here' does not exist" in message
    assert s3_endpoint in message
    assert "\n" not in message
    assert not isinstance(raised.value, ExportLocationError)


def test_refused_credentials_are_reported_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    with moto_s3_server(check_credentials=True) as endpoint:
        use_s3(monkeypatch, endpoint)
        with pytest.raises(ExportError) as raised:
            write_bible(samples.bible_document(), "s3://bibles/prefix")
    message = str(raised.value)
    assert "refused the credentials" in message
    assert "InvalidAccessKeyId" in message
    assert "\n" not in message


def test_no_credentials_at_all_is_a_clear_error(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    use_s3(monkeypatch, s3_endpoint)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance metadata lookup
    with pytest.raises(ExportError, match="no AWS credentials to write to s3://bibles"):
        write_bible(samples.bible_document(), "s3://bibles/prefix")


def test_an_unreachable_endpoint_fails_within_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    use_s3(monkeypatch, closed)
    started = time.monotonic()
    with pytest.raises(ExportError, match=f"cannot reach S3 at {closed}"):
        write_bible(samples.bible_document(), "s3://bibles/prefix")
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("uri", ["s3://", "s3:///prefix", "s3://bucket/p?x=1"])
def test_a_malformed_s3_uri_is_a_location_error(uri: str) -> None:
    with pytest.raises(ExportLocationError, match="s3://"):
        write_bible(samples.bible_document(), uri)


def test_cli_export_to_a_missing_bucket_exits_1_with_one_line(
    cli: Any,  # noqa: F811
    s3: Any,
    tmp_path: Any,
) -> None:
    assert cli("run", "--premise", PREMISE, "--session-id", "glass-s3").exit_code == 0

    failed = cli("export", "glass-s3", "--to", "s3://no-such-bucket-here/bibles")
    assert failed.exit_code == 1
    assert failed.stdout == ""
    assert failed.stderr.strip().splitlines() == [
        failed.stderr.strip()  # exactly one line
    ]
    assert "'no-such-bucket-here' does not exist" in failed.stderr
    assert "Traceback" not in failed.output

    bad_usage = cli("export", "glass-s3", "--to", "s3://")
    assert bad_usage.exit_code == 2
    assert "names no bucket" in bad_usage.stderr

    bucket = new_bucket(s3)
    exported = cli("export", "glass-s3", "--to", f"s3://{bucket}/bibles/")
    assert exported.exit_code == 0, exported.output
    assert f"s3://{bucket}/bibles/glass-s3.json" in exported.stdout
    local = (tmp_path / "home" / "exports" / "glass-s3.json").read_text()
    assert read_object(s3, bucket, "bibles/glass-s3.json")[0] == local


@pytest.mark.slow
def test_a_whole_session_exports_its_bible_to_the_export_uri(
    cli: Any,  # noqa: F811
    s3: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    bucket = new_bucket(s3)
    monkeypatch.setenv("GENESIS_EXPORT_URI", f"s3://{bucket}/genesis/bibles")

    result = cli("run", "--premise", PREMISE, "--session-id", "glass-s3-run")

    assert result.exit_code == 0, result.output
    assert f"bible: s3://{bucket}/genesis/bibles/glass-s3-run.json" in result.output
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == [
        "genesis/bibles/glass-s3-run.json",
        "genesis/bibles/glass-s3-run.md",
    ]
    text = read_object(s3, bucket, "genesis/bibles/glass-s3-run.json")[0]
    document = BibleDocument.model_validate_json(text)
    assert (document.session_id, document.premise) == ("glass-s3-run", PREMISE)
    assert set(document.versions) == set(STAGE_ORDER)
    assert not (tmp_path / "home" / "exports").exists()  # nothing went to the local default


def test_a_folder_that_cannot_be_written_is_one_line_too(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the export folder should be")
    with pytest.raises(ExportError, match=r"cannot write the bible to .*not-a-folder"):
        write_bible(samples.bible_document(), str(blocker / "bibles"))
