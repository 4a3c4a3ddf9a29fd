#!/usr/bin/env python3
"""Run a facesh decoder with ONNX Runtime, check it against facesh and time it.

The script reads a facesh model file (layout in docs/MODEL_FORMAT.md) without facesh code
and builds the same decoder as an ONNX graph. It compares the graph's output with a file
written by `facesh-bench decode-dump`, then times batches 1 and 64 the way facesh-bench
times its own decoder. Lines that start with RESULT carry the figures for bench/run.sh as
`key=value` fields.
"""

import argparse
import json
import math
import os
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

# Largest absolute difference from facesh's output that still counts as the same decoder.
TOLERANCE = 1e-4
OPSET = 17
# ONNX 1.12 paired opset 17 with IR version 8 (see onnx.helper.VERSION_TABLE), so a runtime
# that runs opset 17 reads this IR version.
IR_VERSION = 8
# Seed of the timing latents. facesh-bench uses its own generator, so only the sizes match.
TIMING_SEED = 9


class ModelError(Exception):
    """A model or dump file that cannot be read, or a decoder this script cannot build."""


# Safetensors


def read_safetensors(path):
    """Read a safetensors file into its metadata and float32 arrays, checking every offset.

    F16 and BF16 tensors are widened to float32 exactly, as facesh does.
    """
    with open(path, "rb") as file:
        data = file.read()
    if len(data) < 8:
        raise ModelError(f"{path}: the file is {len(data)} bytes, too short for a header")
    header_size = int.from_bytes(data[:8], "little")
    if header_size > len(data) - 8:
        raise ModelError(f"{path}: the header length {header_size} runs past the end of the file")
    try:
        header = json.loads(data[8 : 8 + header_size])
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{path}: the header is not JSON ({error})") from None
    if not isinstance(header, dict):
        raise ModelError(f"{path}: the header is not a JSON object")
    metadata = header.pop("__metadata__", {}) or {}
    body = memoryview(data)[8 + header_size :]
    tensors = {}
    for name, entry in header.items():
        tensors[name] = read_tensor(path, name, entry, body)
    return metadata, tensors


def read_tensor(path, name, entry, body):
    """Return one tensor of a safetensors file as a float32 array of its shape."""

    def fail(reason):
        return ModelError(f"{path}: tensor '{name}': {reason}")

    item_sizes = {"F32": 4, "F16": 2, "BF16": 2}
    dtype = entry.get("dtype")
    if dtype not in item_sizes:
        raise fail(f"unsupported dtype {dtype!r}; expected F32, F16 or BF16")
    shape = entry.get("shape")
    if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise fail(f"invalid shape {shape!r}")
    offsets = entry.get("data_offsets")
    if not (
        isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(n, int) for n in offsets)
    ):
        raise fail(f"invalid data_offsets {offsets!r}")
    begin, end = offsets
    count = math.prod(shape)
    if not 0 <= begin <= end <= len(body):
        raise fail(f"byte range {begin}..{end} lies outside the {len(body)} data bytes")
    size = count * item_sizes[dtype]
    if end - begin != size:
        raise fail(f"shape {shape} needs {size} bytes, but the byte range has {end - begin}")
    raw = body[begin:end]
    if dtype == "F32":
        values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    elif dtype == "F16":
        values = np.frombuffer(raw, dtype="<f2").astype(np.float32)
    else:
        # A bfloat16 is the upper half of a float32, so shifting its bits up is exact.
        values = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    return values.reshape(shape)


# Architecture


def pair(entry, key, default, fail):
    """Return an integer or [height, width] field as a pair."""
    value = entry.get(key, default)
    if value is None:
        raise fail(f"'{key}' is missing")
    if isinstance(value, int):
        return value, value
    if isinstance(value, list) and len(value) == 2 and all(isinstance(n, int) for n in value):
        return tuple(value)
    raise fail(f"'{key}' must be an integer or a list of two integers")


