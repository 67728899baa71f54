"""deploy/k8s/: every manifest against the Kubernetes schemas of a pinned version (offline,
kubernetes-validate, strict: unknown fields refused), every kustomization's references, and the
rules of the issue: probes, restricted security context, graceful termination, autoscaling."""

import copy

import kubernetes_validate
import pytest
from deploy_support import (
    K8S_DIR,
    K8S_VERSION,
    base_resources,
    documents,
    kustomizations,
    load_yaml,
    manifest_files,
    procfile_commands,
)

from frequenta_attendance.settings import AttendanceSettings
from frequenta_kit.metrics import DEFAULT_METRICS_PORTS

GRPC_PORTS = {"attendance": 50051, "churn": 50052}
# Pods whose shutdown ends with a preStop pause: the ones behind a Service.
SERVERS = {*GRPC_PORTS, "gateway"}


def validation_errors(document: dict) -> list[str]:
    try:
        kubernetes_validate.validate(document, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'/'.join(map(str, error.path))}: {error.message}"]
    return []


def all_manifests() -> list[tuple[str, dict]]:
    return [
        (f"{path.relative_to(K8S_DIR)}:{document['kind']}/{document['metadata']['name']}", document)
        for path in manifest_files()
        for document in documents(path)
    ]


def containers(name: str) -> dict:
    (container,) = base_resources("Deployment")[name]["spec"]["template"]["spec"]["containers"]
    return container


@pytest.mark.parametrize(("where", "manifest"), all_manifests(), ids=lambda value: str(value))
def test_manifest_follows_the_kubernetes_schema(where: str, manifest: dict) -> None:
    assert validation_errors(manifest) == [], where


def test_the_schema_check_rejects_broken_manifests() -> None:
    deployment = base_resources("Deployment")["gateway"]
    typo = copy.deepcopy(deployment)
    typo["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"grpc": {"port": 1}}
    wrong_type = copy.deepcopy(deployment)
    wrong_type["spec"]["replicas"] = "two"
    assert "readinesProbe" in " ".join(validation_errors(typo))
    assert "spec/replicas" in " ".join(validation_errors(wrong_type))


def kustomization_problems(folder, spec: dict) -> list[str]:
    """What a kustomization in ``folder`` names that does not exist (in the base)."""
    problems = []
    for entry in spec.get("resources", []):
        target = (folder / entry).resolve()
        if not (target.is_file() or (target / "kustomization.yaml").is_file()):
            problems.append(f"resource {entry} does not exist")
    for patch in spec.get("patches", []):
        if "path" in patch:
            if not (folder / patch["path"]).is_file():
                problems.append(f"patch {patch['path']} does not exist")
                continue
            (patched,) = documents(folder / patch["path"])
            kind, name = patched["kind"], patched["metadata"]["name"]
            if name not in base_resources(kind):
                problems.append(f"{patch['path']} patches no {kind} {name}")
        else:  # an inline patch: its target must select something
            kind, name = patch["target"]["kind"], patch["target"].get("name")
            if not base_resources(kind) or (name and name not in base_resources(kind)):
                problems.append(f"inline patch of no {kind} {name or ''}".rstrip())
    for entry in spec.get("replicas", []):
        if entry["name"] not in base_resources("Deployment"):
            problems.append(f"replicas of no Deployment {entry['name']}")
    used = {containers(name)["image"] for name in base_resources("Deployment")}
    for image in spec.get("images", []):
        if used != {image["name"]}:
            problems.append(f"image {image['name']} is not the Deployments' {sorted(used)}")
    return problems


@pytest.mark.parametrize("kustomization", kustomizations(), ids=lambda p: str(p.parent.name))
def test_kustomization_references_exist(kustomization) -> None:
    assert kustomization_problems(kustomization.parent, load_yaml(kustomization)) == []


def test_broken_kustomization_references_are_found(tmp_path) -> None:
    spec = {
        "resources": ["gone.yaml"],
        "patches": [{"path": "missing-patch.yaml"}, {"target": {"kind": "CronJob"}}],
        "replicas": [{"name": "outbox-relay", "count": 1}],
        "images": [{"name": "frequenta-old", "newTag": "1"}],
    }
    assert kustomization_problems(tmp_path, spec) == [
        "resource gone.yaml does not exist",
        "patch missing-patch.yaml does not exist",
        "inline patch of no CronJob",
        "replicas of no Deployment outbox-relay",
        "image frequenta-old is not the Deployments' ['frequenta']",
    ]


def test_every_manifest_file_is_listed_by_a_kustomization() -> None:
    listed = {
        (kustomization.parent / entry).resolve()
        for kustomization in kustomizations()
        for entry in [
            *load_yaml(kustomization).get("resources", []),
            *(
                patch["path"]
                for patch in load_yaml(kustomization).get("patches", [])
                if "path" in patch
            ),
        ]
    }
    assert [path for path in manifest_files() if path.resolve() not in listed] == []


def test_pods_run_restricted() -> None:
    workloads = {**base_resources("Deployment"), **base_resources("Job")}
    assert workloads.keys() == procfile_commands().keys() | {"migrate"}
    for name, workload in workloads.items():
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], name
            assert container["resources"]["requests"] and container["resources"]["limits"], name


