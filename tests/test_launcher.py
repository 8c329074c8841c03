"""The launcher's command lines (real adapter dirs made with peft) and the server process lifecycle."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pytest

from filingsum.core.config import RunConfig, ServeConfig
from filingsum.core.errors import FilingsumError
from filingsum.inference.adapters import adapter_rank, merged_model_dir
from filingsum.serving.commands import build_transformers_command, build_vllm_command, vllm_env
from filingsum.serving.launcher import choose_backend, prepare_server
from filingsum.serving.process import ServerProcess, ServerStartError


def _save_adapter(out: Path, r: int, *, template: bool = False) -> Path:
    from peft import LoraConfig, get_peft_model

    from filingsum.core.models import load_model

    model = load_model("tiny-random")
    peft_model = get_peft_model(model, LoraConfig(r=r, lora_alpha=2 * r, target_modules=["q_proj", "v_proj"]))
    peft_model.save_pretrained(out)
    if template:
        (out / "chat_template.jinja").write_text("{% for m in messages %}{{ m['content'] }}{% endfor %}")
    return out


@pytest.fixture(scope="module")
def adapters(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("adapters")
    return {"small": _save_adapter(root / "small", 8), "big": _save_adapter(root / "big", 24, template=True)}


def _flag(command: list[str], name: str) -> list[str]:
    """Values following a flag (up to the next --flag)."""
    i = command.index(name)
    values = []
    for item in command[i + 1:]:
        if item.startswith("--"):
            break
        values.append(item)
    return values


def test_vllm_command_reads_rank_and_serves_adapters_by_name(adapters):
    serve = ServeConfig(port=8123, tensor_parallel_size=2, data_parallel_size=3,
                        max_model_len=4096, extra_args=["--enforce-eager", "--seed", "7"])
    command = build_vllm_command(serve, "/models/base", adapters, python="/engine/bin/python", max_summary_tokens=512)
    assert command[:3] == ["/engine/bin/python", "-m", "vllm.entrypoints.openai.api_server"]
    assert _flag(command, "--model") == ["/models/base"]
    assert _flag(command, "--gpu-memory-utilization") == ["0.9"]
    assert "--enable-lora" in command
    # rank 24 (the larger adapter, read from its adapter_config.json) rounds up to vLLM's allowed 32
    assert json.loads((adapters["big"] / "adapter_config.json").read_text())["r"] == 24
    assert _flag(command, "--max-lora-rank") == ["32"]
    assert _flag(command, "--max-loras") == ["2"]
    assert sorted(_flag(command, "--lora-modules")) == sorted(f"{n}={p.resolve()}" for n, p in adapters.items())
    assert _flag(command, "--tensor-parallel-size") == ["2"]
    assert _flag(command, "--data-parallel-size") == ["3"]
    assert _flag(command, "--max-model-len") == ["4096"]
    assert json.loads(_flag(command, "--override-generation-config")[0]) == {"max_new_tokens": 512}
    assert _flag(command, "--chat-template") == [str(adapters["big"].resolve() / "chat_template.jinja")]
    assert command[-3:] == ["--enforce-eager", "--seed", "7"]  # extra args verbatim, last


def test_vllm_command_without_template_or_adapters(adapters):
    serve = ServeConfig(served_model_name="filingsum-merged")
    command = build_vllm_command(serve, "/models/merged", {}, max_summary_tokens=512)
    assert "--enable-lora" not in command and "--chat-template" not in command
    assert _flag(command, "--served-model-name") == ["filingsum-merged"]
    on_cpu = build_vllm_command(serve, "/models/merged", {}, served_model_name="tuned", device="cpu",
        max_summary_tokens=512)
    assert _flag(on_cpu, "--served-model-name") == ["tuned"] and "--gpu-memory-utilization" not in on_cpu
    assert "--enforce-eager" in on_cpu and "--enforce-eager" not in command  # eager on CPU only, by default
    compiled = build_vllm_command(ServeConfig(enforce_eager=False), "/m", {}, device="cpu", max_summary_tokens=512)
    assert "--enforce-eager" not in compiled
    only_small = build_vllm_command(ServeConfig(), "/m", {"small": adapters["small"]}, max_summary_tokens=512)
    assert _flag(only_small, "--max-lora-rank") == ["8"] and "--chat-template" not in only_small


def test_adapter_rank_and_run_dir_layout(adapters, tmp_path):
    assert adapter_rank(adapters["small"]) == 8
    run_dir = tmp_path / "run"
    (run_dir / "adapter").mkdir(parents=True)
    for f in adapters["small"].iterdir():
        (run_dir / "adapter" / f.name).write_bytes(f.read_bytes())
    assert adapter_rank(run_dir) == 8  # a training run dir resolves to its adapter/
    with pytest.raises(FilingsumError, match="adapter_config.json"):
        adapter_rank(tmp_path / "nothing-here")


def test_transformers_command_and_backend_choice():
    serve = ServeConfig(host="127.0.0.1", port=8999)
    command = build_transformers_command(serve, "/models/merged")
    assert command[:4] == [sys.executable, "-m", "transformers.cli.transformers", "serve"]
    assert command[4] == "/models/merged" and _flag(command, "--port") == ["8999"]
    assert choose_backend(ServeConfig(backend="transformers")) == "transformers"


def test_backend_choice_without_an_engine_names_what_is_missing(tmp_path, monkeypatch, caplog):
    """No engine anywhere: auto falls back with a warning naming every candidate; vllm is an error."""
    import importlib.util

    import filingsum.serving.engine as engine

    assert importlib.util.find_spec("vllm") is None, "the project venv has no vLLM (it lives in .venv-vllm)"
    project_python = sys.executable
    monkeypatch.setattr(engine, "project_engine_pythons", lambda: [tmp_path / ".venv-vllm" / "bin" / "python"])
    monkeypatch.delenv("FILINGSUM_VLLM_PYTHON", raising=False)
    monkeypatch.setattr(engine.sys, "executable", str(tmp_path / "no-python"))
    engine.probe_python.cache_clear()
    try:
        with caplog.at_level("WARNING"):
            assert choose_backend(ServeConfig(backend="auto")) == "transformers"
        assert ".venv-vllm/bin/python: no such file" in caplog.text and "make setup-vllm" in caplog.text
        with pytest.raises(FilingsumError, match="vLLM unavailable"):
            choose_backend(ServeConfig(backend="vllm"))
        # a configured interpreter that cannot import vLLM (the project's own) is an error, not a silent skip
        with pytest.raises(FilingsumError, match=r"serve.vllm_python: import vllm failed .*No module named"):
            choose_backend(ServeConfig(backend="auto", vllm_python=project_python))
    finally:
        engine.probe_python.cache_clear()


def test_vllm_env_sets_cpu_cache_and_respects_the_user():
    serve = ServeConfig(cpu_kvcache_gib=3)
    assert vllm_env(serve, "cpu", {})["VLLM_CPU_KVCACHE_SPACE"] == "3"
    assert "VLLM_CPU_KVCACHE_SPACE" not in vllm_env(serve, "cuda", {})
    assert "VLLM_CPU_KVCACHE_SPACE" not in vllm_env(serve, "cpu", {"VLLM_CPU_KVCACHE_SPACE": "8"})
    assert vllm_env(serve, "cpu", {})["VLLM_NO_USAGE_STATS"] == "1"


def test_transformers_backend_merges_the_adapter(adapters, tmp_path, monkeypatch):
    monkeypatch.setenv("FILINGSUM_CACHE", str(tmp_path / "cache"))
    config = RunConfig.model_validate({
        "model": {"name": "tiny-random"},
        "serve": {"backend": "transformers", "adapters": {"a": str(adapters["small"])}},
        "train": {"output_dir": str(tmp_path / "run")},
    })
    server = prepare_server(config)
    merged = Path(server.model_names[0])
    assert server.command[4] == str(merged) and (merged / "config.json").is_file()
    assert not (merged / "adapter_config.json").exists()  # a plain model dir, as transformers serve needs
    assert merged_model_dir(adapters["small"]) == merged  # cached by adapter hash
    two = config.model_copy(deep=True)
    two.serve.adapters = {"a": str(adapters["small"]), "b": str(adapters["big"])}
    with pytest.raises(FilingsumError, match="one model"):
        prepare_server(two)


def test_wait_ready_reports_an_exiting_process_with_its_log(tmp_path):
    server = ServerProcess(
        command=[sys.executable, "-c", "import sys; print('boom: bad flag'); sys.exit(3)"],
        host="127.0.0.1", port=9, model_names=["x"], backend="transformers", log_path=tmp_path / "s.log",
    )
    with pytest.raises(ServerStartError, match=r"(?s)status 3.*boom: bad flag"):
        server.wait_ready(timeout=30)


def test_stop_escalates_to_sigkill(tmp_path):
    ignore_term = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                   "print('armed' + '!', flush=True); time.sleep(60)")
    server = ServerProcess(
        command=[sys.executable, "-c", ignore_term], host="127.0.0.1", port=9, model_names=["x"],
        backend="transformers", log_path=tmp_path / "s.log", grace_s=1.0,
    )
    server.start()
    import time

    deadline = time.monotonic() + 20
    while "armed!" not in server.log_tail() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.stop() == -signal.SIGKILL


@pytest.mark.slow
def test_transformers_server_starts_answers_and_stops(tmp_path):
    import httpx
    from _serving_helpers import tiny_server

    with tiny_server(tmp_path) as server:
        assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/v1")
        response = httpx.post(f"{server.base_url}/chat/completions", timeout=60, json={
            "model": server.model_names[0], "max_tokens": 4, "messages": [{"role": "user", "content": "hi"}],
        })
        assert response.status_code == 200 and response.json()["usage"]["completion_tokens"] == 4
        process = server.process
    assert process.poll() is not None  # stopped on exit


def test_vllm_command_makes_the_runs_repetition_penalty_the_server_default():
    command = build_vllm_command(ServeConfig(), "/m", {}, max_summary_tokens=300, repetition_penalty=1.15)
    overrides = json.loads(_flag(command, "--override-generation-config")[0])
    assert overrides == {"max_new_tokens": 300, "repetition_penalty": 1.15}
    plain = build_vllm_command(ServeConfig(), "/m", {}, max_summary_tokens=300)
    assert json.loads(_flag(plain, "--override-generation-config")[0]) == {"max_new_tokens": 300}


def test_vllm_serves_in_the_dtype_eval_generates_in():
    """model.dtype reaches vLLM; auto is float32 on CPU (as HF loads it there), vLLM's choice on a GPU."""
    on_cpu = build_vllm_command(ServeConfig(), "/m", {}, device="cpu", max_summary_tokens=64)
    assert _flag(on_cpu, "--dtype") == ["float32"]
    on_gpu = build_vllm_command(ServeConfig(), "/m", {}, device="cuda", max_summary_tokens=64)
    assert "--dtype" not in on_gpu
    pinned = build_vllm_command(ServeConfig(), "/m", {}, device="cuda", max_summary_tokens=64, dtype="bfloat16")
    assert _flag(pinned, "--dtype") == ["bfloat16"]