def parse_architecture(path, text):
    """Parse the `architecture` metadata into a latent size and a list of layer dictionaries.

    Each layer gets its normalized fields and `input` and `output`, the per-sample shapes
    (channels, height, width) around it, computed as facesh computes them.
    """
    try:
        description = json.loads(text)
    except json.JSONDecodeError as error:
        raise ModelError(f"{path}: the architecture is not JSON ({error})") from None
    latent_size = description.get("latent_size")
    if not isinstance(latent_size, int) or latent_size <= 0:
        raise ModelError(f"{path}: 'latent_size' must be a positive integer")
    shape = (latent_size, 1, 1)
    layers = []
    for index, entry in enumerate(description.get("layers") or []):
        kind = entry.get("type")

        def fail(reason, index=index, kind=kind):
            return ModelError(f"{path}: layer {index} ({kind}): {reason}")

        layer = {"type": kind, "input": shape}
        if kind == "linear":
            layer["in"], layer["out"] = entry.get("in"), entry.get("out")
            if layer["in"] != math.prod(shape):
                raise fail(f"expects {layer['in']} inputs but receives {shape}")
            shape = (layer["out"], 1, 1)
        elif kind == "conv_transpose2d":
            layer["in"], layer["out"] = entry.get("in"), entry.get("out")
            if layer["in"] != shape[0]:
                raise fail(f"expects {layer['in']} input channels but receives {shape}")
            layer["kernel"] = pair(entry, "kernel", None, fail)
            layer["stride"] = pair(entry, "stride", 1, fail)
            layer["padding"] = pair(entry, "padding", 0, fail)
            height, width = (
                (size - 1) * stride - 2 * padding + kernel
                for size, stride, padding, kernel in zip(
                    shape[1:], layer["stride"], layer["padding"], layer["kernel"]
                )
            )
            shape = (layer["out"], height, width)
        elif kind == "batch_norm":
            layer["channels"] = entry.get("channels")
            layer["eps"] = float(entry.get("eps", 1e-5))
            if layer["channels"] != shape[0]:
                raise fail(f"normalizes {layer['channels']} channels but receives {shape}")
        elif kind == "reshape":
            target = tuple(entry.get("shape") or ())
            if len(target) != 3 or math.prod(target) != math.prod(shape):
                raise fail(f"cannot reshape {shape} to {list(target)}")
            shape = target
        elif kind == "leaky_relu":
            layer["slope"] = float(entry.get("slope", 0.01))
        elif kind not in ("relu", "sigmoid", "tanh"):
            raise fail("unknown layer type")
        layer["output"] = shape
        layers.append(layer)
    if not layers:
        raise ModelError(f"{path}: the architecture has no layers")
    if shape[0] != 3:
        raise ModelError(f"{path}: the decoder produces {shape}, but an image needs 3 channels")
    return latent_size, layers


def flops_per_face(layers):
    """Count 2 × the multiply-adds of linear and transposed-convolution layers per face.

    This is the count that facesh-bench uses (Architecture.flopsPerSample).
    """
    flops = 0
    for layer in layers:
        if layer["type"] == "linear":
            flops += 2 * layer["in"] * layer["out"]
        elif layer["type"] == "conv_transpose2d":
            kernel_height, kernel_width = layer["kernel"]
            flops += 2 * math.prod(layer["input"]) * layer["out"] * kernel_height * kernel_width
    return flops


# ONNX graph


class GraphBuilder:
    """Collects ONNX nodes and initializers and tracks the layout of the running tensor.

    facesh layers see each sample as (C, H, W). In the graph the running tensor is either
    flat, (B, N), or spatial, (B, C, H, W), and Reshape nodes go in only where a layer
    needs the other layout.
    """

    def __init__(self, path, tensors, latent_size):
        self.path = path
        self.tensors = tensors
        self.nodes = []
        self.initializers = []
        self.current = "latents"
        self.layout = ("flat", latent_size)

    def weight(self, name, shape):
        """Add a model tensor as an initializer after checking its shape."""
        array = self.tensors.get(name)
        if array is None:
            raise ModelError(f"{self.path}: tensor '{name}': missing from the file")
        if tuple(array.shape) != tuple(shape):
            raise ModelError(
                f"{self.path}: tensor '{name}': has shape {list(array.shape)}, "
                f"but the architecture needs {list(shape)}"
            )
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def add(self, op, node_name, inputs, **attributes):
        """Append a node that reads the running tensor first, and make its output current."""
        output = f"{node_name}.out"
        node = helper.make_node(
            op, [self.current, *inputs], [output], name=node_name, **attributes
        )
        self.nodes.append(node)
        self.current = output

    def reshape(self, node_name, dims):
        shape_name = f"{node_name}.shape"
        shape = np.array([-1, *dims], dtype=np.int64)
        self.initializers.append(numpy_helper.from_array(shape, shape_name))
        self.add("Reshape", node_name, [shape_name])

    def make_flat(self, node_name, count):
        if self.layout != ("flat", count):
            self.reshape(f"{node_name}.flatten", [count])
            self.layout = ("flat", count)

    def make_spatial(self, node_name, shape):
        if self.layout != ("spatial", shape):
            self.reshape(f"{node_name}.unflatten", list(shape))
            self.layout = ("spatial", shape)