def test_grpc_services_have_native_grpc_probes_and_a_service() -> None:
    services = base_resources("Service")
    for name, port in GRPC_PORTS.items():
        container = containers(name)
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"] == {"port": port}, (name, probe)
        ports = {p["name"]: p for p in services[name]["spec"]["ports"]}
        assert ports["grpc"]["port"] == port and ports["grpc"]["appProtocol"] == "grpc"


def test_the_gateway_probes_its_health_routes() -> None:
    container = containers("gateway")
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    (port,) = base_resources("Service")["gateway"]["spec"]["ports"]
    assert port["port"] == 8000


def test_metrics_ports_are_the_processes_own() -> None:
    for name, port in DEFAULT_METRICS_PORTS.items():
        deployment = base_resources("Deployment")[name]
        ports = {p["name"]: p["containerPort"] for p in containers(name)["ports"]}
        assert ports["metrics"] == port, name
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(port), name


def test_termination_outlasts_the_shutdown_grace() -> None:
    """Kubernetes kills a pod terminationGracePeriodSeconds after SIGTERM: that must cover the
    preStop pause, the processes' drain (FREQUENTA_SHUTDOWN_GRACE_SECONDS) and the gateway's
    closing of its channels (the same grace again)."""
    config = base_resources("ConfigMap")["frequenta-config"]["data"]
    grace = float(config["FREQUENTA_SHUTDOWN_GRACE_SECONDS"])
    assert grace == AttendanceSettings.model_fields["shutdown_grace_seconds"].default
    for name, deployment in base_resources("Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        pre_stop = (
            pod["containers"][0].get("lifecycle", {}).get("preStop", {}).get("sleep", {})
        ).get("seconds", 0)
        assert (pre_stop > 0) == (name in SERVERS), name
        assert pod["terminationGracePeriodSeconds"] >= pre_stop + 2 * grace, name


def test_autoscalers_and_disruption_budgets_target_deployments() -> None:
    deployments = base_resources("Deployment")
    autoscalers = base_resources("HorizontalPodAutoscaler")
    assert {"gateway", "churn-projection", "ingest-worker", "reports-worker"} <= autoscalers.keys()
    for name, hpa in autoscalers.items():
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] == name
        assert hpa["spec"]["minReplicas"] <= deployments[name]["spec"]["replicas"]
    for name, pdb in base_resources("PodDisruptionBudget").items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items(), name
        assert deployments[name]["spec"]["replicas"] >= 2, f"{name}: a budget of one pod"
