"""Writing the exported bible (docs/CONTRACT.md §9) to GENESIS_EXPORT_URI: a folder, file:// or s3://."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import dagster as dg

from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.bible_markdown import render_bible_markdown

CONTENT_TYPES = {".json": "application/json", ".md": "text/markdown; charset=utf-8"}
REFUSED_CREDENTIALS = {
    "AccessDenied",
    "ExpiredToken",
    "InvalidAccessKeyId",
    "InvalidClientTokenId",
    "InvalidToken",
    "SignatureDoesNotMatch",
}


class ExportError(RuntimeError):
    """The bible could not be written (the work failed)."""


class ExportLocationError(ExportError):
    """The export location itself is wrong (a user mistake: bad usage)."""


class BoundedS3Resource(dg.ConfigurableResource):
    """The S3 client for exports: configured like dagster-aws's S3Resource, with connect/read
    timeouts and few retries, so an endpoint that does not answer fails an export within seconds
    (dagster-aws builds its client with a botocore Config holding retries only). The endpoint,
    region and credentials come from the usual AWS_* environment (AWS_ENDPOINT_URL included)
    when not set here. Not an S3Resource subclass: importing dagster-aws costs about 1 s and
    50 MB (boto3, and much of Dagster through its components), which every process that loads
    the code location would pay; boto3 is imported when an export goes to S3."""

    # S3Resource's fields and defaults, but for max_attempts (S3Resource: 5).
    use_unsigned_session: bool = False
    region_name: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 2  # the first attempt included (boto3's standard retry mode)
    profile_name: str | None = None
    use_ssl: bool = True
    verify: bool | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_session_token: str | None = None
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 20.0

    def get_client(self) -> Any:
        import boto3
        from botocore import UNSIGNED
        from botocore.config import Config

        config = Config(
            connect_timeout=self.connect_timeout_s,
            read_timeout=self.read_timeout_s,
            retries={"max_attempts": self.max_attempts, "mode": "standard"},
            signature_version=UNSIGNED if self.use_unsigned_session else None,
        )
        session = boto3.session.Session(profile_name=self.profile_name)
        return session.client(
            "s3",
            region_name=self.region_name,
            endpoint_url=self.endpoint_url,
            use_ssl=self.use_ssl,
            verify=self.verify,
            aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=self.aws_secret_access_key,
            aws_session_token=self.aws_session_token,
            config=config,
        )


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or "a/b", never with a leading or trailing slash

    @classmethod
    def parse(cls, uri: str) -> "S3Location":
        parsed = urlparse(uri)
        if not parsed.netloc:
            raise ExportLocationError(
                f"{uri!r} names no bucket: use s3://bucket or s3://bucket/prefix"
            )
        if parsed.query or parsed.fragment:
            raise ExportLocationError(f"{uri!r}: an S3 export location has no ?query or #fragment")
        prefix = "/".join(part for part in unquote(parsed.path).split("/") if part)
        return cls(bucket=parsed.netloc, prefix=prefix)

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def uri(self, name: str) -> str:
        return f"s3://{self.bucket}/{self.key(name)}"


def bible_files(document: BibleDocument) -> dict[str, str]:
    """File name → text of the two files an export writes."""
    return {
        f"{document.session_id}.json": json.dumps(
            document.model_dump(mode="json"), indent=2, ensure_ascii=False
        ),
        f"{document.session_id}.md": render_bible_markdown(document),
    }


def write_bible(document: BibleDocument, uri: str, *, s3: BoundedS3Resource | None = None) -> str:
    """Write `<session>.json` and `<session>.md` under `uri`; returns the JSON file's location.
    `s3` configures the client for s3:// locations (default: BoundedS3Resource())."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        folder = Path(unquote(parsed.path) if parsed.scheme else uri)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, text in bible_files(document).items():
                tmp = folder / f".{name}.tmp"
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(folder / name)  # readers never see half a bible
        except OSError as error:
            raise ExportError(f"cannot write the bible to {folder}: {error.strerror}") from error
        return (folder / f"{document.session_id}.json").resolve().as_uri()
    if parsed.scheme == "s3":
        return _write_s3(document, S3Location.parse(uri), s3 or BoundedS3Resource())
    raise ExportLocationError(
        f"unsupported export location {uri!r}: use a folder path, a file:// URI "
        "or s3://bucket/prefix"
    )


def _write_s3(document: BibleDocument, location: S3Location, s3: BoundedS3Resource) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    files = bible_files(document)
    json_name = f"{document.session_id}.json"
    # The JSON goes last: whoever finds it (genesis lint, a reader) finds the Markdown too.
    names = sorted(files, key=lambda name: name == json_name)
    endpoint = ""
    try:
        client = s3.get_client()
        endpoint = client.meta.endpoint_url
        for name in names:
            client.put_object(
                Bucket=location.bucket,
                Key=location.key(name),
                Body=files[name].encode("utf-8"),
                ContentType=CONTENT_TYPES[Path(name).suffix],
            )
    except (ClientError, BotoCoreError) as error:
        raise _s3_error(error, location, endpoint) from error
    return location.uri(json_name)


def _s3_error(error: Exception, location: S3Location, endpoint: str) -> ExportError:
    """One line saying what went wrong, for a person who has to fix their settings."""
    from botocore.exceptions import (
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ParamValidationError,
        PartialCredentialsError,
        ReadTimeoutError,
    )

    where = f"at {endpoint}" if endpoint else "(endpoint unknown)"
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("NoSuchBucket", "404"):
            return ExportError(f"S3 bucket {location.bucket!r} does not exist {where}")
        if code in REFUSED_CREDENTIALS or status == 403:
            return ExportError(
                f"S3 {where} refused the credentials for bucket {location.bucket!r} ({code}); "
                "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE"
            )
        message = str(error.response.get("Error", {}).get("Message", "")) or str(status)
        return ExportError(f"S3 {where} could not store the bible: {code}: {_one_line(message)}")
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return ExportError(
            f"no AWS credentials to write to s3://{location.bucket}: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"
        )
    if isinstance(error, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return ExportError(
            f"cannot reach S3 {where} (check AWS_ENDPOINT_URL and the network): "
            + _one_line(str(error))
        )
    if isinstance(error, ParamValidationError):
        return ExportLocationError(
            f"s3://{location.bucket}/{location.prefix} is not a valid S3 location: "
            + _one_line(str(error))
        )
    return ExportError(f"S3 {where} could not store the bible: {_one_line(str(error))}")


def _one_line(text: str) -> str:
    return " ".join(text.split())
