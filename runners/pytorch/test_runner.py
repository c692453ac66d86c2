"""Tests of nvitprof_runner.py: its math against arch/blocks' (a fixture GoMLX
computed), its timing arithmetic on a fake clock, and the protocol as
nvitprof reads it. Run: /usr/bin/python3 -m unittest discover runners/pytorch
"""

import importlib.util
import json
import math
import os
import struct
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "nvitprof_runner.py")
FIXTURE = os.path.join(HERE, "testdata", "blocks.safetensors")

spec = importlib.util.spec_from_file_location("nvitprof_runner", SCRIPT)
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)

try:
    import torch  # noqa: F401 - only to know whether the torch tests can run
    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False
needs_torch = unittest.skipUnless(HAVE_TORCH, "torch is not installed for %s" % sys.executable)

# max|got - want| <= TOLERANCE * max|want|, float32 against float32: the bound
# arch/blocks' own tests hold float32 to against a float64 reference.
TOLERANCE = 1e-5


def load_torch():
    if runner.torch is None:
        runner.load_torch(runner.parse_args(["--device", "cpu", "--threads", "1"]))


def read_safetensors(path):
    """Tensors (float32 only) and metadata of a safetensors file: an 8-byte
    little-endian header length, a JSON header, then raw little-endian data."""
    import torch
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise ValueError("%s: dtype %s, want F32" % (name, info["dtype"]))
        lo, hi = info["data_offsets"]
        values = struct.unpack("<%df" % ((hi - lo) // 4), body[lo:hi])
        tensors[name] = torch.tensor(values, dtype=torch.float32).reshape(info["shape"])
    return tensors, meta


def rel_err(got, want):
    return float((got - want).abs().max() / want.abs().max())


@needs_torch
class BlocksMath(unittest.TestCase):
    """The runner's modules on arch/blocks' weights give arch/blocks' outputs."""

    @classmethod
    def setUpClass(cls):
        load_torch()
        cls.tensors, meta = read_safetensors(FIXTURE)
        cls.cases = json.loads(meta["cases"])

    def compute(self, case, sdpa=False):
        """The runner's output for a fixture case and its input."""
        name, kind = case["name"], case["kind"]
        t, prefix = self.tensors, name + "/"
        x = t[name + "/input"]
        if kind in ("attn", "mlp", "block"):
            b = dict(case["block"])
            b.setdefault("heads", 0)
            attn_p = runner.from_blocks("attn", t, prefix) if kind != "mlp" else None
            mlp_p = runner.from_blocks("mlp", t, prefix) if kind != "attn" else None
            if kind == "attn":
                b["mlp"] = 0
            if kind == "mlp":
                b["heads"] = 0
            return x, runner.block(x, attn_p, mlp_p, b, sdpa)
        s = case["spec"]
        g = runner.Geometry({"image": s["image"], "patch": s["patch"], "channels": s["channels"],
                             "classes": s["classes"], "tokens": (s["image"] // s["patch"]) ** 2 + s["extra_tokens"]})
        blocks = []
        for i, b in enumerate(s["blocks"]):
            bp = "%sblock_%02d/" % (prefix, i)
            blocks.append((b, runner.from_blocks("attn", t, bp) if b["heads"] else None,
                           runner.from_blocks("mlp", t, bp) if b["mlp"] else None))
        return x, runner.model(x, runner.from_blocks("rest", t, prefix, g), g, blocks, sdpa)

    def check(self, sdpa):
        import torch
        for case in self.cases:
            with self.subTest(case=case["name"]), torch.inference_mode():
                x, got = self.compute(case, sdpa)
                want = self.tensors[case["name"] + "/output"]
                self.assertEqual(tuple(got.shape), tuple(want.shape))
                if case["kind"] == "model":
                    err = rel_err(got, want)
                else:
                    err = rel_err(got - x, want - x)  # the sub-block's part, not the residual
                self.assertLessEqual(err, TOLERANCE, "relative error %.3g" % err)

    def test_eager_equals_blocks(self):
        self.check(sdpa=False)

    def test_sdpa_equals_blocks(self):
        """The SDPA path passes q, k and v in the layout and scale SDPA takes.
        On PyTorch 1.13, which has no SDPA, a stand-in with SDPA's documented
        math (softmax(q·kᵀ/√E)·v over the last two axes) checks the call."""
        import torch
        F = runner.F
        if not hasattr(F, "scaled_dot_product_attention"):
            class WithSDPA:
                def __getattr__(self, name):
                    return getattr(F, name)

                @staticmethod
                def scaled_dot_product_attention(q, k, v):
                    return torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1) @ v
            runner.F = WithSDPA()
        try:
            self.check(sdpa=True)
        finally:
            runner.F = F

    def test_tolerance_tells_gelu_variants_apart(self):
        """The bound can fail: tanh-approximated GELU misses it."""
        import torch
        F = runner.F

        class TanhGELU:
            def __getattr__(self, name):
                return getattr(F, name)

            @staticmethod
            def gelu(x):
                return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
        runner.F = TanhGELU()
        try:
            case = next(c for c in self.cases if c["kind"] == "mlp")
            x, got = self.compute(case)
            want = self.tensors[case["name"] + "/output"]
            self.assertGreater(rel_err(got - x, want - x), 3 * TOLERANCE)
        finally:
            runner.F = F

    def test_stack_builds_every_kind(self):
        """Stacks of random weights run for every kind, at the depths asked."""
        import torch
        header = dict(HEADER, method=dict(HEADER["method"]))
        opts = runner.parse_args(["--device", "cpu"])
        opts.device = "cpu"
        m = runner.Measurer(opts, runner.Settings(header, 2))
        for row in ROWS:
            with self.subTest(row=runner.row_key(row)):
                s = runner.Stack(m, row, 2, 0)
                s.run()
                self.assertEqual(s.x.dtype, torch.float32)
        # Copies have their own weights: two copies of an MLP are not one applied twice.
        a, b = runner.Stack(m, ROWS[1], 1, 0), runner.Stack(m, ROWS[1], 1, 1)
        self.assertNotEqual(float(a.fn(a.x)), float(b.fn(b.x)))


class FakeClock:
    """A clock that moves only when a fake execution runs."""

    def __init__(self):
        self.t = 0.0
        self.calls = []

    def run(self, name, *ms):
        i = [0]

        def f():
            self.t += ms[i[0] % len(ms)]
            i[0] += 1
            self.calls.append(name)
        return f

    def time_once(self, run):
        start = self.t
        run()
        return self.t - start


def opts(**kw):
    o = dict(warmup=0, samples=4, noise_threshold=0.05, retries=0, estimator="min")
    o.update(kw)
    return runner.TimingOptions(**o)


class Timing(unittest.TestCase):
    """profiler/timing.go's arithmetic, on hand-computed values."""

    def test_min_takes_the_floor_of_each_depth(self):
        c = FakeClock()
        low = c.run("low", 10, 15, 10.1, 13)
        high = c.run("high", 31, 30, 45, 30.2)
        t = runner.time_differential(low, high, 1, 3, opts(), c.time_once)
        # (30 - 10) / 2 = 10 ms; gap to the second fastest (0.1 + 0.2) / 2.
        self.assertAlmostEqual(t.estimate, 10)
        self.assertAlmostEqual(t.gap, 0.15)
        self.assertEqual(t.floors, (10, 30))
        self.assertFalse(t.noisy)
        self.assertEqual(t.tries, 1)
        # Pairs alternate which depth runs first.
        self.assertEqual(c.calls, ["low", "high", "high", "low", "low", "high", "high", "low"])
        rep = runner.timing_reply(t, "min", (1, 3))
        self.assertEqual(rep["floors"], {"depths": [1, 3], "ms": [10, 30]})
        self.assertAlmostEqual(rep["median_ms"], 10)
        self.assertEqual(rep["samples"], 4)
        self.assertNotIn("noisy", rep)
        # Per-unit samples (31-10)/2, (30-15)/2, (45-10.1)/2, (30.2-13)/2: IQR
        # of 7.5, 8.6, 10.5, 17.45 (R type 7) is 12.2375 - 8.325.
        self.assertAlmostEqual(rep["spread_ms"], 12.2375 - 8.325)

    def test_min_pools_rounds_until_the_floor_is_confirmed(self):
        c = FakeClock()
        # Round 1 sees the deep floor once (20, 24); round 2 confirms it (20.1).
        low = c.run("low", 10)
        high = c.run("high", 24, 20, 20.1, 26)
        t = runner.time_differential(low, high, 1, 2, opts(samples=2, retries=3), c.time_once)
        self.assertEqual(t.tries, 2)
        self.assertFalse(t.noisy)
        self.assertAlmostEqual(t.estimate, 10)
        self.assertEqual(t.summary.n, 4)

    def test_unconfirmed_floor_is_noisy(self):
        c = FakeClock()
        t = runner.time_differential(c.run("l", 5), c.run("h", 10, 19), 1, 2, opts(samples=1, retries=1), c.time_once)
        self.assertTrue(t.noisy)
        self.assertEqual(t.tries, 2)
        self.assertAlmostEqual(t.estimate, 5)
        # One execution per depth cannot confirm a floor.
        c = FakeClock()
        t = runner.time_differential(c.run("l", 5), c.run("h", 10), 1, 2, opts(samples=1), c.time_once)
        self.assertTrue(t.noisy)

    def test_median_keeps_the_quietest_round(self):
        c = FakeClock()
        low = c.run("low", 8)
        # Round 1 per unit 2, 4 (spread 1 of median 3); round 2: 2, 2.1.
        high = c.run("high", 10, 12, 10, 10.1)
        t = runner.time_differential(low, high, 1, 2, opts(samples=2, retries=1, estimator="median"), c.time_once)
        self.assertEqual(t.tries, 2)
        self.assertAlmostEqual(t.estimate, 2.05)
        self.assertFalse(t.noisy)
        rep = runner.timing_reply(t, "median", (1, 2))
        self.assertNotIn("floors", rep)
        self.assertAlmostEqual(rep["spread_ms"], 0.05)

    def test_warmup_runs_each_depth_untimed(self):
        c = FakeClock()
        o = opts(warmup=2, samples=1, noise_threshold=1)
        t = runner.time_differential(c.run("low", 1), c.run("high", 3), 1, 3, o, c.time_once)
        self.assertEqual(c.calls[:4], ["low", "low", "high", "high"])
        self.assertAlmostEqual(t.estimate, 1)

    def test_negative_estimate_is_clipped_and_noisy(self):
        c = FakeClock()
        t = runner.time_differential(c.run("l", 5), c.run("h", 4.9), 1, 2, opts(samples=2), c.time_once)
        rep = runner.timing_reply(t, "min", (1, 2))
        self.assertEqual(rep["median_ms"], 0)
        self.assertTrue(rep["noisy"])
        self.assertEqual(rep["note"], "differential estimate -0.1 ms clipped to 0")
        self.assertEqual(rep["floors"]["ms"], [5, 4.9])

    def test_bad_options_are_refused(self):
        c = FakeClock()
        for bad in (opts(samples=0), opts(noise_threshold=0), opts(estimator="mean"), opts(warmup=-1)):
            with self.assertRaises(runner.RunnerError):
                runner.time_differential(c.run("l", 1), c.run("h", 2), 1, 2, bad, c.time_once)
        with self.assertRaises(runner.RunnerError):
            runner.time_differential(c.run("l", 1), c.run("h", 2), 2, 2, opts(), c.time_once)

    def test_quantile_is_r_type_7(self):
        s = runner.Summary([4, 1, 3, 2])
        self.assertEqual((s.q1, s.median, s.q3, s.n), (1.75, 2.5, 3.25, 4))
        self.assertEqual(runner.Summary([]).n, 0)


HEADER = {"nvitprof_table": 1, "dtype": "float32", "batch": 2, "tokens": 17, "image": 16, "patch": 4,
          "channels": 3, "classes": 10,
          "method": {"name": "differential", "depths": [1, 3], "warmup": 1, "samples": 2,
                     "noise_threshold": 10, "estimator": "min", "passes": 3}}

ROWS = [
    {"kind": "attn", "emb": 16, "heads": 2, "qk": 4, "v": 8},
    {"kind": "mlp", "emb": 16, "mlp": 32},
    {"kind": "block", "emb": 16, "heads": 0, "qk": 0, "v": 0, "mlp": 24},
    {"kind": "rest", "emb": 16},
    {"kind": "model", "name": "m", "emb": 16,
     "dim": {"EMB": 16, "head": [2, 0], "QK": [4, 0], "V": [8, 0], "MLP": [0, 24]}},
]

# The fields nvitprof reads (profiler.RunnerHello, RunnerReply); anything
# else stops the runner.
HELLO_FIELDS = {"device_kind", "nvitprof_runner", "device_name", "runtime", "backend", "version", "error"}
REPLY_FIELDS = {"ok", "error", "median_ms", "spread_ms", "samples", "noisy", "note", "floors"}


def talk(lines, args=("--device", "cpu", "--threads", "1"), code=None):
    """Runs the runner (or code, a Python program) on lines; returns exit
    code, stdout lines and stderr."""
    cmd = [sys.executable, SCRIPT] + list(args) if code is None else [sys.executable, "-c", code] + list(args)
    p = subprocess.run(cmd, input="".join(json.dumps(l) + "\n" for l in lines), capture_output=True, text=True,
                       timeout=120)
    return p.returncode, p.stdout.splitlines(), p.stderr


def strict(test, line, fields):
    """line is one JSON object with only the given fields."""
    obj = json.loads(line)
    test.assertIsInstance(obj, dict)
    test.assertLessEqual(set(obj), fields, line)
    return obj


@needs_torch
class Protocol(unittest.TestCase):
    def test_sweep(self):
        reqs = [{"nvitprof_runner": 1, "header": HEADER}]
        for row in ROWS:
            reqs += [{"op": "prepare", "row": dict(row, median_ms=0, spread_ms=0, samples=0, macs=0, bytes=0)},
                     {"op": "time"}]
        reqs += [{"op": "time"}, {"op": "prepare", "row": {"kind": "mlp", "emb": 0, "mlp": 4}}, {"op": "dance"}]
        code, out, err = talk(reqs)
        self.assertEqual(code, 0, err)
        self.assertEqual(len(out), len(reqs), out)
        hello = strict(self, out[0], HELLO_FIELDS)
        self.assertEqual((hello["nvitprof_runner"], hello["runtime"], hello["backend"]), (1, "pytorch", "eager"))
        self.assertIn("1 thread", hello["device_name"])
        self.assertTrue(hello["version"])
        for i, row in enumerate(ROWS):
            self.assertEqual(strict(self, out[1 + 2 * i], REPLY_FIELDS), {"ok": True})
            rep = strict(self, out[2 + 2 * i], REPLY_FIELDS)
            self.assertGreaterEqual(rep["median_ms"], 0)
            self.assertGreaterEqual(rep["spread_ms"], 0)
            self.assertGreaterEqual(rep["samples"], 2)
            depths = [1, 2] if row["kind"] in ("rest", "model") else [1, 3]
            self.assertEqual(rep["floors"]["depths"], depths)
            self.assertTrue(all(ms > 0 for ms in rep["floors"]["ms"]))
        tail = [strict(self, l, REPLY_FIELDS) for l in out[-3:]]
        self.assertIn("unexpected request", tail[0]["error"])  # time without prepare
        self.assertEqual(tail[1], {"error": "prepare mlp emb=0 mlp=4: mlp row: emb must be positive"})
        self.assertIn("unexpected request", tail[2]["error"])
        self.assertIn("5 configurations timed", err)  # the closing log line, on stderr

    def test_hello_errors(self):
        sdpa = hasattr(__import__("torch").nn.functional, "scaled_dot_product_attention")
        cases = [
            ("dtype", dict(HEADER, dtype="int8"), (), "unknown dtype"),
            ("depths", dict(HEADER, method=dict(HEADER["method"], depths=[3])), (), "two depths"),
            ("geometry", dict(HEADER, tokens=99), (), "extra tokens"),
            ("noise", dict(HEADER, method=dict(HEADER["method"], noise_threshold=0)), (), "noise threshold"),
            ("option", HEADER, ("--attention", "flash"), "invalid choice"),
            ("device", HEADER, ("--device", "tpu"), "--device"),
        ]
        if not sdpa:
            cases.append(("sdpa", HEADER, ("--device", "cpu", "--attention", "sdpa"), "needs PyTorch >= 2.0"))
        for name, header, args, want in cases:
            with self.subTest(name):
                code, out, err = talk([{"nvitprof_runner": 1, "header": header}], args=args or ("--device", "cpu"))
                self.assertEqual(len(out), 1, out)
                hello = strict(self, out[0], HELLO_FIELDS)
                self.assertIn(want, hello.get("error", ""))
                self.assertEqual(hello["nvitprof_runner"], 1)
                self.assertNotEqual(code, 0)
        code, out, _ = talk([{"header": HEADER}], args=("--device", "cpu"))  # not a hello
        self.assertIn("protocol", json.loads(out[0])["error"])

    def test_nothing_but_replies_on_stdout(self):
        """A print or a C library's write to fd 1 goes to stderr."""
        code = ("import os, sys; sys.path.insert(0, %r); import nvitprof_runner as r\n"
                "prepare = r.Measurer.prepare\n"
                "def loud(self, row):\n"
                "    print('compiling with autotuning'); os.write(1, b'from C\\n'); return prepare(self, row)\n"
                "r.Measurer.prepare = loud\n"
                "sys.exit(r.main())\n") % HERE
        reqs = [{"nvitprof_runner": 1, "header": HEADER}, {"op": "prepare", "row": ROWS[1]}, {"op": "time"}]
        rc, out, err = talk(reqs, code=code, args=("--device", "cpu"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(out), 3, out)
        for line in out[1:]:
            strict(self, line, REPLY_FIELDS)
        self.assertIn("compiling with autotuning", err)
        self.assertIn("from C", err)

    def test_device_kind_in_hello(self):
        load_torch()
        opts = runner.parse_args(["--device", "cpu"])
        m = runner.Measurer(opts, runner.Settings(HEADER, 2))
        self.assertEqual(m.hello()["device_kind"], "cpu")

    def test_cpu_clock_only_on_a_cpu(self):
        load_torch()
        header = json.loads(json.dumps(HEADER))
        header["method"]["clock"] = "cpu"
        settings = runner.Settings(header, 2)
        self.assertEqual(settings.clock, "cpu")
        m = runner.Measurer(runner.parse_args(["--device", "cpu"]), settings)
        self.assertIsNone(m.gate)
        m = runner.Measurer(runner.parse_args(["--device", "cpu", "--gate"]), settings)
        self.assertIsNotNone(m.gate)
        header["method"]["clock"] = "sundial"
        with self.assertRaises(runner.RunnerError):
            runner.Settings(header, 2)


class Gate(unittest.TestCase):
    """With a gate, a sample counts only when the machine ran at full speed
    before and after it (nvitprof's TestGateKeepsFullSpeedSamples, by hand)."""

    class Script:
        def __init__(self, answers):
            self.answers = list(answers)

        def fast(self):
            return self.answers.pop(0) if self.answers else True

    def run_case(self, answers, highs):
        clock = [0.0]
        n = [0]

        def low():
            clock[0] += 1

        def high():
            clock[0] += highs[min(n[0], len(highs) - 1)]
            n[0] += 1

        def time_once(run):
            start = clock[0]
            run()
            return clock[0] - start

        opts = runner.TimingOptions(0, 2, 10, 0, "min")
        return runner.time_differential(low, high, 1, 3, opts, time_once, gate=self.Script(answers))

    def test_keeps_full_speed_samples(self):
        # Sample 1 slow after, sample 2 slow before, samples 3 and 4 at full speed.
        t = self.run_case([True, False, False, True, True, True, True, True], [6, 6, 3, 3])
        self.assertEqual((t.estimate, t.summary.n), (1.0, 2))

    def test_never_at_full_speed(self):
        t = self.run_case([False] * 8, [6])
        self.assertEqual((t.estimate, t.summary.n), (2.5, runner.GATE_TRIES * 2))


if __name__ == "__main__":
    unittest.main()