def test_vllm_cpu_binding_is_chosen_from_the_machine_and_the_user_wins(monkeypatch):
    import filingsum.serving.commands as launcher

    assert launcher.cpu_reserved_cores("auto", cores=2, load1=0.2) == 0  # quiet 2-core box: compute on both
    assert launcher.cpu_reserved_cores("auto", cores=2, load1=3.0) is None  # busy: vLLM's default
    assert launcher.cpu_reserved_cores("auto", cores=64, load1=0.0) is None
    monkeypatch.setattr(launcher, "cpu_reserved_cores", lambda setting: 0)
    assert vllm_env(ServeConfig(), "cpu", {})["VLLM_CPU_NUM_OF_RESERVED_CPU"] == "0"
    assert "VLLM_CPU_NUM_OF_RESERVED_CPU" not in vllm_env(ServeConfig(), "cpu", {"VLLM_CPU_NUM_OF_RESERVED_CPU": "1"})
    assert "VLLM_CPU_NUM_OF_RESERVED_CPU" not in vllm_env(ServeConfig(), "cuda", {})
    monkeypatch.setattr(launcher, "cpu_reserved_cores", lambda setting: None)
    assert "VLLM_CPU_NUM_OF_RESERVED_CPU" not in vllm_env(ServeConfig(), "cpu", {})
    assert ServeConfig(cpu_reserved_cores=1).cpu_reserved_cores == 1