def build_onnx(path, tensors, latent_size, layers):
    """Build the decoder as an ONNX model: `latents` (B, D) in, `images` (B, 3, H, W) out."""
    graph = GraphBuilder(path, tensors, latent_size)
    for index, layer in enumerate(layers):
        kind = layer["type"]
        prefix = f"decoder.{index}."
        node = f"layer{index}.{kind}"
        if kind == "linear":
            graph.make_flat(node, layer["in"])
            weight = graph.weight(prefix + "weight", (layer["out"], layer["in"]))
            bias = graph.weight(prefix + "bias", (layer["out"],))
            graph.add("Gemm", node, [weight, bias], transB=1)
            graph.layout = ("flat", layer["out"])
        elif kind == "conv_transpose2d":
            graph.make_spatial(node, layer["input"])
            kernel = layer["kernel"]
            weight = graph.weight(prefix + "weight", (layer["in"], layer["out"], *kernel))
            bias = graph.weight(prefix + "bias", (layer["out"],))
            pad_y, pad_x = layer["padding"]
            graph.add(
                "ConvTranspose",
                node,
                [weight, bias],
                kernel_shape=list(kernel),
                strides=list(layer["stride"]),
                pads=[pad_y, pad_x, pad_y, pad_x],
            )
            graph.layout = ("spatial", layer["output"])
        elif kind == "batch_norm":
            graph.make_spatial(node, layer["input"])
            channels = (layer["channels"],)
            names = ["weight", "bias", "running_mean", "running_var"]
            inputs = [graph.weight(prefix + name, channels) for name in names]
            graph.add("BatchNormalization", node, inputs, epsilon=layer["eps"])
        elif kind == "reshape":
            # Data does not move in (C, H, W) order, so the next layer that needs a layout
            # inserts the one Reshape node.
            pass
        elif kind == "relu":
            graph.add("Relu", node, [])
        elif kind == "leaky_relu":
            graph.add("LeakyRelu", node, [], alpha=layer["slope"])
        elif kind == "sigmoid":
            graph.add("Sigmoid", node, [])
        elif kind == "tanh":
            graph.add("Tanh", node, [])

    output_shape = layers[-1]["output"]
    graph.make_spatial("output", output_shape)
    graph.nodes.append(helper.make_node("Identity", [graph.current], ["images"], name="output"))
    inputs = [helper.make_tensor_value_info("latents", TensorProto.FLOAT, ["batch", latent_size])]
    outputs = [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", *output_shape])]
    body = helper.make_graph(graph.nodes, "facesh_decoder", inputs, outputs, graph.initializers)
    model = helper.make_model(body, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


# Running and timing


def make_session(model, threads, profile_prefix=None):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if profile_prefix:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    return ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def decode(session, latents):
    return session.run(["images"], {"latents": latents})[0]


def check(session, reference_path, model_path, name):
    """Decode the dumped latents and return whether the images match facesh's."""
    _, dump = read_safetensors(reference_path)

    for key in ("latents", "images"):
        if key not in dump:
            raise ModelError(
                f"{reference_path}: tensor '{key}': missing; "
                "write the file with 'facesh-bench decode-dump'"
            )

    expected = dump["images"]
    try:
        actual = decode(session, dump["latents"])
    except ort.capi.onnxruntime_pybind11_state.InvalidArgument as error:
        raise ModelError(
            f"{reference_path}: the latents do not fit the decoder of {model_path} ({error})"
        ) from None
    if actual.shape != expected.shape:
        raise ModelError(
            f"{reference_path}: tensor 'images': has shape {list(expected.shape)}, "
            f"but ONNX Runtime produced {list(actual.shape)}"
        )

    difference = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
    # A NaN in either output counts as an infinite difference.
    difference[np.isnan(difference)] = np.inf
    largest = float(difference.max()) if difference.size else 0.0
    ok = largest <= TOLERANCE
    print(
        f"check {name}: largest absolute difference from facesh {largest:.3g} over {expected.size} "
        f"values of {expected.shape[0]} faces (tolerance {TOLERANCE:g}): {'ok' if ok else 'FAILED'}"
    )
    print(
        f"RESULT onnx-check name={name} max_abs_diff={largest:.6g} "
        f"tolerance={TOLERANCE:g} ok={int(ok)}"
    )
    return ok


def measure(seconds, body):
    """Return the best time of `body` over `seconds` (at least 3 runs) after one warm-up run."""
    body()
    best = math.inf
    start = time.perf_counter()
    runs = 0
    while runs < 3 or time.perf_counter() - start < seconds:
        begin = time.perf_counter()
        body()
        best = min(best, time.perf_counter() - begin)
        runs += 1
    return best


def time_batches(session, name, latent_size, flops, args):
    random = np.random.default_rng(TIMING_SEED)
    for batch in args.batch:
        latents = random.standard_normal((batch, latent_size), dtype=np.float32)
        per_face = measure(args.seconds, lambda: decode(session, latents)) / batch
        gflops = flops / per_face / 1e9
        milliseconds = per_face * 1000
        text = f"onnxruntime {name} batch {batch}: {milliseconds:.2f} ms/face, {gflops:.1f} GFLOP/s"
        fields = (
            f"name={name} batch={batch} threads={args.threads} "
            f"ms_per_face={milliseconds:.4f} gflops={gflops:.3f}"
        )
        if args.sgemm_gflops:
            ratio = gflops / args.sgemm_gflops
            text += f", {ratio:.2f} of sgemm"
            fields += f" sgemm_gflops={args.sgemm_gflops:.3f} ratio={ratio:.4f}"
        print(text)
        print(f"RESULT onnx {fields}")


def profile_batches(model, name, latent_size, args):
    """Print the time of each graph node after ONNX Runtime's optimizations.

    Each node's time is its best over `--seconds` of runs, at least 5, after a warm-up run.
    """
    random = np.random.default_rng(TIMING_SEED)
    with tempfile.TemporaryDirectory() as folder:
        for batch in args.batch:
            session = make_session(model, args.threads, os.path.join(folder, f"batch{batch}"))
            latents = random.standard_normal((batch, latent_size), dtype=np.float32)
            decode(session, latents)
            start = time.perf_counter()
            runs = 0
            while runs < 5 or time.perf_counter() - start < args.seconds:
                decode(session, latents)
                runs += 1
            with open(session.end_profiling()) as file:
                events = json.load(file)

            best = {}
            for event in events:
                if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
                    node = event["name"].removesuffix("_kernel_time")
                    label = f"{node} ({event.get('args', {}).get('op_name', '?')})"
                    # Profile durations are in microseconds.
                    best[label] = min(best.get(label, math.inf), event["dur"] / 1000)
            for label, milliseconds in best.items():
                print(f"onnxruntime {name} batch {batch} {label}: {milliseconds:.3f} ms")
            total = sum(best.values())
            print(f"onnxruntime {name} batch {batch} all nodes: {total:.3f} ms (best of {runs} runs)")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("model", help="facesh model file (.safetensors)")
    add(
        "--threads",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="ONNX Runtime intra-op threads (default: the cores this process may use)",
    )
    add("--seconds", type=float, default=3.0, help="seconds spent on each batch size (default 3)")
    add("--batch", type=int, action="append", help="batch size to time; repeatable (default 1, 64)")
    add("--reference", help="file from 'facesh-bench decode-dump' to compare the output with")
    add("--sgemm-gflops", type=float, help="sgemm GFLOP/s to report each speed against")
    add("--name", help="name in the output lines (default: the model file name, no extension)")
    add("--check-only", action="store_true", help="compare with --reference and skip the timing")
    add("--profile", action="store_true", help="print each graph node's time instead of timing")
    parser.add_argument("--save-onnx", metavar="PATH", help="also write the ONNX model to PATH")
    args = parser.parse_args()
    if args.threads < 1:
        parser.error(f"invalid --threads {args.threads}; expected at least 1")
    if args.check_only and not args.reference:
        parser.error("--check-only needs --reference")
    if args.batch is None:
        args.batch = [1, 64]
    if any(batch < 1 for batch in args.batch):
        parser.error("invalid --batch; batch sizes must be at least 1")
    return args


def main():
    args = parse_arguments()
    name = args.name or os.path.splitext(os.path.basename(args.model))[0]
    metadata, tensors = read_safetensors(args.model)
    if metadata.get("format") != "facesh-model" or "architecture" not in metadata:
        found = metadata.get("format")
        raise ModelError(f"{args.model}: not a facesh model (metadata 'format' is {found!r})")
    latent_size, layers = parse_architecture(args.model, metadata["architecture"])
    model = build_onnx(args.model, tensors, latent_size, layers)
    if args.save_onnx:
        onnx.save(model, args.save_onnx)
    flops = flops_per_face(layers)
    print(
        f"onnxruntime {ort.__version__}, onnx {onnx.__version__}, numpy {np.__version__}; "
        f"{name}: {latent_size} latents → {layers[-1]['output']}, "
        f"{flops / 1e9:.4g} GFLOP per face, intra_op_num_threads={args.threads}"
    )

    session = make_session(model, args.threads)
    if args.reference and not check(session, args.reference, args.model, name):
        return 1
    if args.check_only:
        return 0
    if args.profile:
        profile_batches(model, name, latent_size, args)
    else:
        time_batches(session, name, latent_size, flops, args)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ModelError as error:
        print(f"onnx_decoder.py: error: {error}", file=sys.stderr)
        sys.exit(1)
