"""The gRPC contracts in proto/ document themselves: every service, RPC, message, field, oneof,
enum and enum value carries a leading `// ...` comment, packages mirror their paths, and every
enum's zero value is the `_UNSPECIFIED` placeholder.

The check reads the descriptor set protoc builds with source info (the comments live there), so it
sees exactly what `make proto` compiles.
"""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc_tools
import pytest
from google.protobuf.descriptor_pb2 import (
    DescriptorProto,
    EnumDescriptorProto,
    FileDescriptorProto,
    FileDescriptorSet,
    ServiceDescriptorProto,
    SourceCodeInfo,
)

PROTO_ROOT = Path(__file__).resolve().parents[2] / "proto"
BUNDLED_PROTOS = Path(grpc_tools.__file__).parent / "_proto"

# Field numbers of the descriptor messages: the steps of a SourceCodeInfo.Location.path.
FILE_MESSAGE_TYPE = FileDescriptorProto.MESSAGE_TYPE_FIELD_NUMBER
FILE_ENUM_TYPE = FileDescriptorProto.ENUM_TYPE_FIELD_NUMBER
FILE_SERVICE = FileDescriptorProto.SERVICE_FIELD_NUMBER
MESSAGE_FIELD = DescriptorProto.FIELD_FIELD_NUMBER
MESSAGE_NESTED_TYPE = DescriptorProto.NESTED_TYPE_FIELD_NUMBER
MESSAGE_ENUM_TYPE = DescriptorProto.ENUM_TYPE_FIELD_NUMBER
MESSAGE_ONEOF = DescriptorProto.ONEOF_DECL_FIELD_NUMBER
ENUM_VALUE = EnumDescriptorProto.VALUE_FIELD_NUMBER
SERVICE_METHOD = ServiceDescriptorProto.METHOD_FIELD_NUMBER

SourcePath = tuple[int, ...]


def _proto_files() -> list[Path]:
    return sorted(PROTO_ROOT.rglob("*.proto"))


@pytest.fixture(scope="module")
def descriptor_set(tmp_path_factory: pytest.TempPathFactory) -> FileDescriptorSet:
    out = tmp_path_factory.mktemp("protos") / "descriptors.pb"
    files = [str(path.relative_to(PROTO_ROOT)) for path in _proto_files()]
    assert files, f"no .proto files under {PROTO_ROOT}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"--proto_path={PROTO_ROOT}",
            f"--proto_path={BUNDLED_PROTOS}",
            "--include_source_info",
            f"--descriptor_set_out={out}",
            *files,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"protoc failed:\n{result.stderr}"
    descriptors = FileDescriptorSet()
    descriptors.ParseFromString(out.read_bytes())
    # Without --include_imports the set holds exactly the files named on the command line.
    assert sorted(f.name for f in descriptors.file) == sorted(files)
    return descriptors


def _leading_comments(info: SourceCodeInfo) -> dict[SourcePath, str]:
    return {tuple(location.path): location.leading_comments for location in info.location}


def _enum_elements(
    enum: EnumDescriptorProto, path: SourcePath, scope: str
) -> Iterator[tuple[str, str, SourcePath]]:
    name = f"{scope}.{enum.name}"
    yield "enum", name, path
    for index, value in enumerate(enum.value):
        # protoc scopes values as siblings of their enum; naming the enum reads better.
        yield "enum value", f"{name}.{value.name}", (*path, ENUM_VALUE, index)


def _message_elements(
    message: DescriptorProto, path: SourcePath, scope: str
) -> Iterator[tuple[str, str, SourcePath]]:
    if message.options.map_entry:  # synthesized for map<,> fields: nothing to document
        return
    name = f"{scope}.{message.name}"
    yield "message", name, path
    for index, field in enumerate(message.field):
        yield "field", f"{name}.{field.name}", (*path, MESSAGE_FIELD, index)
    synthetic = {f.oneof_index for f in message.field if f.proto3_optional}
    for index, oneof in enumerate(message.oneof_decl):
        if index not in synthetic:  # `optional` fields get a hidden oneof of their own
            yield "oneof", f"{name}.{oneof.name}", (*path, MESSAGE_ONEOF, index)
    for index, nested in enumerate(message.nested_type):
        yield from _message_elements(nested, (*path, MESSAGE_NESTED_TYPE, index), name)
    for index, enum in enumerate(message.enum_type):
        yield from _enum_elements(enum, (*path, MESSAGE_ENUM_TYPE, index), name)


def _elements(file: FileDescriptorProto) -> Iterator[tuple[str, str, SourcePath]]:
    """(kind, full name, source path) of every documentable element of ``file``."""
    for index, service in enumerate(file.service):
        name = f"{file.package}.{service.name}"
        yield "service", name, (FILE_SERVICE, index)
        for position, method in enumerate(service.method):
            yield "rpc", f"{name}.{method.name}", (FILE_SERVICE, index, SERVICE_METHOD, position)
    for index, message in enumerate(file.message_type):
        yield from _message_elements(message, (FILE_MESSAGE_TYPE, index), file.package)
    for index, enum in enumerate(file.enum_type):
        yield from _enum_elements(enum, (FILE_ENUM_TYPE, index), file.package)


def _enums(file: FileDescriptorProto) -> Iterator[tuple[str, EnumDescriptorProto]]:
    def nested(message: DescriptorProto, scope: str) -> Iterator[tuple[str, EnumDescriptorProto]]:
        name = f"{scope}.{message.name}"
        for enum in message.enum_type:
            yield f"{name}.{enum.name}", enum
        for inner in message.nested_type:
            yield from nested(inner, name)

    for enum in file.enum_type:
        yield f"{file.package}.{enum.name}", enum
    for message in file.message_type:
        yield from nested(message, file.package)


def test_the_contracts_are_the_three_frequenta_packages(descriptor_set: FileDescriptorSet) -> None:
    packages = {file.package for file in descriptor_set.file}
    assert {"frequenta.attendance.v1", "frequenta.churn.v1", "frequenta.events.v1"} <= packages


def test_every_element_has_a_leading_comment(descriptor_set: FileDescriptorSet) -> None:
    missing = []
    checked = 0
    for file in descriptor_set.file:
        comments = _leading_comments(file.source_code_info)
        for kind, name, path in _elements(file):
            checked += 1
            if not comments.get(path, "").strip():
                missing.append(f"{kind} {name} ({file.name})")
    assert checked > 100, f"only {checked} elements found: is the source info there?"
    assert not missing, (
        f"{len(missing)} proto elements have no leading `// ...` comment saying what they mean:\n  "
        + "\n  ".join(missing)
    )


def test_packages_mirror_their_paths(descriptor_set: FileDescriptorSet) -> None:
    wrong = []
    for file in descriptor_set.file:
        expected = ".".join(Path(file.name).parent.parts)
        if file.package != expected:
            wrong.append(f"{file.name} declares package {file.package!r}, expected {expected!r}")
    assert not wrong, "\n".join(wrong)


def test_every_enum_starts_with_an_unspecified_zero_value(
    descriptor_set: FileDescriptorSet,
) -> None:
    wrong = []
    for file in descriptor_set.file:
        for name, enum in _enums(file):
            zero = [value.name for value in enum.value if value.number == 0]
            if not zero or not all(value.endswith("_UNSPECIFIED") for value in zero):
                wrong.append(f"{name}: zero value {zero or 'missing'}, expected *_UNSPECIFIED")
    assert not wrong, "\n".join(wrong)
