import json
import os
import subprocess
import sys

import pytest

from keras_gpt2.cli.main import main
from keras_gpt2.models.gpt2_causal_lm import GPT2CausalLM
from keras_gpt2.version import __version__
from tests.helpers import save_tiny_preset


@pytest.fixture(scope="module")
def preset(gpt2_tokenizer, tmp_path_factory):
    return save_tiny_preset(gpt2_tokenizer, tmp_path_factory.mktemp("cli") / "preset", 48)


def run_cli(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "keras_gpt2.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )


def test_help_and_usage_errors_do_not_import_tensorflow():
    code = (
        "import sys\n"
        "from keras_gpt2.cli.main import main\n"
        "for argv in (['--help'], ['generate', '--help'], ['generate', '--sampler', 'nope']):\n"
        "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
        "heavy = [m for m in ('tensorflow', 'jax', 'torch', 'keras') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "HEAVY []" in run.stdout
    assert "generate" in run.stdout and "export-tfjs" in run.stdout and "example:" in run.stdout


def test_version():
    run = run_cli("--version")
    assert run.stdout.strip() == f"keras-gpt2 {__version__}"


def test_every_subcommand_has_help_with_an_example():
    for command in (
        "generate",
        "train",
        "score",
        "tokenize",
        "export-tfjs",
        "import-tfjs",
        "serve-demo",
        "import-hf",
        "export-hf",
        "import-openai",
        "import-keras-hub",
    ):
        run = run_cli(command, "--help")
        assert run.returncode == 0 and "example:" in run.stdout, command


def test_errors_are_one_line_with_nonzero_exit(tmp_path):
    run = run_cli("generate", "hi", "--model", str(tmp_path / "missing"))
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "is not a preset directory" in run.stderr
    run = run_cli("generate", "--max-new-tokens", "many")
    assert run.returncode == 2 and "invalid int value" in run.stderr and "Traceback" not in run.stderr


def test_generate_streams_and_reads_stdin(preset, capsys):
    assert main(["generate", "To be", "--model", str(preset), "--max-new-tokens", "5", "--sampler", "greedy"]) == 0
    streamed = capsys.readouterr().out
    assert streamed.startswith("To be") and len(streamed.strip()) > len("To be")
    assert (
        main(
            ["generate", "To be", "--model", str(preset), "--max-new-tokens", "5", "--sampler", "greedy", "--no-stream"]
        )
        == 0
    )
    assert capsys.readouterr().out == streamed
    run = run_cli(
        "generate", "--model", str(preset), "--max-new-tokens", "3", "--sampler", "top_p", "--seed", "1", stdin="Hello"
    )
    assert run.returncode == 0 and run.stdout.startswith("Hello")


def test_a_bad_generation_setting_is_one_line_before_any_text(preset):
    run = run_cli("generate", "To be", "--model", str(preset), "--stop", "", "--min-new-tokens", "2")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip() == "keras-gpt2 generate: error: stop_strings must be non-empty strings, got ('',)"


def test_a_seed_gives_the_same_text_streamed_or_not(preset, capsys):
    command = ["generate", "To be", "--model", str(preset), "--max-new-tokens", "12", "--sampler", "top_p"]
    command += ["--seed", "7", "--repetition-penalty", "1.3", "--stop", "zzz"]
    texts = []
    for extra in ([], ["--no-stream"]):
        assert main(command + extra) == 0
        texts.append(capsys.readouterr().out)
    assert texts[0] == texts[1] and len(texts[0]) > len("To be\n")


def test_score_and_tokenize(preset, tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text("To be, or not to be, that is the question. " * 10)
    assert main(["score", str(text), "--model", str(preset)]) == 0
    output = capsys.readouterr().out
    perplexity = float(output.split("perplexity:")[1])
    assert 1000 < perplexity < 200000  # an untrained model is close to uniform over 50,257 tokens
    assert main(["tokenize", "Hello world"]) == 0
    assert capsys.readouterr().out.strip() == "15496 995"


def test_export_tfjs_with_demo_and_import_back(preset, tmp_path):
    assert main(["export-tfjs", str(preset), str(tmp_path / "web"), "--quantize", "float16", "--with-demo"]) == 0
    for name in ("model.json", "index.html", "demo.js", "keras_gpt2/index.js", "vendor/tf.min.js", "vocabulary.json"):
        assert (tmp_path / "web" / name).is_file(), name
    manifest = json.loads((tmp_path / "web" / "model.json").read_text())["weightsManifest"][0]
    assert manifest["weights"][0]["quantization"]["dtype"] == "float16"
    assert main(["import-tfjs", str(tmp_path / "web" / "model.json"), str(tmp_path / "back")]) == 0
    assert GPT2CausalLM.from_preset(tmp_path / "back").backbone.hidden_dim == 16
    assert main(["serve-demo", str(tmp_path / "nothing")]) == 2


# === Every error class: one line on stderr, exit code 2, nothing touched ===


def assert_refused(run, *fragments):
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("keras-gpt2 "), run.stderr
    assert "Traceback" not in run.stderr and "weights_only=False" not in run.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def folder_state(folder):
    return sorted((str(p.relative_to(folder)), p.read_bytes()) for p in folder.rglob("*") if p.is_file())


def test_destination_with_a_users_files_is_refused_and_untouched(preset, tmp_path):
    site = tmp_path / "public"
    site.mkdir()
    (site / "index.html").write_text("<h1>my site</h1>")
    for overwrite in ([], ["--overwrite"]):
        assert_refused(run_cli("export-tfjs", str(preset), str(site), *overwrite), str(site))
    assert folder_state(site) == [("index.html", b"<h1>my site</h1>")]
    before = folder_state(preset)
    assert_refused(run_cli("export-tfjs", str(preset), str(preset)), "source")
    assert_refused(run_cli("export-hf", str(preset), str(preset / "inside")), "source")
    assert folder_state(preset) == before


def test_import_into_its_own_source_is_refused(tmp_path):
    source = tmp_path / "hf"
    source.mkdir()
    (source / "config.json").write_text("{}")
    (source / "model.safetensors").write_bytes(b"\0" * 16)
    before = folder_state(source)
    assert_refused(run_cli("import-hf", str(source), str(source)), "source")
    assert folder_state(source) == before


def test_malformed_checkpoint_is_one_line_naming_file_and_field(tmp_path):
    source = tmp_path / "hf"
    source.mkdir()
    (source / "config.json").write_text('{"n_embd": "768", "n_layer": 1}')
    (source / "model.safetensors").write_bytes((8).to_bytes(8, "little") + b"{}      ")
    assert_refused(run_cli("import-hf", str(source), str(tmp_path / "out")), "config.json: n_embd: must be an integer")
    assert not (tmp_path / "out").exists()
    assert_refused(
        run_cli("import-tfjs", str(source / "nope.json"), str(tmp_path / "out")), "nope.json: does not exist"
    )


def test_hostile_manifest_path_is_refused(preset, tmp_path):
    assert main(["export-tfjs", str(preset), str(tmp_path / "web")]) == 0
    model_json = json.loads((tmp_path / "web" / "model.json").read_text())
    model_json["weightsManifest"][0]["paths"][0] = "../../etc/passwd"
    (tmp_path / "web" / "model.json").write_text(json.dumps(model_json))
    run = run_cli("import-tfjs", str(tmp_path / "web" / "model.json"), str(tmp_path / "back"))
    assert_refused(run, "weightsManifest[0].paths[0]: '../../etc/passwd' must be a plain relative file name")
    assert not (tmp_path / "back").exists()


def test_pickled_code_in_a_bin_is_refused_without_dangerous_advice(tmp_path):
    torch = pytest.importorskip("torch")
    source = tmp_path / "hf"
    source.mkdir()
    (source / "config.json").write_text(
        json.dumps({"vocab_size": 10, "n_layer": 1, "n_head": 1, "n_embd": 4, "n_positions": 4})
    )
    torch.save({"weight": Payload()}, source / "pytorch_model.bin")
    run = run_cli("import-hf", str(source), str(tmp_path / "out"))
    assert_refused(run, "pytorch_model.bin: holds Python objects other than tensors; refused")


class Payload:
    """Any class: unpickling it would import and run code, which weights_only refuses."""


def test_invalid_utf8_and_busy_port_and_debug(tmp_path):
    import socket

    run = subprocess.run(
        [sys.executable, "-m", "keras_gpt2.cli.main", "tokenize", b"caf\xe9"], capture_output=True, text=True
    )
    assert_refused(run, "text: is not valid UTF-8")
    (tmp_path / "index.html").write_text("x")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        run = run_cli("serve-demo", str(tmp_path), "--port", str(busy.getsockname()[1]))
    assert_refused(run, "cannot listen on 127.0.0.1")
    run = run_cli("--debug", "import-hf", str(tmp_path), str(tmp_path / "out"))
    assert run.returncode != 0 and "Traceback" in run.stderr