def test_runtime_lora_switch_builds_a_server_that_loads_adapters_after_start(adapters, tmp_path, monkeypatch):
    """serve.runtime_lora: vLLM's runtime-loading switch in the environment, LoRA on with room for a later
    adapter's rank, adapters by name (never merged), and a clear error when merged weights are demanded."""
    from filingsum.core.errors import UsageError
    from filingsum.serving import launcher
    from filingsum.serving.engine import VllmEngine

    bare = build_vllm_command(ServeConfig(runtime_lora=True), "/m", {}, device="cuda", max_summary_tokens=64)
    assert "--enable-lora" in bare and _flag(bare, "--max-lora-rank") == ["64"] and _flag(bare, "--max-loras") == ["1"]
    assert "--lora-modules" not in bare  # nothing to load at start: adapters arrive through the API
    assert "--enable-lora" not in build_vllm_command(ServeConfig(), "/m", {}, device="cuda", max_summary_tokens=64)
    pinned = build_vllm_command(ServeConfig(runtime_lora=True, max_lora_rank=32, max_loras=4), "/m",
                                {"small": adapters["small"]}, device="cuda", max_summary_tokens=64)
    assert _flag(pinned, "--max-lora-rank") == ["32"] and _flag(pinned, "--max-loras") == ["4"]
    assert _flag(pinned, "--lora-modules") == [f"small={adapters['small'].resolve()}"]
    assert vllm_env(ServeConfig(runtime_lora=True), "cuda", {})["VLLM_ALLOW_RUNTIME_LORA_UPDATING"] == "True"
    assert "VLLM_ALLOW_RUNTIME_LORA_UPDATING" not in vllm_env(ServeConfig(), "cuda", {})

    monkeypatch.setenv("FILINGSUM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(launcher, "choose_engine", lambda serve: VllmEngine("/engine/bin/python", "0.32.0", "cpu", "t"))
    config = RunConfig.model_validate({
        "model": {"name": "tiny-random"}, "train": {"output_dir": str(tmp_path / "run")},
        "serve": {"runtime_lora": True, "adapters": {"small": str(adapters["small"])}},
    })
    server = prepare_server(config)  # on CPU, where one adapter would otherwise be merged
    assert server.weights == "adapter" and "small" in server.model_names
    assert server.env["VLLM_ALLOW_RUNTIME_LORA_UPDATING"] == "True"
    config.serve.lora = "merged"
    with pytest.raises(UsageError, match="runtime_lora"):
        prepare_server(config)


def test_load_adapter_posts_vllms_runtime_route_and_explains_a_refusal():
    from _fake_openai import FakeOpenAI

    from filingsum.core.errors import UsageError
    from filingsum.inference.endpoint import load_adapter

    answers = iter([(200, None, {}), (200, None, {}), (404, {"detail": "Not Found"}, {}),
                    (400, {"message": "The lora adapter 'new' has already been loaded."}, {})])
    with FakeOpenAI(respond=lambda body: next(answers)) as server:
        load_adapter(server.base_url, "new", "/srv/adapters/new", api_key="k")
        load_adapter(server.base_url, "new", "", unload=True)
        assert server.bodies == [{"lora_name": "new", "lora_path": "/srv/adapters/new"}, {"lora_name": "new"}]
        with pytest.raises(UsageError, match="serve.runtime_lora=true"):
            load_adapter(server.base_url, "new", "/srv/adapters/new")
        with pytest.raises(UsageError, match="HTTP 400: .*already been loaded"):
            load_adapter(server.base_url.removesuffix("/v1"), "new", "/srv/adapters/new")


def _never_ready(tmp_path: Path) -> ServerProcess:
    """A server process that starts and never answers /health (a vLLM still loading)."""
    from filingsum.serving.ports import free_port

    return ServerProcess(command=[sys.executable, "-c", "import time; time.sleep(600)"], host="127.0.0.1",
                         port=free_port(), model_names=["m"], backend="vllm", log_path=tmp_path / "serve.log",
                         startup_timeout_s=300, grace_s=2)


def test_sigterm_during_start_up_stops_serve_and_its_server(tmp_path, monkeypatch, capsys):
    """A service manager's stop (SIGTERM) while the server is still starting ends `filingsum serve` at once
    and takes the server process with it, instead of waiting minutes for it to become ready."""
    import os
    import threading
    import time

    from filingsum.cli.serve import serve_forever
    from filingsum.serving import launcher

    server = _never_ready(tmp_path)
    monkeypatch.setattr(launcher, "prepare_server", lambda *a, **k: server)
    config = RunConfig.model_validate({"model": {"name": "tiny-random"}, "train": {"output_dir": str(tmp_path / "run")},
                                       "serve": {"port": server.port}})
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    started = time.monotonic()
    try:
        status = serve_forever(config)
    finally:
        timer.cancel()
    assert status == 0 and time.monotonic() - started < 60
    assert server.process is not None and server.process.poll() is not None  # the child was stopped
    assert "server stopped" in capsys.readouterr().err


def test_a_killed_parent_takes_its_server_with_it(tmp_path):
    """kill -9 of the command that started a server (no cleanup code runs) still ends the server: the child
    asks the kernel for SIGTERM when its parent dies (PR_SET_PDEATHSIG)."""
    import subprocess
    import time

    import psutil

    script = (
        "import sys, time; from pathlib import Path; from filingsum.serving.process import ServerProcess; "
        f"s = ServerProcess(command=[sys.executable, '-c', 'import time; time.sleep(600)'], host='127.0.0.1', "
        f"port=1, model_names=['m'], backend='vllm', log_path=Path({str(tmp_path / 'serve.log')!r})); "
        "import filingsum.serving.process as l; l.check_port = lambda *a: None; s.start(); "
        "print(s.process.pid, flush=True); time.sleep(600)"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = psutil.Process(int(parent.stdout.readline()))
    assert child.is_running()
    parent.kill()
    parent.wait(timeout=30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    else:
        child.kill()
        raise AssertionError("the server outlived the process that started it")


def test_a_killed_parent_takes_a_server_that_ignores_sigterm_and_its_children_with_it(tmp_path):
    """The probe: kill -9 of `filingsum serve` while vLLM started left its API server and engine core running
    (vLLM ignores SIGTERM during start-up; the engine core is a grandchild). The watchdog ends the whole group,
    then removes the server's private socket dir."""
    import subprocess
    import time

    import psutil

    server = ("import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
              "subprocess.Popen([sys.executable, '-c', 'import signal, time; "
              "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)']); time.sleep(600)")
    script = (
        "import sys, time; from pathlib import Path; from filingsum.serving.process import ServerProcess; "
        f"s = ServerProcess(command=[sys.executable, '-c', {server!r}], host='127.0.0.1', port=1, "
        f"model_names=['m'], backend='vllm', log_path=Path({str(tmp_path / 'serve.log')!r}), grace_s=2); "
        "import filingsum.serving.process as l; l.check_port = lambda *a: None; s.start(); "
        "print(s.process.pid, s.rpc_dir, flush=True); time.sleep(600)"
    )
    env = {k: v for k, v in os.environ.items() if k != "VLLM_RPC_BASE_PATH"}
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    pid, rpc_dir = parent.stdout.readline().split()
    leader = psutil.Process(int(pid))
    deadline = time.monotonic() + 30
    while not leader.children() and time.monotonic() < deadline:
        time.sleep(0.1)
    group = [leader, *leader.children(recursive=True)]
    assert len(group) == 2
    parent.kill()
    parent.wait(timeout=30)
    gone, alive = psutil.wait_procs(group, timeout=20)
    for p in alive:
        p.kill()
    assert not alive, f"{len(alive)} server process(es) outlived the process that started them"
    # its private socket dir goes with it (the seventh probe found one left after kill -9 of `serve`)
    deadline = time.monotonic() + 20
    while Path(rpc_dir).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not Path(rpc_dir).exists(), rpc_dir


def test_a_full_fine_tuning_run_serves_its_own_weights(tmp_path):
    """The probe: `serve` of a train.method: full run served the untuned base without a word."""
    from filingsum.core.models import load_model

    run = tmp_path / "run"
    load_model("tiny-random").save_pretrained(run / "model")
    config = RunConfig.model_validate({"model": {"name": "tiny-random"}, "train": {"output_dir": str(run)},
                                       "serve": {"backend": "transformers"}})
    server = prepare_server(config)
    assert server.model_names == [str(run / "model")] and str(run / "model") in server.command


def test_transformers_server_lists_its_model_on_a_machine_without_a_hub_cache(tmp_path, monkeypatch):
    """Probe 3 (F12): `transformers serve` scans the Hugging Face hub cache for /v1/models and answered 500 where
    that dir did not exist, so `summarize` without --model could not find the model or its contract."""
    import httpx
    from _serving_helpers import tiny_server

    hub = tmp_path / "hf-home" / "hub"
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    with tiny_server(tmp_path) as server:
        response = httpx.get(f"{server.base_url}/models", timeout=60)
        assert response.status_code == 200, response.text[:500]
    assert hub.is_dir()
